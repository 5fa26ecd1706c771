//! Every signature the service checks (certificates, CMS SignerInfos, OCSP responses, CRLs,
//! BankID's XMLDSig): RSA PKCS#1 v1.5 and PSS (2048 to 8192 bits), ECDSA P-256 and P-384, each
//! with SHA-256, SHA-384 or SHA-512. The arithmetic is ring's, through webpki's
//! algorithm objects (the same ones webpki uses for certificate paths), except ECDSA with
//! SHA-512, which ring does not offer: RustCrypto's `p256`/`p384` verify those two.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use rustls_pki_types::SignatureVerificationAlgorithm;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};
use sha2::{Digest, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use webpki::ring as ring_alg;
use x509_cert::Certificate;

use super::X509Error;

/// The hash of a signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The hash of a digestAlgorithm OID (SHA-1 and others are not accepted for signatures).
    pub fn from_oid(oid: ObjectIdentifier) -> Option<Hash> {
        match oid {
            o if o == ID_SHA256 => Some(Hash::Sha256),
            o if o == ID_SHA384 => Some(Hash::Sha384),
            o if o == ID_SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Hash::Sha256 => ID_SHA256,
            Hash::Sha384 => ID_SHA384,
            Hash::Sha512 => ID_SHA512,
        }
    }

    fn len(self) -> u32 {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// A signature scheme, whatever the structure that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    RsaPkcs1(Hash),
    /// RSASSA-PSS with MGF1 of the same hash and a salt as long as the hash.
    RsaPss(Hash),
    /// ECDSA; the signature is a DER Ecdsa-Sig-Value.
    Ecdsa(Hash),
}

pub(crate) const ID_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub(crate) const ID_SHA384: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
pub(crate) const ID_SHA512: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// RSASSA-PSS-params (RFC 4055 3.1); absent fields take the (SHA-1) defaults, which are refused.
#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

fn unsupported(what: impl std::fmt::Display) -> X509Error {
    X509Error::UnsupportedAlgorithm(what.to_string())
}

impl SignatureScheme {
    /// The scheme of a signatureAlgorithm. CMS SignerInfos may name only the key type
    /// (rsaEncryption, id-ecPublicKey) and give the hash as their digestAlgorithm: `digest`.
    pub fn from_algorithm(
        algorithm: &AlgorithmIdentifierOwned,
        digest: Option<ObjectIdentifier>,
    ) -> Result<SignatureScheme, X509Error> {
        let digest_hash = || {
            digest
                .and_then(Hash::from_oid)
                .ok_or_else(|| unsupported(format!("{} without a known digest", algorithm.oid)))
        };
        Ok(match algorithm.oid {
            o if o == SHA256_WITH_RSA => SignatureScheme::RsaPkcs1(Hash::Sha256),
            o if o == SHA384_WITH_RSA => SignatureScheme::RsaPkcs1(Hash::Sha384),
            o if o == SHA512_WITH_RSA => SignatureScheme::RsaPkcs1(Hash::Sha512),
            o if o == RSA_ENCRYPTION => SignatureScheme::RsaPkcs1(digest_hash()?),
            o if o == ECDSA_WITH_SHA256 => SignatureScheme::Ecdsa(Hash::Sha256),
            o if o == ECDSA_WITH_SHA384 => SignatureScheme::Ecdsa(Hash::Sha384),
            o if o == ECDSA_WITH_SHA512 => SignatureScheme::Ecdsa(Hash::Sha512),
            o if o == EC_PUBLIC_KEY => SignatureScheme::Ecdsa(digest_hash()?),
            o if o == RSASSA_PSS => SignatureScheme::RsaPss(pss_hash(algorithm)?),
            other => return Err(unsupported(other)),
        })
    }
}

/// The hash of RSASSA-PSS parameters that ring verifies: SHA-2, MGF1 with the same hash, a salt
/// as long as the hash, trailer 1.
fn pss_hash(algorithm: &AlgorithmIdentifierOwned) -> Result<Hash, X509Error> {
    let params = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| unsupported("RSASSA-PSS without parameters (SHA-1)"))?
        .to_der()
        .map_err(|e| unsupported(format!("RSASSA-PSS parameters: {e}")))?;
    let params = PssParams::from_der(&params)
        .map_err(|e| unsupported(format!("RSASSA-PSS parameters: {e}")))?;
    let hash = params
        .hash
        .as_ref()
        .and_then(|h| Hash::from_oid(h.oid))
        .ok_or_else(|| unsupported("RSASSA-PSS with a hash other than SHA-2"))?;
    let mgf_hash = params
        .mask_gen
        .as_ref()
        .filter(|m| m.oid == MGF1)
        .and_then(|m| m.parameters.as_ref())
        .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
        .map(|h| h.oid);
    if mgf_hash != Some(hash.oid())
        || params.salt_length != Some(hash.len())
        || params.trailer_field.unwrap_or(1) != 1
    {
        return Err(unsupported(
            "RSASSA-PSS other than MGF1 with the same hash and a salt of the hash's length",
        ));
    }
    Ok(hash)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

/// ECDSA with SHA-512 on P-256 or P-384 (RustCrypto; ring has no such algorithm).
#[derive(Debug)]
struct EcdsaSha512(Curve);

impl SignatureVerificationAlgorithm for EcdsaSha512 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use signature::hazmat::PrehashVerifier;
        let digest = Sha512::digest(message);
        let ok = match self.0 {
            Curve::P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                    .map_err(|_| InvalidSignature)?;
                let sig =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                key.verify_prehash(&digest, &sig).is_ok()
            }
            Curve::P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                    .map_err(|_| InvalidSignature)?;
                let sig =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                key.verify_prehash(&digest, &sig).is_ok()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Curve::P256 => alg_id::ECDSA_P256,
            Curve::P384 => alg_id::ECDSA_P384,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }
}

static ECDSA_P256_SHA512: &dyn SignatureVerificationAlgorithm = &EcdsaSha512(Curve::P256);
static ECDSA_P384_SHA512: &dyn SignatureVerificationAlgorithm = &EcdsaSha512(Curve::P384);

/// What webpki may use for certificate signatures in a path.
pub(super) static CERTIFICATE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    ring_alg::ECDSA_P256_SHA256,
    ring_alg::ECDSA_P256_SHA384,
    ECDSA_P256_SHA512,
    ring_alg::ECDSA_P384_SHA256,
    ring_alg::ECDSA_P384_SHA384,
    ECDSA_P384_SHA512,
    ring_alg::RSA_PKCS1_2048_8192_SHA256,
    ring_alg::RSA_PKCS1_2048_8192_SHA384,
    ring_alg::RSA_PKCS1_2048_8192_SHA512,
    ring_alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    ring_alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    ring_alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ring_alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    ring_alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    ring_alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// The algorithm object for `scheme` with a key of `spki`'s type.
fn algorithm_for(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: SignatureScheme,
) -> Result<&'static dyn SignatureVerificationAlgorithm, X509Error> {
    let curve = || {
        spki.algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .and_then(|c| match c {
                c if c == SECP256R1 => Some(Curve::P256),
                c if c == SECP384R1 => Some(Curve::P384),
                _ => None,
            })
    };
    let key = spki.algorithm.oid;
    let mismatch = || unsupported(format!("{scheme:?} with a key of type {key}"));
    Ok(match scheme {
        SignatureScheme::RsaPkcs1(hash) if key == RSA_ENCRYPTION => match hash {
            Hash::Sha256 => ring_alg::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha384 => ring_alg::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => ring_alg::RSA_PKCS1_2048_8192_SHA512,
        },
        SignatureScheme::RsaPss(hash) if key == RSA_ENCRYPTION => match hash {
            Hash::Sha256 => ring_alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            Hash::Sha384 => ring_alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            Hash::Sha512 => ring_alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        },
        SignatureScheme::Ecdsa(hash) if key == EC_PUBLIC_KEY => match (curve(), hash) {
            (Some(Curve::P256), Hash::Sha256) => ring_alg::ECDSA_P256_SHA256,
            (Some(Curve::P256), Hash::Sha384) => ring_alg::ECDSA_P256_SHA384,
            (Some(Curve::P256), Hash::Sha512) => ECDSA_P256_SHA512,
            (Some(Curve::P384), Hash::Sha256) => ring_alg::ECDSA_P384_SHA256,
            (Some(Curve::P384), Hash::Sha384) => ring_alg::ECDSA_P384_SHA384,
            (Some(Curve::P384), Hash::Sha512) => ECDSA_P384_SHA512,
            (None, _) => return Err(unsupported("an elliptic curve other than P-256 or P-384")),
        },
        _ => return Err(mismatch()),
    })
}

/// Verifies `signature` over `message` with the key of `spki` (DER SubjectPublicKeyInfo).
pub fn verify_with_spki_der(
    spki_der: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)
        .map_err(|e| X509Error::Malformed(format!("public key: {e}")))?;
    verify_with_spki(&spki, scheme, message, signature, "the signer")
}

fn verify_with_spki(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
    signer: &str,
) -> Result<(), X509Error> {
    let algorithm = algorithm_for(spki, scheme)?;
    algorithm
        .verify_signature(spki.subject_public_key.raw_bytes(), message, signature)
        .map_err(|_| X509Error::BadSignature {
            subject: signer.to_string(),
        })
}

/// Verifies `signature` over `message` with `signer`'s public key.
pub fn verify_with_certificate(
    signer: &Certificate,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    verify_with_spki(
        &signer.tbs_certificate.subject_public_key_info,
        scheme,
        message,
        signature,
        &signer.tbs_certificate.subject.to_string(),
    )
}

/// Whether `issuer`'s name is `cert`'s issuer and its key made `cert`'s signature. Only that:
/// whether `issuer` may issue certificates at all is path validation's business.
pub fn is_issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let (Ok(tbs), Some(signature)) = (cert.tbs_certificate.to_der(), cert.signature.as_bytes())
    else {
        return false;
    };
    SignatureScheme::from_algorithm(&cert.signature_algorithm, None)
        .and_then(|scheme| verify_with_certificate(issuer, scheme, &tbs, signature))
        .is_ok()
}

/// The DER Ecdsa-Sig-Value of a fixed-size r‖s signature (XMLDSig's form) on P-256 or P-384.
pub fn ecdsa_fixed_to_der(fixed: &[u8]) -> Option<Vec<u8>> {
    match fixed.len() {
        64 => p256::ecdsa::Signature::from_slice(fixed)
            .ok()
            .map(|s| s.to_der().as_bytes().to_vec()),
        96 => p384::ecdsa::Signature::from_slice(fixed)
            .ok()
            .map(|s| s.to_der().as_bytes().to_vec()),
        _ => None,
    }
}
