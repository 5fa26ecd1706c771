//! Building CMS SignedData for PAdES baseline B (reading it is `pdf::signed_data`'s), from
//! `cms` 0.2.3 structs by hand so the signature can come from an async signer (KMS). Signed
//! attributes: content-type (id-data), message-digest, signing-certificate-v2; never
//! signing-time (PAdES puts the time in /M).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::Certificate;

use crate::pdf::signed_data::{
    EssCertIdV2, IssuerSerial, SigningCertificateV2, ECDSA_WITH_SHA256,
    ID_AA_SIGNATURE_TIME_STAMP_TOKEN, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE, ID_DATA,
    ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNED_DATA, SHA256_WITH_RSA,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmsSignatureAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The signed attributes (DER-sorted SET) for a document digest and the signer certificate.
pub fn signed_attributes(
    document_digest: &[u8],
    signer_cert: &Certificate,
) -> Result<SignedAttributes, der::Error> {
    signed_attributes_for(ID_DATA, document_digest, signer_cert)
}

/// content-type (`content_type`), message-digest, signing-certificate-v2: the signed
/// attributes of a PAdES signature (id-data) or of a timestamp token (id-ct-TSTInfo).
pub fn signed_attributes_for(
    content_type: ObjectIdentifier,
    content_digest: &[u8],
    signer_cert: &Certificate,
) -> Result<SignedAttributes, der::Error> {
    let document_digest = content_digest;
    let cert_der = signer_cert.to_der()?;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(Sha256::digest(&cert_der).to_vec())?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    signer_cert.tbs_certificate.issuer.clone(),
                )],
                serial_number: signer_cert.tbs_certificate.serial_number.clone(),
            }),
        }],
        policies: None,
    };
    SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&content_type)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(document_digest.to_vec())?)?,
        )?,
        attribute(ID_AA_SIGNING_CERTIFICATE_V2, Any::encode_from(&ess)?)?,
    ])
}

/// The unsigned attributes of a B-T signature: the signature timestamp token (ContentInfo DER).
pub fn signature_timestamp_attributes(
    token_der: &[u8],
) -> Result<cms::signed_data::UnsignedAttributes, der::Error> {
    SetOfVec::try_from(vec![attribute(
        ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
        Any::from_der(token_der)?,
    )?])
}

/// Assemble the detached SignedData ContentInfo DER.
pub fn assemble(
    signed_attrs: SignedAttributes,
    signature: Vec<u8>,
    algorithm: CmsSignatureAlgorithm,
    chain: &[Certificate],
) -> Result<Vec<u8>, der::Error> {
    assemble_with_unsigned(signed_attrs, signature, algorithm, chain, None)
}

/// Assemble with optional unsigned attributes (the B-T signature timestamp).
pub fn assemble_with_unsigned(
    signed_attrs: SignedAttributes,
    signature: Vec<u8>,
    algorithm: CmsSignatureAlgorithm,
    chain: &[Certificate],
    unsigned_attrs: Option<cms::signed_data::UnsignedAttributes>,
) -> Result<Vec<u8>, der::Error> {
    let signer = chain.first().ok_or(der::ErrorKind::Failed)?;
    let signature_algorithm = match algorithm {
        CmsSignatureAlgorithm::EcdsaP256Sha256 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        CmsSignatureAlgorithm::RsaPkcs1Sha256 => AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(Any::null()),
        },
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs,
    };
    let mut certs: Vec<CertificateChoices> = Vec::new();
    for cert in chain {
        let choice = CertificateChoices::Certificate(cert.clone());
        if !certs.contains(&choice) {
            certs.push(choice);
        }
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()
}
