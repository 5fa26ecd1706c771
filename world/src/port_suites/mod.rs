//! `esign-shared`'s port behaviour suites (`esign_shared::port_tests`) run against the
//! adapters that need the local world: the BankID client against the simulator, the
//! timestamp clients against our TSA and `openssl ts`, the revocation sources against our
//! responder. Here the world and the suites share one copy of `esign-shared`, so its traits
//! and types meet without conversion.

mod eid;
mod revocation;
mod timestamp;
