//! The simulator over TLS, like BankID: the server asks for a client certificate, and an RP API
//! call (`/rp/...`) without one that chains to the configured RP CA roots is answered
//! `401 {"errorCode":"unauthorized"}` (the handshake itself succeeds, as it does at BankID, where
//! any client certificate reaches the HTTP layer and an unknown one is refused there).
//! The phone control API (`/phone/...`) and the control API (`/sim/...`) need no client
//! certificate: a browser page playing the phone has none.
//!
//! The possession of the client key is still proven in the handshake (rustls checks the
//! CertificateVerify signature); only the chain check is moved after the handshake.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use tower::ServiceExt;

use crate::bankid::pki::{issue_tls_client_cert, issue_tls_server_cert};
use crate::bankid::simulator::{router, Simulator};
use crate::pki::CertificateAuthority;
use esign_shared::bankid::tls::{ClientIdentity, TlsConfig, TlsError};

/// Accepts any client certificate during the handshake (after checking the signature that
/// proves possession of its key); the chain is judged per connection afterwards.
#[derive(Debug)]
struct DeferredClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for DeferredClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
}

/// The rustls server configuration and the verifier of client chains.
fn server_setup(
    server_cert_chain_der: Vec<Vec<u8>>,
    server_key_pkcs8_der: Vec<u8>,
    client_ca_roots_der: Vec<Vec<u8>>,
) -> std::io::Result<(tokio_rustls::TlsAcceptor, Arc<dyn ClientCertVerifier>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for der in client_ca_roots_der {
        roots.add(CertificateDer::from(der)).map_err(invalid)?;
    }
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(invalid)?;
    let verifier = Arc::new(DeferredClientVerifier {
        inner: inner.clone(),
    });
    let chain: Vec<CertificateDer<'static>> = server_cert_chain_der
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key_pkcs8_der));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(invalid)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(invalid)?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), inner))
}

fn unauthorized() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({
            "errorCode": "unauthorized",
            "details": "A valid relying party client certificate is required",
        })),
    )
        .into_response()
}

/// Serves [`router`] over TLS on `listener` until the task is dropped. The server presents
/// `server_cert_chain_der` (leaf first) with `server_key_pkcs8_der`, asks every client for a
/// certificate, and answers RP API calls 401 `unauthorized` unless the client's certificate
/// chains to one of `client_ca_roots_der`. Configuration errors return at once
/// (`InvalidInput`); errors of single connections are dropped with the connection.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    sim: Arc<Simulator>,
    server_cert_chain_der: Vec<Vec<u8>>,
    server_key_pkcs8_der: Vec<u8>,
    client_ca_roots_der: Vec<Vec<u8>>,
) -> std::io::Result<()> {
    let (acceptor, verifier) = server_setup(
        server_cert_chain_der,
        server_key_pkcs8_der,
        client_ca_roots_der,
    )?;
    let app = router(sim);
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment, keep serving.
                tracing::warn!(error = %e, "bankid simulator: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let verifier = verifier.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let handshake =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                    .await;
            let Ok(Ok(tls)) = handshake else {
                return;
            };
            let authorized = {
                let (_, connection) = tls.get_ref();
                match connection.peer_certificates() {
                    Some([leaf, intermediates @ ..]) => verifier
                        .verify_client_cert(leaf, intermediates, UnixTime::now())
                        .is_ok(),
                    _ => false,
                }
            };
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let app = app.clone();
                async move {
                    if !authorized && req.uri().path().starts_with("/rp/") {
                        return Ok::<_, Infallible>(unauthorized());
                    }
                    app.oneshot(req.map(axum::body::Body::new)).await
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// TLS material for running the simulator locally, mirroring BankID's setup: an SSL root that
/// issued the server certificate (for `localhost`, 127.0.0.1 and ::1), and a separate RP CA that
/// issued the relying party's client certificate.
#[derive(Debug, Clone)]
pub struct SimulatorTls {
    /// The root the client pins (like "BankID SSL Root CA v1").
    pub server_root_der: Vec<u8>,
    pub server_cert_chain_der: Vec<Vec<u8>>,
    pub(crate) server_key_pkcs8_der: Vec<u8>,
    /// The CA whose client certificates the simulator accepts (like the banks' RP CAs).
    pub client_ca_root_der: Vec<u8>,
    pub client_identity: ClientIdentity,
}

impl SimulatorTls {
    /// Fresh CAs and certificates, valid from `now`.
    pub fn generate(now: DateTime<Utc>) -> Result<SimulatorTls, String> {
        let ssl_root = CertificateAuthority::create_root(
            "Sim BankID SSL Root CA v1 Test",
            "e-underskrift simulator",
            now,
        )
        .map_err(|e| e.to_string())?;
        let rp_ca = CertificateAuthority::create_root(
            "Sim RP CA v1 for BankID Test",
            "e-underskrift simulator",
            now,
        )
        .map_err(|e| e.to_string())?;
        SimulatorTls::from_cas(&ssl_root, &rp_ca, now)
    }

    /// Certificates issued by existing CAs (e.g. the local PKI of `esign serve`): `ssl_ca`
    /// issues the server certificate, `rp_ca` the client certificate. The CAs' own certificates
    /// become the trust anchors (they need not be self-signed roots).
    pub fn from_cas(
        ssl_ca: &CertificateAuthority,
        rp_ca: &CertificateAuthority,
        now: DateTime<Utc>,
    ) -> Result<SimulatorTls, String> {
        let server = issue_tls_server_cert(
            ssl_ca,
            &["localhost"],
            &[
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            now,
        )?;
        let client = issue_tls_client_cert(rp_ca, "e-underskrift RP", "e-underskrift", now)?;
        let client_identity = ClientIdentity::from_der(
            vec![client.cert_der],
            client.key_pkcs8_der.ok_or("client key missing")?,
        )
        .map_err(|e| e.to_string())?;
        Ok(SimulatorTls {
            server_root_der: ssl_ca.cert_der.clone(),
            server_cert_chain_der: vec![server.cert_der],
            server_key_pkcs8_der: server.key_pkcs8_der.ok_or("server key missing")?,
            client_ca_root_der: rp_ca.cert_der.clone(),
            client_identity,
        })
    }

    /// The client side: this material's RP identity, pinned to this material's server root.
    pub fn client_tls_config(&self) -> Result<TlsConfig, TlsError> {
        TlsConfig::builder()
            .client_identity(self.client_identity.clone())
            .server_root_der(self.server_root_der.clone())?
            .build()
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`), serves `sim` over TLS there in a background task, and
    /// returns the RP API base URL (`https://127.0.0.1:PORT/rp/v6.0/`) with the task. Pair it
    /// with [`SimulatorTls::client_tls_config`] for the client.
    pub async fn spawn(
        &self,
        addr: std::net::SocketAddr,
        sim: Arc<Simulator>,
    ) -> std::io::Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
        // Check the configuration now, so errors reach the caller rather than the task.
        server_setup(
            self.server_cert_chain_der.clone(),
            self.server_key_pkcs8_der.clone(),
            vec![self.client_ca_root_der.clone()],
        )?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let host = match local.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let base_url = format!("https://{host}:{}/rp/v6.0/", local.port());
        let material = self.clone();
        let task = tokio::spawn(async move { material.serve(listener, sim).await });
        Ok((base_url, task))
    }

    /// [`serve_tls`] with this material.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        sim: Arc<Simulator>,
    ) -> std::io::Result<()> {
        serve_tls(
            listener,
            sim,
            self.server_cert_chain_der.clone(),
            self.server_key_pkcs8_der.clone(),
            vec![self.client_ca_root_der.clone()],
        )
        .await
    }
}
