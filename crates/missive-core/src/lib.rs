//! Missive's core: letters, canonical text, organization keys, the coalition roster, signing
//! and verification. Pure and synchronous — no async runtime, no database, no HTTP — so every
//! other part (publisher, server, a second verifier) can rely on it.

pub mod bundle;
pub mod canonical;
pub mod claim;
pub mod diff;
pub mod html_text;
pub mod ids;
pub mod keys;
pub mod lang;
pub mod letter;
pub mod markdown;
pub mod roster;
pub mod short_code;
pub mod signed_text;
pub mod signing;
pub mod verify;

pub use canonical::{CanonicalText, TextHash, canonicalize};
pub use ids::{LetterId, MemberId};
pub use keys::{Fingerprint, Password, PublicKey, SecretKey};
pub use lang::LanguageTag;
pub use letter::{Letter, Translation};
pub use roster::{Member, Roster};
pub use short_code::ShortCode;
