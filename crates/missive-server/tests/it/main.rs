//! Integration tests of the server, driven in process through the router
//! (`tower::ServiceExt::oneshot`) against a real SQLite store in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod confirmation;
mod helpers;
mod reload;
mod serving;
mod signing;
