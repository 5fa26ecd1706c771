//! `esign seal-key`: a tenant's seal key in AWS KMS, from certificate request to installed
//! chain. The key never leaves KMS: the CSR is signed by KMS (`Sign`, `MessageType=RAW`), and
//! the chain the CA issues is installed only if its leaf carries the KMS key's public key.
//!
//! AWS is reached as the SDK does by default (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`);
//! the KMS calls are `GetPublicKey` and `Sign` only.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use der::asn1::BitString;
use der::{Decode, Encode};
use esign_shared::adapters::aws::kms_signer::{
    certificate_spki, signature_verifies, KmsKeyInfo, KmsKeySigner, KmsSignerSettings,
};
use esign_shared::adapters::aws::{sdk_config, AwsSettings};
use esign_shared::error::ErrorText;
use esign_shared::ports::KeyAlgorithm;
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};

#[derive(clap::Subcommand)]
pub enum SealKeyCommand {
    /// A PKCS#10 certificate request for a KMS key, signed by KMS: send it to the CA.
    Csr {
        /// KMS key id, ARN or alias (e.g. alias/esign-seal-orebro).
        #[arg(long)]
        kms_key_id: String,
        /// The seal's subject, RFC 4514, e.g. "CN=Örebro kommun sigill,O=Örebro kommun,C=SE".
        #[arg(long)]
        subject: String,
        /// Where to write the PEM request (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Install the chain the CA issued (PEM, seal certificate first) for a tenant, after
    /// checking that the seal certificate is for the KMS key.
    ImportChain {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        chain: PathBuf,
        #[arg(long)]
        kms_key_id: String,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
}

pub async fn run(command: SealKeyCommand) -> Result<()> {
    let sdk = sdk_config(&AwsSettings::from_env()).await;
    match command {
        SealKeyCommand::Csr {
            kms_key_id,
            subject,
            out,
        } => {
            let kms = KmsKeySigner::new(&sdk, KmsSignerSettings::default())
                .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
            let (pem, key) = csr(&kms, &kms_key_id, &subject).await?;
            match out {
                Some(path) => std::fs::write(&path, &pem)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{pem}"),
            }
            eprintln!(
                "public key SHA-256 (compare with the certificate): {}",
                hex::encode(sha2::Sha256::digest(&key.spki))
            );
            Ok(())
        }
        SealKeyCommand::ImportChain {
            tenant,
            chain,
            kms_key_id,
            data,
        } => {
            let pem = std::fs::read_to_string(&chain)
                .with_context(|| format!("reading {}", chain.display()))?;
            import_chain(&sdk, &data, &tenant, &pem, &kms_key_id).await?;
            println!("seal chain installed for {tenant} (KMS key {kms_key_id})");
            Ok(())
        }
    }
}

/// The subject from RFC 4514 text: countryName becomes PrintableString, the rest UTF8String.
pub fn parse_subject(subject: &str) -> Result<Name> {
    let name = Name::from_str(subject.trim())
        .map_err(|e| anyhow::anyhow!("invalid --subject {subject:?}: {e}"))?;
    if name.0.is_empty() {
        bail!("--subject is empty");
    }
    let has_cn = name.0.iter().any(|rdn| {
        rdn.0
            .iter()
            .any(|atv| atv.oid == const_oid::db::rfc4519::CN)
    });
    if !has_cn {
        bail!("--subject needs a CN (common name)");
    }
    Ok(name)
}

/// The PEM certificate request for `kms_key_id`, signed by that key in KMS, and the key.
/// It asks for keyUsage digitalSignature + nonRepudiation (what validators want of a seal).
pub async fn csr(
    kms: &KmsKeySigner,
    kms_key_id: &str,
    subject: &str,
) -> Result<(String, KmsKeyInfo)> {
    let subject = parse_subject(subject)?;
    let key = kms
        .key_info(kms_key_id)
        .await
        .map_err(esign_local::user_error)?;
    let public_key = SubjectPublicKeyInfoOwned::from_der(&key.spki)
        .context("KMS returned an unreadable public key")?;
    let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
    let extension = x509_cert::ext::Extension {
        extn_id: const_oid::db::rfc5280::ID_CE_KEY_USAGE,
        critical: true,
        extn_value: der::asn1::OctetString::new(usage.to_der()?)?,
    };
    let attributes = der::asn1::SetOfVec::try_from(vec![x509_cert::attr::Attribute::try_from(
        ExtensionReq(vec![extension]),
    )?])?;
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key,
        attributes,
    };
    let tbs = info.to_der()?;
    let signature = kms
        .sign_with(&key, &tbs)
        .await
        .map_err(esign_local::user_error)?;
    // Checked here too: a request the CA rejects costs a round trip with a person.
    if !signature_verifies(&key, &tbs, &signature) {
        bail!("KMS returned a signature that does not verify with the key's public key");
    }
    let req = CertReq {
        info,
        algorithm: signature_algorithm(key.algorithm)?,
        signature: BitString::from_bytes(&signature)?,
    };
    let pem = der::pem::encode_string(
        "CERTIFICATE REQUEST",
        der::pem::LineEnding::LF,
        &req.to_der()?,
    )
    .map_err(|e| anyhow::anyhow!("PEM: {e}"))?;
    Ok((pem, key))
}

fn signature_algorithm(a: KeyAlgorithm) -> Result<AlgorithmIdentifierOwned> {
    Ok(match a {
        // RFC 5758: ecdsa-with-SHA256, parameters absent.
        KeyAlgorithm::EcdsaP256Sha256 => AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        },
        // RFC 4055: sha256WithRSAEncryption, parameters NULL.
        KeyAlgorithm::RsaPkcs1Sha256 => AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        },
    })
}

/// Check `chain_pem` (seal certificate first, then its CAs, each issued by the next) against
/// the KMS key, then install it as the tenant's seal chain: in the tenant record, through the
/// same use case that checks it against the tenant's key, with the tenant's seal key id
/// (`seal-<tenant>`) standing for this KMS key, and beside the trust anchor as
/// `DATA/pki/seal-<tenant>-chain.pem`.
pub async fn import_chain(
    sdk: &aws_config::SdkConfig,
    data: &Path,
    tenant: &str,
    chain_pem: &str,
    kms_key_id: &str,
) -> Result<()> {
    let t = esign_shared::domain::TenantId::parse(tenant)
        .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
    let certs = esign_shared::x509::pem_decode_certs(chain_pem)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.code(), e.message_en()))?;
    let leaf = certs
        .first()
        .context("the chain file holds no certificate")?;
    check_links(&certs)?;

    let probe =
        KmsKeySigner::new(sdk, KmsSignerSettings::default()).map_err(esign_local::user_error)?;
    let key = probe
        .key_info(kms_key_id)
        .await
        .map_err(esign_local::user_error)?;
    let seal_key_id = format!("seal-{t}");
    let mut settings = KmsSignerSettings {
        algorithm: key.algorithm,
        ..KmsSignerSettings::default()
    };
    settings
        .key_ids
        .insert(seal_key_id.clone(), kms_key_id.to_string());
    let kms = Arc::new(KmsKeySigner::new(sdk, settings).map_err(esign_local::user_error)?);
    if certificate_spki(leaf).map_err(esign_local::user_error)? != key.spki {
        return Err(esign_local::user_error(
            esign_shared::adapters::aws::kms_signer::KmsSignerError::CertificateMismatch {
                key: kms_key_id.to_string(),
            },
        ));
    }

    let service = esign_local::LocalService::open(data, "http://127.0.0.1:0")?;
    let mut ports = service.ports.clone();
    ports.keys = kms;
    let app = esign_shared::app::App::new(ports, service.app.settings().clone());
    app.tenants
        .install_seal_chain(&t, chain_pem)
        .await
        .map_err(esign_local::user_error)?;
    std::fs::write(
        data.join("pki").join(format!("seal-{t}-chain.pem")),
        chain_pem,
    )?;
    Ok(())
}

/// Each certificate must be issued by the next one (by name): a chain out of order or with a
/// gap would install fine and fail every validator later.
fn check_links(certs: &[Vec<u8>]) -> Result<()> {
    let parsed = certs
        .iter()
        .map(|d| x509_cert::Certificate::from_der(d))
        .collect::<std::result::Result<Vec<_>, _>>()
        .context("a certificate in the chain is unreadable")?;
    for pair in parsed.windows(2) {
        if pair[0].tbs_certificate.issuer != pair[1].tbs_certificate.subject {
            bail!(
                "the chain is out of order: {} is not issued by {}",
                pair[0].tbs_certificate.subject,
                pair[1].tbs_certificate.subject
            );
        }
    }
    Ok(())
}
