//! Turns a signed letter into a bundle of renditions: the single-file page, the signed text,
//! cards, leaflets, QR codes and feeds. It builds files in memory and never talks to a
//! database or the network; [`bundle::Bundle::write_to`] puts them on disk in one atomic step.

pub mod bundle;
pub mod page;
pub mod renditions;
pub mod strings;

pub use bundle::{Bundle, PublishError, PublishOptions, build};
