//! Integration tests of missive-core's invariants.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod properties;
