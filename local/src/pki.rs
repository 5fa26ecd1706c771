//! The local PKI, made on first run under `DATA/pki`: a root CA (the trust anchor a validator
//! needs: `DATA/pki/root-ca.pem`), a CA for the BankID simulator's user certificates, and a
//! seal certificate for each tenant's key.

use anyhow::{Context, Result};
use chrono::Utc;
use esign_shared::pki::{pem_decode_certs, pem_encode_cert, CertificateAuthority, SubjectName};
use p256::pkcs8::{der::pem::LineEnding, DecodePrivateKey, EncodePrivateKey};
use std::path::{Path, PathBuf};

pub struct LocalPki {
    dir: PathBuf,
    pub root: CertificateAuthority,
    pub bankid_ca: CertificateAuthority,
    /// The timestamp authority of the seals (PAdES B-T), certified by the root.
    pub tsa: std::sync::Arc<esign_shared::pdf::LocalTsa>,
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

fn load_or_create_tsa(
    dir: &Path,
    root: &CertificateAuthority,
) -> Result<esign_shared::pdf::LocalTsa> {
    use esign_shared::pdf::LocalTsa;
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
        &SubjectName {
            common_name: "e-underskrift lokal tidsstämpeltjänst".into(),
            organization: "e-underskrift (lokalt läge)".into(),
            organization_identifier: None,
            country: "SE".into(),
        },
        Utc::now(),
    )
    .map_err(|e| anyhow::anyhow!("local TSA: {e}"))?;
    let pem: String = tsa
        .certificate_chain_der()
        .iter()
        .map(|c| pem_encode_cert(c))
        .collect();
    std::fs::write(&cert, pem)?;
    write_private(&key, &key_pem(&tsa.key_pkcs8_der())?)?;
    Ok(tsa)
}

impl LocalPki {
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
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
        let tsa = std::sync::Arc::new(load_or_create_tsa(dir, &root)?);
        Ok(Self {
            dir: dir.to_path_buf(),
            root,
            bankid_ca,
            tsa,
        })
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
