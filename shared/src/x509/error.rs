//! Why a certificate, a path or a signature was refused: one typed error for every user of the
//! module, with a stable code and a Swedish and an English message.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    #[error("unreadable: {0}")]
    Malformed(String),
    #[error("no trust anchor was given")]
    NoTrustAnchor,
    #[error("no issuer of {subject} leads to a trust anchor")]
    UnknownIssuer { subject: String },
    #[error("the certificate path of {subject} holds a certificate that is not valid at {at}")]
    NotValidAt { subject: String, at: DateTime<Utc> },
    #[error("the certificate path of {subject} has an issuer that is not a CA (basicConstraints)")]
    IssuerNotCa { subject: String },
    #[error("{subject} is a CA certificate used as an end entity")]
    CaAsEndEntity { subject: String },
    #[error(
        "the certificate path of {subject} is longer than an issuer's pathLenConstraint allows"
    )]
    PathLength { subject: String },
    #[error("{subject} signed a certificate but its keyUsage lacks keyCertSign")]
    NoKeyCertSign { subject: String },
    #[error("the keyUsage of {subject} does not allow {purpose}")]
    KeyUsage {
        subject: String,
        purpose: &'static str,
    },
    #[error("the extended key usage of {subject} (or of an issuer) does not allow {purpose}")]
    ExtendedKeyUsage {
        subject: String,
        purpose: &'static str,
    },
    #[error("the certificate path of {subject} has an unknown critical extension")]
    CriticalExtension { subject: String },
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("a signature in the certificate path of {subject} does not verify")]
    BadSignature { subject: String },
    #[error("the certificate path of {subject} is invalid: {detail}")]
    Invalid { subject: String, detail: String },
}

impl crate::error::ErrorText for X509Error {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                X509Error::Malformed(_) => "x509.malformed",
                X509Error::NoTrustAnchor => "x509.no_trust_anchor",
                X509Error::UnknownIssuer { .. } => "x509.unknown_issuer",
                X509Error::NotValidAt { .. } => "x509.not_valid_at_time",
                X509Error::IssuerNotCa { .. } => "x509.issuer_not_ca",
                X509Error::CaAsEndEntity { .. } => "x509.ca_as_end_entity",
                X509Error::PathLength { .. } => "x509.path_length",
                X509Error::NoKeyCertSign { .. } => "x509.no_key_cert_sign",
                X509Error::KeyUsage { .. } => "x509.key_usage",
                X509Error::ExtendedKeyUsage { .. } => "x509.extended_key_usage",
                X509Error::CriticalExtension { .. } => "x509.unknown_critical_extension",
                X509Error::UnsupportedAlgorithm(_) => "x509.unsupported_algorithm",
                X509Error::BadSignature { .. } => "x509.bad_signature",
                X509Error::Invalid { .. } => "x509.invalid_path",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            X509Error::Malformed(d) => format!("Kan inte läsas: {d}"),
            X509Error::NoTrustAnchor => "Inget tillitsankare (rotcertifikat) har angetts.".into(),
            X509Error::UnknownIssuer { subject } => {
                format!("Ingen utfärdare av {subject} leder till ett betrott rotcertifikat.")
            }
            X509Error::NotValidAt { subject, at } => format!(
                "Certifikatkedjan för {subject} innehåller ett certifikat som inte är giltigt {}.",
                at.with_timezone(&chrono_tz::Europe::Stockholm).format("%Y-%m-%d %H:%M")
            ),
            X509Error::IssuerNotCa { subject } => format!(
                "Certifikatkedjan för {subject} har en utfärdare som inte är en certifikatutfärdare (basicConstraints)."
            ),
            X509Error::CaAsEndEntity { subject } => format!(
                "{subject} är ett utfärdarcertifikat och kan inte användas som slutanvändarcertifikat."
            ),
            X509Error::PathLength { subject } => format!(
                "Certifikatkedjan för {subject} är längre än en utfärdare tillåter (pathLenConstraint)."
            ),
            X509Error::NoKeyCertSign { subject } => format!(
                "{subject} har utfärdat ett certifikat men får inte signera certifikat (keyUsage saknar keyCertSign)."
            ),
            X509Error::KeyUsage { subject, purpose } => {
                format!("Nyckelanvändningen (keyUsage) för {subject} tillåter inte {purpose}.")
            }
            X509Error::ExtendedKeyUsage { subject, purpose } => format!(
                "Den utökade nyckelanvändningen för {subject} (eller en utfärdare) tillåter inte {purpose}."
            ),
            X509Error::CriticalExtension { subject } => format!(
                "Certifikatkedjan för {subject} har ett okänt kritiskt tillägg."
            ),
            X509Error::UnsupportedAlgorithm(d) => {
                format!("Signaturalgoritmen stöds inte: {d}")
            }
            X509Error::BadSignature { subject } => format!(
                "En signatur i certifikatkedjan för {subject} kan inte verifieras."
            ),
            X509Error::Invalid { subject, detail } => {
                format!("Certifikatkedjan för {subject} är ogiltig: {detail}")
            }
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;

    #[test]
    fn every_error_has_a_code_and_two_messages() {
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let s = || "CN=x".to_string();
        let all = [
            X509Error::Malformed("x".into()),
            X509Error::NoTrustAnchor,
            X509Error::UnknownIssuer { subject: s() },
            X509Error::NotValidAt { subject: s(), at },
            X509Error::IssuerNotCa { subject: s() },
            X509Error::CaAsEndEntity { subject: s() },
            X509Error::PathLength { subject: s() },
            X509Error::NoKeyCertSign { subject: s() },
            X509Error::KeyUsage {
                subject: s(),
                purpose: "p",
            },
            X509Error::ExtendedKeyUsage {
                subject: s(),
                purpose: "p",
            },
            X509Error::CriticalExtension { subject: s() },
            X509Error::UnsupportedAlgorithm("a".into()),
            X509Error::BadSignature { subject: s() },
            X509Error::Invalid {
                subject: s(),
                detail: "d".into(),
            },
        ];
        let mut codes: Vec<_> = all.iter().map(X509Error::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        for e in &all {
            assert!(e.code().starts_with("x509."));
            assert!(!e.message_sv().is_empty() && e.message_sv() != e.message_en());
        }
    }
}
