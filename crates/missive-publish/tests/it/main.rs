//! Integration tests of missive-publish, in one binary (links faster).

mod renditions;
