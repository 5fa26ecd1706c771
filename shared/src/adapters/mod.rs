//! Adapters behind the ports. `embedded`: one machine, no cloud (the default).

#[cfg(feature = "embedded")]
pub mod embedded;
