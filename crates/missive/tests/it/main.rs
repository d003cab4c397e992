//! Integration tests of the `missive` binary, driven through its command line as a user would.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod browser;
mod common;
mod copy_from_browser;
mod demo;
mod letter_flow;
mod renditions;
mod serve;
mod signers;
mod snapshots;
mod verify;
