//! The simulator's `completionData.signature`: XMLDSig in the exact form BankID emits
//! (already inclusive-C14N canonical: explicit end tags, no whitespace between elements,
//! referenced elements re-declare their default namespace), so hashing raw bytes works.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use p256::ecdsa::{Signature, SigningKey};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use signature::Signer;

use esign_shared::bankid::evidence::{BANKID_NS, C14N, ECDSA_SHA256, SHA256_DIGEST, XMLDSIG_NS};

/// What goes into `bankIdSignedData`.
pub(crate) struct SignedDataInput<'a> {
    /// The base64 text the RP sent, copied verbatim (the WYSIWYS binding).
    pub usr_visible_data: Option<&'a str>,
    pub usr_non_visible_data: Option<&'a str>,
    /// RP certificate subject as BankID prints it (`cn=…,serialNumber=…,o=…,c=SE`).
    pub rp_name: &'a str,
    pub rp_display_name: &'a str,
    /// `Identification` for auth, `Signing` for sign.
    pub func_id: &'a str,
    pub uhi: &'a str,
    pub certificate_policy: &'a str,
}

/// Escapes text content; every value here is base64 or ASCII, this is only a safety net.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn b64(text: &str) -> String {
    BASE64.encode(text.as_bytes())
}

pub(crate) fn bankid_signed_data(input: &SignedDataInput<'_>) -> String {
    let mut nonce = [0u8; 20];
    OsRng.fill_bytes(&mut nonce);
    let mut xml = format!("<bankIdSignedData xmlns=\"{BANKID_NS}\" Id=\"bidSignedData\">");
    if let Some(visible) = input.usr_visible_data {
        xml.push_str(&format!(
            "<usrVisibleData charset=\"UTF-8\" visible=\"wysiwys\">{}</usrVisibleData>",
            escape(visible)
        ));
    }
    if let Some(non_visible) = input.usr_non_visible_data {
        xml.push_str(&format!(
            "<usrNonVisibleData>{}</usrNonVisibleData>",
            escape(non_visible)
        ));
    }
    let version = format!(
        "Personal=10.4.0&BankID_exe=10.4.0&BISP=10.4.0&platform=ios&os_version=17.5&display_version=10.4.0&uhi={}&best_before=0&",
        input.uhi
    );
    xml.push_str(&format!(
        "<srvInfo><name>{}</name><nonce>{}</nonce><displayName>{}</displayName></srvInfo>",
        b64(input.rp_name),
        BASE64.encode(nonce),
        b64(input.rp_display_name)
    ));
    xml.push_str(&format!(
        "<clientInfo><funcId>{}</funcId><version>{}</version><env><ai><type>{}</type><deviceInfo>{}</deviceInfo><uhi>{}</uhi><fsib>0</fsib><utb>cs1</utb><requirement><condition><type>CertificatePolicies</type><value>{}</value></condition></requirement><uauth>pw</uauth></ai></env></clientInfo>",
        escape(input.func_id),
        b64(&version),
        b64("IOS"),
        b64("17.5"),
        escape(input.uhi),
        escape(input.certificate_policy)
    ));
    xml.push_str("</bankIdSignedData>");
    xml
}

pub(crate) fn key_info(cert_chain_der: &[Vec<u8>]) -> String {
    let mut xml = format!("<KeyInfo xmlns=\"{XMLDSIG_NS}\" Id=\"bidKeyInfo\"><X509Data>");
    for cert in cert_chain_der {
        xml.push_str(&format!(
            "<X509Certificate>{}</X509Certificate>",
            BASE64.encode(cert)
        ));
    }
    xml.push_str("</X509Data></KeyInfo>");
    xml
}

fn reference(uri: &str, type_attr: Option<&str>, element: &str) -> String {
    let digest = BASE64.encode(Sha256::digest(element.as_bytes()));
    let type_attr = type_attr
        .map(|t| format!(" Type=\"{t}\""))
        .unwrap_or_default();
    format!(
        "<Reference{type_attr} URI=\"{uri}\"><Transforms><Transform Algorithm=\"{C14N}\"></Transform></Transforms><DigestMethod Algorithm=\"{SHA256_DIGEST}\"></DigestMethod><DigestValue>{digest}</DigestValue></Reference>"
    )
}

/// The whole document, signed with the user's P-256 key (ECDSA-SHA256, raw r||s as XMLDSig wants).
pub(crate) fn signature_document(
    input: &SignedDataInput<'_>,
    user_cert_chain_der: &[Vec<u8>],
    user_key: &SigningKey,
) -> String {
    let signed_data = bankid_signed_data(input);
    let key_info = key_info(user_cert_chain_der);
    let signed_info = format!(
        "<SignedInfo xmlns=\"{XMLDSIG_NS}\"><CanonicalizationMethod Algorithm=\"{C14N}\"></CanonicalizationMethod><SignatureMethod Algorithm=\"{ECDSA_SHA256}\"></SignatureMethod>{}{}</SignedInfo>",
        reference("#bidSignedData", Some(BANKID_NS), &signed_data),
        reference("#bidKeyInfo", None, &key_info)
    );
    let signature: Signature = user_key.sign(signed_info.as_bytes());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><Signature xmlns=\"{XMLDSIG_NS}\">{signed_info}<SignatureValue>{}</SignatureValue>{key_info}<Object>{signed_data}</Object></Signature>",
        BASE64.encode(signature.to_bytes())
    )
}
