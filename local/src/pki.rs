//! The local PKI, made on first run under `DATA/pki`: a root CA (the trust anchor a validator
//! needs: `DATA/pki/root-ca.pem`), a CA for the BankID simulator's user certificates, and a
//! seal certificate for each tenant's key.
//!
//! Certificates the root issues point (AIA, CRL Distribution Points) at the revocation routes
//! `esign serve` mounts under `/pki`: the base URL is kept in `DATA/pki/pki-url.txt` (set by
//! `esign serve`, else `http://127.0.0.1:8080/pki`). Revoked serials are in
//! `DATA/pki/revoked.json`. Data directories from before this have certificates without
//! those URLs; they keep working.

use anyhow::{Context, Result};
use chrono::Utc;
use esign_shared::error::ErrorText;
use esign_shared::revocation::RevocationReason;
use esign_world::pki::{
    pem_decode_certs, pem_encode_cert, CertificateAuthority, RevocationUrls, SubjectName,
};
use esign_world::revocation::{JsonFileRevocations, RevocationService};
use p256::pkcs8::{der::pem::LineEnding, DecodePrivateKey, EncodePrivateKey};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where `esign serve` answers for the PKI when started with its default address.
pub const DEFAULT_PKI_URL: &str = "http://127.0.0.1:8080/pki";
/// The names the CAs have in the revocation routes (`/pki/crl/root-ca.crl`, ...).
pub const ROOT_CA_NAME: &str = "root-ca";
pub const BANKID_CA_NAME: &str = "bankid-sim-ca";
const PKI_URL_FILE: &str = "pki-url.txt";
const REVOKED_FILE: &str = "revoked.json";

pub struct LocalPki {
    dir: PathBuf,
    pub root: CertificateAuthority,
    pub bankid_ca: CertificateAuthority,
    /// The timestamp authority of the seals (PAdES B-T), certified by the root.
    pub tsa: std::sync::Arc<esign_world::tsa::LocalTsa>,
    /// OCSP and CRLs for the root's and the BankID CA's certificates (mount with
    /// `esign_world::revocation::router`); also an in-process `RevocationSource`.
    pub revocation: Arc<RevocationService>,
    /// Base URL written into the certificates issued now.
    pub pki_url: String,
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn key_pem(der: &[u8]) -> Result<String> {
    let key = p256::SecretKey::from_pkcs8_der(der).context("CA key")?;
    Ok(key.to_pkcs8_pem(LineEnding::LF)?.to_string())
}

fn load_ca(dir: &Path, name: &str) -> Result<Option<CertificateAuthority>> {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key.pem")),
    );
    if !cert.exists() || !key.exists() {
        return Ok(None);
    }
    let cert_der = pem_decode_certs(&std::fs::read_to_string(&cert)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .into_iter()
        .next()
        .context("empty CA certificate file")?;
    let key = p256::SecretKey::from_pkcs8_pem(&std::fs::read_to_string(&key)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let key_der = key.to_pkcs8_der()?.as_bytes().to_vec();
    Ok(Some(
        CertificateAuthority::from_parts(cert_der, &key_der)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?,
    ))
}

fn save_ca(dir: &Path, name: &str, ca: &CertificateAuthority) -> Result<()> {
    std::fs::write(
        dir.join(format!("{name}.pem")),
        pem_encode_cert(&ca.cert_der),
    )?;
    write_private(
        &dir.join(format!("{name}.key.pem")),
        &key_pem(&ca.key_pkcs8_der())?,
    )
}

fn tsa_subject() -> SubjectName {
    SubjectName {
        common_name: "e-underskrift lokal tidsstämpeltjänst".into(),
        organization: "e-underskrift (lokalt läge)".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

fn save_tsa(dir: &Path, tsa: &esign_world::tsa::LocalTsa) -> Result<()> {
    let pem: String = tsa
        .certificate_chain_der()
        .iter()
        .map(|c| pem_encode_cert(c))
        .collect();
    std::fs::write(dir.join("tsa.pem"), pem)?;
    write_private(&dir.join("tsa.key.pem"), &key_pem(&tsa.key_pkcs8_der())?)
}

fn load_or_create_tsa(
    dir: &Path,
    root: &CertificateAuthority,
) -> Result<esign_world::tsa::LocalTsa> {
    use esign_world::tsa::LocalTsa;
    let (cert, key) = (dir.join("tsa.pem"), dir.join("tsa.key.pem"));
    if cert.exists() && key.exists() {
        let chain = pem_decode_certs(&std::fs::read_to_string(&cert)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
        let key = p256::SecretKey::from_pkcs8_pem(&std::fs::read_to_string(&key)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
        return LocalTsa::new(key.to_pkcs8_der()?.as_bytes(), &chain)
            .map_err(|e| anyhow::anyhow!("local TSA: {e}"));
    }
    let tsa = LocalTsa::generate(
        root,
        std::slice::from_ref(&root.cert_der),
        &tsa_subject(),
        Utc::now(),
    )
    .map_err(|e| anyhow::anyhow!("local TSA: {e}"))?;
    save_tsa(dir, &tsa)?;
    Ok(tsa)
}

impl LocalPki {
    /// Opens with the PKI URL last set by `esign serve` (or the default).
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        Self::open_or_create_at(dir, None)
    }

    /// Opens, and if `pki_url` is given (the `/pki` URL of a service about to serve), keeps it
    /// for certificates issued from now on, also by later commands that do not serve.
    pub fn open_or_create_at(dir: &Path, pki_url: Option<&str>) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let url_file = dir.join(PKI_URL_FILE);
        let pki_url = match pki_url {
            Some(url) => {
                let url = url.trim_end_matches('/').to_string();
                // Refuse before keeping it: a bad URL in the file would stop later runs.
                RevocationUrls::under(&url, ROOT_CA_NAME)
                    .map_err(|e| anyhow::anyhow!("PKI URL: {e}"))?;
                std::fs::write(&url_file, format!("{url}\n"))
                    .with_context(|| format!("writing {}", url_file.display()))?;
                url
            }
            None => std::fs::read_to_string(&url_file)
                .map(|u| u.trim().to_string())
                .unwrap_or_else(|_| DEFAULT_PKI_URL.to_string()),
        };
        let now = Utc::now();
        let root = match load_ca(dir, "root-ca")? {
            Some(ca) => ca,
            None => {
                let ca = CertificateAuthority::create_root(
                    "e-underskrift lokal rot-CA",
                    "e-underskrift (lokalt läge)",
                    now,
                )
                .map_err(|e| anyhow::anyhow!("root CA: {e}"))?;
                save_ca(dir, "root-ca", &ca)?;
                ca
            }
        };
        let root = root.with_revocation_urls(
            RevocationUrls::under(&pki_url, ROOT_CA_NAME)
                .map_err(|e| anyhow::anyhow!("{}: {e}", url_file.display()))?,
        );
        let bankid_ca = match load_ca(dir, "bankid-sim-ca")? {
            Some(ca) => ca,
            None => {
                let ca = root
                    .issue_sub_ca(
                        "BankID-simulator kund-CA",
                        "e-underskrift (lokalt läge)",
                        now,
                    )
                    .map_err(|e| anyhow::anyhow!("BankID CA: {e}"))?;
                save_ca(dir, "bankid-sim-ca", &ca)?;
                ca
            }
        };
        let bankid_ca = bankid_ca.with_revocation_urls(
            RevocationUrls::under(&pki_url, BANKID_CA_NAME)
                .map_err(|e| anyhow::anyhow!("{}: {e}", url_file.display()))?,
        );
        let tsa = std::sync::Arc::new(load_or_create_tsa(dir, &root)?);
        let revocation = Arc::new(
            RevocationService::new(Arc::new(JsonFileRevocations::new(dir.join(REVOKED_FILE))))
                .with_authority(ROOT_CA_NAME, root.clone())
                .and_then(|s| s.with_authority(BANKID_CA_NAME, bankid_ca.clone()))
                .map_err(|e| anyhow::anyhow!("revocation service: {e}"))?,
        );
        Ok(Self {
            dir: dir.to_path_buf(),
            root,
            bankid_ca,
            tsa,
            revocation,
            pki_url,
        })
    }

    /// Puts `serial` (hex) on the revocation list of `dir` (`DATA/pki`): the OCSP answers and
    /// CRLs say revoked from now on, also in a running `esign serve`. `reason` is a snake_case
    /// CRL reason (`key_compromise`, `superseded`, ...). `Ok(false)` if it was already there.
    pub fn revoke(dir: &Path, serial: &str, reason: Option<&str>) -> Result<bool> {
        let reason = match reason {
            None => None,
            Some(text) => Some(RevocationReason::parse(text).with_context(|| {
                format!(
                    "unknown reason {text:?} (unspecified, key_compromise, ca_compromise, \
                     affiliation_changed, superseded, cessation_of_operation)"
                )
            })?),
        };
        JsonFileRevocations::new(dir.join(REVOKED_FILE))
            .revoke(serial, Utc::now(), reason)
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))
    }

    /// Give the local timestamp authority of `dir` a new key and a certificate valid for
    /// `valid_years`; the old ones are kept beside it (`tsa-<serial>.pem`). Returns when the
    /// new certificate ends.
    pub fn rotate_tsa(dir: &Path, valid_years: u64) -> Result<chrono::DateTime<Utc>> {
        anyhow::ensure!(
            (1..=30).contains(&valid_years),
            "--valid-years must be 1 to 30"
        );
        let pki = Self::open_or_create(dir)?;
        let old = pki.tsa.certificate_chain_der();
        if let Some(leaf) = old.first() {
            let serial = esign_shared::x509::parse_cert(leaf)
                .map(|c| hex::encode(c.tbs_certificate.serial_number.as_bytes()))
                .unwrap_or_else(|_| "gammal".into());
            for (from, to) in [
                ("tsa.pem", format!("tsa-{serial}.pem")),
                ("tsa.key.pem", format!("tsa-{serial}.key.pem")),
            ] {
                std::fs::rename(dir.join(from), dir.join(to))?;
            }
        }
        let tsa = esign_world::tsa::LocalTsa::generate_for_years(
            &pki.root,
            std::slice::from_ref(&pki.root.cert_der),
            &tsa_subject(),
            Utc::now(),
            valid_years,
        )
        .map_err(|e| anyhow::anyhow!("local TSA: {e}"))?;
        save_tsa(dir, &tsa)?;
        let leaf = esign_shared::x509::parse_cert(&tsa.certificate_chain_der()[0])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        esign_shared::x509::not_after(&leaf).context("certificate without an end")
    }

    pub fn root_pem_path(&self) -> PathBuf {
        self.dir.join("root-ca.pem")
    }

    /// A seal certificate for `spki` (the tenant's key), as a PEM chain up to the root.
    pub fn seal_chain_pem(
        &self,
        tenant_name: &str,
        organization_number: Option<&str>,
        spki: &[u8],
    ) -> Result<String> {
        let cert = self
            .root
            .issue_seal_cert(
                &SubjectName {
                    common_name: format!("{tenant_name} elektroniskt sigill"),
                    organization: tenant_name.to_string(),
                    organization_identifier: organization_number
                        .map(|n| format!("NTRSE-{}", n.replace('-', ""))),
                    country: "SE".into(),
                },
                spki,
                Utc::now(),
            )
            .map_err(|e| anyhow::anyhow!("seal certificate: {e}"))?;
        Ok(format!(
            "{}{}",
            pem_encode_cert(&cert),
            pem_encode_cert(&self.root.cert_der)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esign_shared::revocation::{HttpRevocationSource, RevocationSource};

    fn has_aia(der: &[u8], url: &str) -> bool {
        // The URL is in the DER as an IA5String: enough to tell it is there.
        let needle = format!("{url}/ocsp");
        der.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn certificates_point_at_the_kept_url_and_old_data_dirs_keep_working() {
        let dir = tempfile::tempdir().unwrap();
        let pki =
            LocalPki::open_or_create_at(dir.path(), Some("http://127.0.0.1:9999/pki/")).unwrap();
        assert_eq!(pki.pki_url, "http://127.0.0.1:9999/pki");
        assert!(has_aia(
            &pki.tsa.certificate_chain_der()[0],
            "http://127.0.0.1:9999/pki"
        ));
        let again = LocalPki::open_or_create(dir.path()).unwrap();
        assert_eq!(again.pki_url, "http://127.0.0.1:9999/pki");
        let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_der(&key.public_key()).unwrap();
        let chain = again
            .seal_chain_pem("Åre kommun", None, spki.as_bytes())
            .unwrap();
        let seal = pem_decode_certs(&chain).unwrap();
        assert!(has_aia(&seal[0], "http://127.0.0.1:9999/pki"));
        assert!(LocalPki::open_or_create_at(dir.path(), Some("ftp://x")).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(PKI_URL_FILE)).unwrap(),
            "http://127.0.0.1:9999/pki\n"
        );

        // A data directory made before revocation URLs: its TSA certificate has none, and it
        // still opens and timestamps.
        let old = tempfile::tempdir().unwrap();
        let root = CertificateAuthority::create_root("Gammal rot", "Gammal", Utc::now()).unwrap();
        save_ca(old.path(), "root-ca", &root).unwrap();
        let tsa = esign_world::tsa::LocalTsa::generate(
            &root,
            std::slice::from_ref(&root.cert_der),
            &SubjectName {
                common_name: "Gammal TSA".into(),
                organization: "Gammal".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            Utc::now(),
        )
        .unwrap();
        let pem: String = tsa
            .certificate_chain_der()
            .iter()
            .map(|c| pem_encode_cert(c))
            .collect();
        std::fs::write(old.path().join("tsa.pem"), pem).unwrap();
        write_private(
            &old.path().join("tsa.key.pem"),
            &key_pem(&tsa.key_pkcs8_der()).unwrap(),
        )
        .unwrap();
        let opened = LocalPki::open_or_create(old.path()).unwrap();
        assert_eq!(opened.root.cert_der, root.cert_der);
        let tsa_cert = &opened.tsa.certificate_chain_der()[0];
        assert!(!has_aia(tsa_cert, DEFAULT_PKI_URL));
        assert_eq!(tsa_cert, &tsa.certificate_chain_der()[0]);
        // New certificates from the old root do get the URLs.
        assert!(opened.root.revocation_urls().is_some());
    }

    fn openssl_ocsp_status(dir: &Path, issuer: &[u8], leaf: &[u8], url: &str) -> String {
        std::fs::write(dir.join("issuer.pem"), pem_encode_cert(issuer)).unwrap();
        std::fs::write(dir.join("leaf.pem"), pem_encode_cert(leaf)).unwrap();
        let out = std::process::Command::new(
            std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into()),
        )
        .args(["ocsp", "-issuer"])
        .arg(dir.join("issuer.pem"))
        .arg("-cert")
        .arg(dir.join("leaf.pem"))
        .args(["-url", url, "-CAfile"])
        .arg(dir.join("issuer.pem"))
        .output()
        .expect("openssl missing: install it or set ESIGN_OPENSSL");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Response verify OK"), "{stdout}\n{stderr}");
        stdout
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serve_answers_for_its_seal_and_tsa_certificates_until_revoked() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let running = crate::LocalService::start(
            &data,
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            None,
        )
        .await
        .unwrap();
        running.service.ensure_default_tenant().await.unwrap();
        let pki = &running.service.pki;
        assert_eq!(pki.pki_url, format!("{}/pki", running.base_url));
        let seal_chain = pem_decode_certs(
            &std::fs::read_to_string(data.join("pki").join("seal-demo-chain.pem")).unwrap(),
        )
        .unwrap();
        let tsa_chain = pki.tsa.certificate_chain_der();
        let collector = HttpRevocationSource::new().unwrap();
        let mut found = collector.collect(&seal_chain).await.unwrap();
        found.extend(collector.collect(&tsa_chain).await.unwrap());
        assert_eq!(found.ocsp_responses.len(), 2);
        // The in-process source (commands that do not serve) agrees.
        let local = esign_shared::revocation::InProcessRevocation(pki.revocation.clone())
            .collect(&seal_chain)
            .await
            .unwrap();
        assert_eq!(local.ocsp_responses.len(), 1);

        let url = format!("{}/pki/ocsp", running.base_url);
        let (root, seal) = (pki.root.cert_der.clone(), seal_chain[0].clone());
        let work = tmp.path().to_path_buf();
        let status = {
            let (root, seal, url, work) = (root.clone(), seal.clone(), url.clone(), work.clone());
            tokio::task::spawn_blocking(move || openssl_ocsp_status(&work, &root, &seal, &url))
                .await
                .unwrap()
        };
        assert!(status.contains("leaf.pem: good"), "{status}");

        let serial = esign_shared::revocation::serial_hex(
            &esign_shared::x509::parse_cert(&seal)
                .unwrap()
                .tbs_certificate
                .serial_number,
        );
        assert!(LocalPki::revoke(&data.join("pki"), &serial, Some("key_compromise")).unwrap());
        assert!(!LocalPki::revoke(&data.join("pki"), &serial, None).unwrap());
        assert!(LocalPki::revoke(&data.join("pki"), &serial, Some("bored")).is_err());
        let err = collector.collect(&seal_chain).await.unwrap_err();
        assert_eq!(err.code(), "revocation.certificate_revoked");
        let status =
            tokio::task::spawn_blocking(move || openssl_ocsp_status(&work, &root, &seal, &url))
                .await
                .unwrap();
        assert!(status.contains("leaf.pem: revoked"), "{status}");
        // The TSA is not affected.
        collector.collect(&tsa_chain).await.unwrap();
        running.stop().await;
    }
}
