//! Being assembled.
