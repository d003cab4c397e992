//! Integration tests of missive-store, in one binary: the storage contract, run against
//! SQLite always and PostgreSQL when `MISSIVE_TEST_POSTGRES_URL` is set; and opening rules.

// Tests may panic on what they set up themselves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod contract;
mod open;
mod secret;
