//! Reading CMS SignedData (RFC 5652) as PAdES uses it: the OIDs and ESS structures both the
//! signing and the validating side name, the lenient SignedData decoder, the certificates and
//! signed attributes of a signature, and (in `signer`) which certificate signed and whether its
//! signature holds. Neutral ground: `sign` and `validate` both build on it, not on each other.

mod signer;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode, Tagged};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

pub(crate) use signer::{
    find_signer_cert, signer_signature_ok, verify_ecdsa_p256, verify_rsa_pkcs1_sha256,
};

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// ESSCertIDv2 (RFC 5035); hashAlgorithm omitted when SHA-256 (DER default).
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
pub struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
pub struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// SigningCertificateV2 without policies.
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
pub struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    pub policies: Option<Any>,
}

/// id-aa-signatureTimeStampToken (RFC 3161 appendix A; ETSI EN 319 122-1).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// Parse a ContentInfo from /Contents bytes, ignoring the zero padding after the DER.
pub fn parse_signed_data(contents: &[u8]) -> Result<SignedData, der::Error> {
    let mut reader = der::SliceReader::new(contents)?;
    let info: ContentInfo = der::Decode::decode(&mut reader)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(der::ErrorKind::Failed.into());
    }
    decode_signed_data_lenient(&info.content)
}

/// Decode SignedData, tolerating a certificate set with duplicates (which `openssl ts -reply`
/// emits when the signer certificate is also in `certs`, and which `der`'s SET OF refuses):
/// duplicates are dropped. CRLs inside the CMS are ignored in that fallback. Neither is
/// covered by the signature, so nothing signed changes.
pub fn decode_signed_data_lenient(content: &Any) -> Result<SignedData, der::Error> {
    use cms::content_info::CmsVersion;
    use cms::signed_data::DigestAlgorithmIdentifiers;
    use der::{Reader, TagNumber};
    let strict = content.decode_as::<SignedData>();
    if strict.is_ok() || content.tag() != der::Tag::Sequence {
        return strict;
    }
    let mut reader = der::SliceReader::new(content.value())?;
    let version: CmsVersion = reader.decode()?;
    let digest_algorithms: DigestAlgorithmIdentifiers = reader.decode()?;
    let encap_content_info: EncapsulatedContentInfo = reader.decode()?;
    let mut certs: Vec<CertificateChoices> = Vec::new();
    let mut had_certs = false;
    loop {
        let tag = reader.peek_tag()?;
        let field: Any = match tag {
            der::Tag::ContextSpecific { number, .. }
                if number == TagNumber::N0 || number == TagNumber::N1 =>
            {
                reader.decode()?
            }
            _ => break,
        };
        if matches!(
            tag,
            der::Tag::ContextSpecific {
                number: TagNumber::N0,
                ..
            }
        ) {
            had_certs = true;
            let mut inner = der::SliceReader::new(field.value())?;
            while !inner.is_finished() {
                let item: Any = inner.decode()?;
                let choice = CertificateChoices::from_der(&item.to_der()?)?;
                if !certs.contains(&choice) {
                    certs.push(choice);
                }
            }
        }
    }
    let signer_infos: SignerInfos = reader.decode()?;
    reader.finish(())?;
    Ok(SignedData {
        version,
        digest_algorithms,
        encap_content_info,
        certificates: if had_certs {
            Some(CertificateSet(SetOfVec::try_from(certs)?))
        } else {
            None
        },
        crls: None,
        signer_infos,
    })
}

/// Decode a certificate choice list into X.509 certificates (other formats ignored).
pub fn certificates_of(signed_data: &SignedData) -> Vec<Certificate> {
    signed_data
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(cert) => Some(cert.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Helper for verify: decode the single value of a signed attribute.
pub fn attribute_value(attrs: &SignedAttributes, oid: ObjectIdentifier) -> Vec<&Any> {
    attrs
        .iter()
        .filter(|a| a.oid == oid)
        .flat_map(|a| a.values.iter())
        .collect()
}

/// Re-export for callers that only need to parse.
pub fn parse_cert(der: &[u8]) -> Result<Certificate, der::Error> {
    Certificate::from_der(der)
}
