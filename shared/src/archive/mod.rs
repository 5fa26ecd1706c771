pub mod sip;
pub use sip::*;
