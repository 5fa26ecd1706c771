//! Where files lie in the object store: everything of a tenant under `tenants/<t>/`, what the
//! public may read under `public/<t>/` (the AWS adapter routes that prefix to the public bucket),
//! and the packages delivered for the tenant's e-archive under `exports/<t>/`.

use crate::domain::{DocumentId, OrderId, SignerId, TenantId};

/// The files the pipeline makes for an order, by the name they have in its folder.
pub const ARCHIVE_VERSION: &str = "archive.pdf";
pub const PUBLICATION_VERSION: &str = "publication.pdf";
pub const NOTICE_JSON: &str = "notice.json";
pub const NOTICE_HTML: &str = "notice.html";
pub const ARCHIVE_PACKAGE: &str = "sip.zip";

/// Every file an order's folder may hold, in the order the secretary's view lists them.
pub const ORDER_FILES: [&str; 5] = [
    ARCHIVE_VERSION,
    PUBLICATION_VERSION,
    NOTICE_JSON,
    NOTICE_HTML,
    ARCHIVE_PACKAGE,
];

pub fn original(t: &TenantId, d: &DocumentId) -> String {
    format!("tenants/{t}/documents/{d}/original.pdf")
}

pub fn order_file(t: &TenantId, o: OrderId, name: &str) -> String {
    format!("tenants/{t}/orders/{o}/{name}")
}

/// One BankID signature's evidence: named by the BankID order it came from, so a second
/// attempt by the same signer never overwrites evidence that counts.
pub fn evidence(
    t: &TenantId,
    o: OrderId,
    version: u32,
    s: SignerId,
    bankid_order_ref: &str,
) -> String {
    let order_ref: String = bankid_order_ref
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("tenants/{t}/orders/{o}/v{version}/evidence/{s}-{order_ref}.json")
}

/// Where every evidence file of one signer for one version of an order lies (a prefix of
/// [`evidence`]).
pub fn evidence_prefix(t: &TenantId, o: OrderId, version: u32, s: SignerId) -> String {
    format!("tenants/{t}/orders/{o}/v{version}/evidence/{s}-")
}

/// Where the e-archive collects a tenant's packages: the package, and its manifest (written
/// after it: a package is complete once its manifest is there).
pub fn export_package(t: &TenantId, package_id: &str) -> String {
    format!("exports/{t}/{package_id}.zip")
}

pub fn export_manifest(t: &TenantId, package_id: &str) -> String {
    format!("exports/{t}/{package_id}.json")
}

/// The tenant's anslagstavla and the files its notices link to.
pub fn public(t: &TenantId, name: &str) -> String {
    format!("public/{t}/anslag/{name}")
}

/// Everything of a tenant, private and public: what tests compare to show a duplicate
/// delivery changed nothing.
pub fn tenant_prefixes(t: &TenantId) -> [String; 2] {
    [format!("tenants/{t}/"), format!("public/{t}/")]
}
