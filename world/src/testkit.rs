//! Helpers for tests that meet the local world: temp directories, external tools (the
//! independent oracles), a router served on a loopback port, and a timestamp authority that we
//! did not write (`openssl ts -reply`). Tests of every crate use them; they panic with a clear
//! message where a tool is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use p256::pkcs8::{EncodePrivateKey, LineEnding};

use crate::pki::{pem_encode_cert, CertificateAuthority, SubjectName};

/// A fresh temp directory per test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "esign-test-{name}-{}-{}",
        std::process::id(),
        uuid_like()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn uuid_like() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

/// The command for an external tool: `$ENV_VAR` if set, else `default` on PATH.
pub fn tool(env_var: &str, default: &str) -> String {
    std::env::var(env_var).unwrap_or_else(|_| default.to_string())
}

pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("external tool `{program}` could not be run ({e}); install it or set its ESIGN_* env var")
    })
}

/// Serve `router` on 127.0.0.1:0; the base URL (no trailing slash).
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// An `openssl ts -reply` TSA (a TSA we did not write) behind POST /tsa, with a P-256 TSA
/// certificate from `root`. Returns (base URL, TSA certificate PEM path).
pub async fn serve_openssl_tsa(root: &CertificateAuthority, dir: &Path) -> (String, PathBuf) {
    use axum::http::header;
    use axum::response::IntoResponse;
    use p256::pkcs8::EncodePublicKey;
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let spki = key.verifying_key().to_public_key_der().expect("spki");
    let cert = root
        .issue_tsa_cert(
            &SubjectName {
                common_name: "OpenSSL-TSA".into(),
                organization: "Test".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            spki.as_bytes(),
            Utc::now(),
        )
        .expect("tsa cert");
    let cert_path = dir.join("openssl-tsa-cert.pem");
    let key_path = dir.join("openssl-tsa-key.pem");
    std::fs::write(&cert_path, pem_encode_cert(&cert)).expect("write");
    std::fs::write(
        &key_path,
        key.to_pkcs8_pem(LineEnding::LF).expect("pem").as_bytes(),
    )
    .expect("write");
    std::fs::write(dir.join("tsaserial"), "01\n").expect("write");
    let config = format!(
        "[ tsa ]\ndefault_tsa = tsa_config1\n\n[ tsa_config1 ]\ndir = {dir}\nserial = $dir/tsaserial\n\
         crypto_device = builtin\nsigner_cert = {cert}\ncerts = {cert}\nsigner_key = {key}\n\
         signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
         accuracy = secs:1\nclock_precision_digits = 0\nordering = no\ntsa_name = yes\n\
         ess_cert_id_chain = no\n",
        dir = dir.display(),
        cert = cert_path.display(),
        key = key_path.display(),
    );
    let config_path = dir.join("tsa.cnf");
    std::fs::write(&config_path, config).expect("write");
    let dir = dir.to_path_buf();
    let handler = move |body: axum::body::Bytes| {
        let dir = dir.clone();
        let config_path = config_path.clone();
        async move {
            let reply = tokio::task::spawn_blocking(move || {
                let query = dir.join(format!("q-{}.tsq", uuid_like()));
                let reply = dir.join(format!("r-{}.tsr", uuid_like()));
                std::fs::write(&query, &body).expect("write query");
                let out = run(
                    &tool("ESIGN_OPENSSL", "openssl"),
                    &[
                        "ts",
                        "-reply",
                        "-config",
                        config_path.to_str().unwrap_or_default(),
                        "-queryfile",
                        query.to_str().unwrap_or_default(),
                        "-out",
                        reply.to_str().unwrap_or_default(),
                    ],
                );
                assert!(
                    out.status.success(),
                    "openssl ts -reply: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                std::fs::read(&reply).expect("reply")
            })
            .await
            .expect("openssl task");
            (
                [(header::CONTENT_TYPE, "application/timestamp-reply")],
                reply,
            )
                .into_response()
        }
    };
    let url = serve(axum::Router::new().route("/tsa", axum::routing::post(handler))).await;
    (url, cert_path)
}

/// The three ways a chain can be wrong that every certificate validator of the service must
/// refuse (issue 9, "One X.509 module"), each an issuing CA under a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadChainKind {
    /// The "intermediate" is an end-entity certificate (basicConstraints cA false) whose key
    /// signs as if it were a CA.
    LeafAsIntermediate,
    /// The intermediate's validity ended a day before the time the chain is used at.
    ExpiredIntermediate,
    /// The intermediate is a CA (cA true) whose keyUsage lacks keyCertSign.
    CaWithoutKeyCertSign,
}

/// A wrong issuing CA under `root`: certificates it issues (seal, TSA, person) make the chain
/// `[leaf, issuer, root]`, which validators must refuse at the time the chain was made for.
pub struct BadChain {
    pub kind: BadChainKind,
    pub issuer: CertificateAuthority,
}

impl BadChain {
    /// `[leaf, the bad intermediate, root]`.
    pub fn chain(&self, leaf_der: &[u8], root: &CertificateAuthority) -> Vec<Vec<u8>> {
        vec![
            leaf_der.to_vec(),
            self.issuer.cert_der.clone(),
            root.cert_der.clone(),
        ]
    }

    /// A seal certificate (fresh P-256 key) from the bad issuer, as `[leaf, issuer, root]`, and
    /// the leaf's key (PKCS#8 DER).
    pub fn seal_chain(
        &self,
        root: &CertificateAuthority,
        now: chrono::DateTime<Utc>,
    ) -> (Vec<Vec<u8>>, Vec<u8>) {
        let leaf = self
            .issuer
            .issue_seal_cert_with_new_key(&bad_subject("Sigill under fel utfärdare"), now)
            .expect("seal certificate from a bad issuer");
        let key = leaf.key_pkcs8_der.expect("a new key");
        (self.chain(&leaf.cert_der, root), key)
    }
}

fn bad_subject(common_name: &str) -> SubjectName {
    SubjectName {
        common_name: common_name.into(),
        organization: "Testkommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

/// The three bad issuers under `root`, for use at `now` (the one place tests get them, so that
/// every validator is tried with the same chains). Leaves they issue are valid at `now`; the
/// issuers carry `root`'s revocation pointers, like `issue_sub_ca`'s.
pub fn bad_chains(root: &CertificateAuthority, now: chrono::DateTime<Utc>) -> Vec<BadChain> {
    use crate::pki::SubCaOptions;
    let leaf = root
        .issue_seal_cert_with_new_key(&bad_subject("Slutanvändare, inte CA"), now)
        .expect("leaf");
    let leaf_as_ca =
        CertificateAuthority::from_parts(leaf.cert_der, &leaf.key_pkcs8_der.expect("a new key"))
            .expect("the leaf's key signs");
    let expired = root
        .issue_sub_ca_with(
            "Utgånget under-CA",
            "Testkommun",
            SubCaOptions {
                validity: Some((
                    now - chrono::Duration::days(3 * 365),
                    now - chrono::Duration::days(1),
                )),
                ..SubCaOptions::default()
            },
            now,
        )
        .expect("expired sub-CA");
    let no_cert_sign = root
        .issue_sub_ca_with(
            "Under-CA utan keyCertSign",
            "Testkommun",
            SubCaOptions {
                key_cert_sign: false,
                ..SubCaOptions::default()
            },
            now,
        )
        .expect("sub-CA without keyCertSign");
    vec![
        BadChain {
            kind: BadChainKind::LeafAsIntermediate,
            issuer: leaf_as_ca,
        },
        BadChain {
            kind: BadChainKind::ExpiredIntermediate,
            issuer: expired,
        },
        BadChain {
            kind: BadChainKind::CaWithoutKeyCertSign,
            issuer: no_cert_sign,
        },
    ]
}
