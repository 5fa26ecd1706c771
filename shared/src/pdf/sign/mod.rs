//! Making signatures: the PAdES seal (B-B up to B-LTA) with its CMS, the long-term validation
//! data it embeds, and a software signer for local mode and tests. Reads CMS through
//! [`super::signed_data`]; never imports the validating side ([`super::validate`]).

pub mod cms_build;
mod doc_timestamp;
mod error;
pub mod extend;
mod field;
pub mod ltv;
mod placeholder;
pub mod seal;
pub mod software_signer;
