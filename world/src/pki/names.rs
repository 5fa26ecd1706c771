//! Names in the local PKI's certificates: UTF8String for what people read (so åäö survive),
//! PrintableString for countryName and serialNumber, as RFC 5280 / X.520 require.

use der::asn1::{Any, SetOfVec};
use der::Tag;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use super::PkiError;

/// organizationIdentifier (X.520, 2.5.4.97).
pub(super) const ORGANIZATION_IDENTIFIER: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.4.97");

pub(super) fn ca_name(common_name: &str, organization: &str) -> Result<Name, PkiError> {
    Ok(Name::from(RdnSequence(vec![
        printable_rdn(const_oid::db::rfc4519::C, "SE")?,
        utf8_rdn(const_oid::db::rfc4519::O, organization)?,
        utf8_rdn(const_oid::db::rfc4519::CN, common_name)?,
    ])))
}

pub(super) fn utf8_rdn(
    oid: der::asn1::ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    if value.is_empty() || value.len() > 256 {
        return Err(PkiError::InvalidName(format!(
            "{oid}: value must be 1..256 bytes"
        )));
    }
    rdn(oid, Tag::Utf8String, value)
}

pub(super) fn printable_rdn(
    oid: der::asn1::ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let printable = |c: char| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c);
    if value.is_empty() || value.len() > 64 || !value.chars().all(printable) {
        return Err(PkiError::InvalidName(format!(
            "{oid}: {value:?} is not a PrintableString"
        )));
    }
    rdn(oid, Tag::PrintableString, value)
}

fn rdn(
    oid: der::asn1::ObjectIdentifier,
    tag: Tag,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let any = Any::new(tag, value.as_bytes()).map_err(|e| PkiError::InvalidName(e.to_string()))?;
    let atv = AttributeTypeAndValue { oid, value: any };
    let set = SetOfVec::try_from(vec![atv]).map_err(|e| PkiError::InvalidName(e.to_string()))?;
    Ok(RelativeDistinguishedName(set))
}
