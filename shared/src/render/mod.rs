//! What the pipeline publishes as pages: the notice of a justering and the tenant's
//! anslagstavla. Pure functions of the domain's notice, below the use cases that store them
//! and the web layer that serves them.

mod anslagstavla;
mod feeds;
mod notice;

pub use anslagstavla::{anslagstavla_html, archive_index_html, archive_year_html, embed_html};
pub use feeds::{atom_feed, json_feed, BoardAddress, ANSLAG_NS};
pub use notice::{escape_html, render_notice_html};
