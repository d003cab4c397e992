//! Organization keys: minisign Ed25519 key pairs, one per organization, in files stock
//! `minisign` reads. Secret keys and passwords never appear in `Debug`, logs or errors.

use std::fmt;
use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// A secret key's password. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(password: String) -> Self {
        Self(password)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn reveal(&self) -> String {
        self.0.clone()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

/// What can go wrong with a key. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("wrong password for this secret key (or the key file is damaged)")]
    WrongPassword,
    #[error("this secret key is password-protected: give its password")]
    PasswordRequired,
    #[error("not a minisign {expected} key: {reason}")]
    Corrupt {
        expected: &'static str,
        reason: String,
    },
    #[error("could not make a key pair: {0}")]
    Generate(String),
    #[error("could not sign: {0}")]
    Sign(String),
}

/// An organization's public key.
#[derive(Clone)]
pub struct PublicKey(minisign::PublicKey);

impl PublicKey {
    /// Parses the base64 form (`RW…`, 56 characters).
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let encoded = encoded.trim();
        let bytes = BASE64.decode(encoded).map_err(|err| KeyError::Corrupt {
            expected: "public",
            reason: format!("not base64 ({err})"),
        })?;
        if bytes.len() != 42 || &bytes[..2] != b"Ed" {
            return Err(KeyError::Corrupt {
                expected: "public",
                reason: "wrong length or algorithm (expected an Ed25519 minisign key)".to_owned(),
            });
        }
        minisign::PublicKey::from_base64(encoded)
            .map(Self)
            .map_err(|err| KeyError::Corrupt {
                expected: "public",
                reason: err.to_string(),
            })
    }

    /// Parses a `.pub` file (an untrusted comment line and the key), or a bare key line.
    pub fn from_file_text(text: &str) -> Result<Self, KeyError> {
        let key_line = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("untrusted comment:"))
            .ok_or_else(|| KeyError::Corrupt {
                expected: "public",
                reason: "the file holds no key line".to_owned(),
            })?;
        Self::from_base64(key_line)
    }

    /// The `.pub` file stock minisign reads.
    pub fn to_file_text(&self, org: &str) -> String {
        format!(
            "untrusted comment: minisign public key {} for {} (fingerprint {})\n{}\n",
            self.key_id(),
            one_line(org),
            self.fingerprint(),
            self.to_base64()
        )
    }

    pub fn to_base64(&self) -> String {
        self.0.to_base64()
    }

    /// minisign's key id, as `minisign` prints it (16 hex digits). Chosen at random when the
    /// key is made, so it identifies but does not authenticate: compare fingerprints.
    pub fn key_id(&self) -> String {
        key_id_hex(self.0.keynum())
    }

    /// The key's fingerprint: the first 16 bytes of SHA-256 over the decoded public key
    /// (algorithm, key id, Ed25519 key), as eight groups of four upper-case hex digits.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::digest(self.0.to_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Fingerprint(bytes)
    }

    pub(crate) fn minisign(&self) -> &minisign::PublicKey {
        &self.0
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bytes() == other.0.to_bytes()
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

fn key_id_hex(keynum: &[u8]) -> String {
    // minisign prints the little-endian key number as a big-endian hex integer.
    keynum.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// A public key's fingerprint; see [`PublicKey::fingerprint`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 16]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks(2).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{:02X}{:02X}", pair[0], pair[1])?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// An organization's secret key, decrypted and ready to sign. `Debug` shows only its key id.
pub struct SecretKey {
    secret: minisign::SecretKey,
    public: PublicKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(key id {}, redacted)", self.public.key_id())
    }
}

/// A new key pair as file contents: `secret` for ORG.key, `public` for ORG.pub.
pub struct NewKeyPair {
    pub secret_file: String,
    pub public_file: String,
    pub public: PublicKey,
}

impl fmt::Debug for NewKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKeyPair")
            .field("secret_file", &"redacted")
            .field("public", &self.public)
            .finish()
    }
}

/// Makes a key pair for `org`, encrypted with `password` unless it is `None`.
pub fn generate(org: &str, password: Option<&Password>) -> Result<NewKeyPair, KeyError> {
    let pair = match password {
        Some(password) => minisign::KeyPair::generate_encrypted_keypair(Some(password.reveal())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|err| KeyError::Generate(err.to_string()))?;
    let comment = format!("missive secret key for {}", one_line(org));
    let secret_file = pair
        .sk
        .to_box(Some(&comment))
        .map_err(|err| KeyError::Generate(err.to_string()))?
        .into_string();
    let public = PublicKey(pair.pk);
    Ok(NewKeyPair {
        secret_file,
        public_file: public.to_file_text(org),
        public,
    })
}

impl SecretKey {
    /// Whether a secret key file needs a password.
    pub fn file_is_encrypted(text: &str) -> Result<bool, KeyError> {
        let bytes = secret_key_bytes(text)?;
        Ok(bytes[2..4] != [0, 0])
    }

    /// Opens a secret key file (`.key`), with its password if it has one.
    pub fn from_file_text(text: &str, password: Option<&Password>) -> Result<Self, KeyError> {
        let encrypted = Self::file_is_encrypted(text)?;
        let key_box =
            minisign::SecretKeyBox::from_string(text).map_err(|err| KeyError::Corrupt {
                expected: "secret",
                reason: err.to_string(),
            })?;
        let secret = if encrypted {
            let password = password.ok_or(KeyError::PasswordRequired)?;
            key_box
                .into_secret_key(Some(password.reveal()))
                .map_err(|_| KeyError::WrongPassword)?
        } else {
            key_box
                .into_unencrypted_secret_key()
                .map_err(|err| KeyError::Corrupt {
                    expected: "secret",
                    reason: err.to_string(),
                })?
        };
        let public = minisign::PublicKey::from_secret_key(&secret)
            .map(PublicKey)
            .map_err(|err| KeyError::Corrupt {
                expected: "secret",
                reason: err.to_string(),
            })?;
        let key = Self { secret, public };
        // A damaged unencrypted key can decode yet not match its own public half.
        key.sign(b"missive key check", "missive key check")
            .and_then(|sig| {
                verify_detached(&key.public, &sig, b"missive key check")
                    .map_err(|_| KeyError::Sign(String::new()))
            })
            .map_err(|_| KeyError::Corrupt {
                expected: "secret",
                reason: "the key does not verify its own signatures".to_owned(),
            })?;
        Ok(key)
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `data`, binding `trusted_comment`; returns the `.minisig` file text.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String, KeyError> {
        minisign::sign(
            Some(self.public.minisign()),
            &self.secret,
            Cursor::new(data),
            Some(trusted_comment),
            Some("signature from a missive organization key"),
        )
        .map(|sig| sig.into_string())
        .map_err(|err| KeyError::Sign(err.to_string()))
    }
}

fn secret_key_bytes(text: &str) -> Result<Vec<u8>, KeyError> {
    let corrupt = |reason: &str| KeyError::Corrupt {
        expected: "secret",
        reason: reason.to_owned(),
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().ok_or_else(|| corrupt("the file is empty"))?;
    let encoded = if first.starts_with("untrusted comment:") {
        lines
            .next()
            .ok_or_else(|| corrupt("the file has no key line"))?
    } else {
        first
    };
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| corrupt("the key line is not base64"))?;
    // sig alg, kdf alg, chk alg, salt 32, ops 8, mem 8, keynum 8, sk 64, chk 32
    if bytes.len() != 158 || &bytes[..2] != b"Ed" {
        return Err(corrupt("wrong length or algorithm"));
    }
    Ok(bytes)
}

/// Why a detached signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature is not in minisign's format ({0})")]
    Malformed(String),
    #[error("the signature was made with another key (key id {signed_with})")]
    OtherKey { signed_with: String },
    #[error("the signature does not match the text")]
    Mismatch,
}

/// A `.minisig` file, read: minisign's signature (over the BLAKE2b-512 of the data) and its
/// global signature (over the signature and the trusted comment).
struct Minisig {
    keynum: [u8; 8],
    signature: [u8; 64],
    trusted_comment: String,
    global_signature: [u8; 64],
}

fn parse_minisig(text: &str) -> Result<Minisig, SignatureError> {
    let malformed = |what: &str| SignatureError::Malformed(what.to_owned());
    let mut lines = text.lines();
    lines
        .next()
        .and_then(|l| l.strip_prefix("untrusted comment:"))
        .ok_or_else(|| malformed("no untrusted comment line"))?;
    let bones = lines
        .next()
        .and_then(|l| BASE64.decode(l.trim()).ok())
        .ok_or_else(|| malformed("the signature line is not base64"))?;
    if bones.len() != 74 {
        return Err(malformed("the signature line has the wrong length"));
    }
    if &bones[..2] != b"ED" {
        return Err(malformed(
            "not a prehashed (ED) signature; legacy signatures are not accepted",
        ));
    }
    let trusted_comment = lines
        .next()
        .and_then(|l| l.strip_prefix("trusted comment: "))
        .ok_or_else(|| malformed("no trusted comment line"))?
        .to_owned();
    let global = lines
        .next()
        .and_then(|l| BASE64.decode(l.trim()).ok())
        .ok_or_else(|| malformed("the global signature line is not base64"))?;
    let mut keynum = [0u8; 8];
    keynum.copy_from_slice(&bones[2..10]);
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&bones[10..74]);
    let global_signature: [u8; 64] = global
        .try_into()
        .map_err(|_| malformed("the global signature has the wrong length"))?;
    Ok(Minisig {
        keynum,
        signature,
        trusted_comment,
        global_signature,
    })
}

/// Verifies a `.minisig` over `data` with `key`; returns the trusted comment it binds.
///
/// The format is minisign's (prehashed `ED` only); the Ed25519 checks use ed25519-dalek's
/// strict verification, which rejects the malleable encodings libsodium rejects — about twice
/// as fast as the minisign crate's own arithmetic, which matters when a copy carries seven.
pub fn verify_detached(
    key: &PublicKey,
    minisig: &str,
    data: &[u8],
) -> Result<String, SignatureError> {
    use blake2::{Blake2b512, Digest as _};
    use ed25519_dalek::{Signature, VerifyingKey};

    let parsed = parse_minisig(minisig)?;
    let key_bytes = key.0.to_bytes();
    if parsed.keynum[..] != key_bytes[2..10] {
        return Err(SignatureError::OtherKey {
            signed_with: key_id_hex(&parsed.keynum),
        });
    }
    let mut ed25519 = [0u8; 32];
    ed25519.copy_from_slice(&key_bytes[10..42]);
    let verifying = VerifyingKey::from_bytes(&ed25519).map_err(|_| {
        SignatureError::Malformed("the public key is not a valid Ed25519 point".into())
    })?;
    let prehash = Blake2b512::digest(data);
    verifying
        .verify_strict(&prehash, &Signature::from_bytes(&parsed.signature))
        .map_err(|_| SignatureError::Mismatch)?;
    let mut signed_comment = Vec::with_capacity(64 + parsed.trusted_comment.len());
    signed_comment.extend_from_slice(&parsed.signature);
    signed_comment.extend_from_slice(parsed.trusted_comment.as_bytes());
    verifying
        .verify_strict(
            &signed_comment,
            &Signature::from_bytes(&parsed.global_signature),
        )
        .map_err(|_| SignatureError::Mismatch)?;
    Ok(parsed.trusted_comment)
}

/// Verifies several `.minisig`s over the same `data` at once (each with its key), as a copy
/// signed by a whole coalition needs. One Ed25519 batch check covers every signature and
/// global signature; only if it fails is each checked alone, to say which one is wrong.
/// Results are in the order given.
pub fn verify_many(
    signed: &[(&PublicKey, &str)],
    data: &[u8],
) -> Vec<Result<String, SignatureError>> {
    use blake2::{Blake2b512, Digest as _};
    use ed25519_dalek::{Signature, VerifyingKey, verify_batch};

    let prehash = Blake2b512::digest(data);
    let mut parsed = Vec::with_capacity(signed.len());
    for (key, minisig) in signed {
        let Ok(sig) = parse_minisig(minisig) else {
            return one_by_one(signed, data);
        };
        let key_bytes = key.0.to_bytes();
        let mut ed25519 = [0u8; 32];
        ed25519.copy_from_slice(&key_bytes[10..42]);
        match VerifyingKey::from_bytes(&ed25519) {
            Ok(vk) if sig.keynum[..] == key_bytes[2..10] && !vk.is_weak() => parsed.push((vk, sig)),
            _ => return one_by_one(signed, data),
        }
    }
    let globals: Vec<Vec<u8>> = parsed
        .iter()
        .map(|(_, sig)| [&sig.signature[..], sig.trusted_comment.as_bytes()].concat())
        .collect();
    let mut messages: Vec<&[u8]> = Vec::with_capacity(2 * parsed.len());
    let mut signatures = Vec::with_capacity(2 * parsed.len());
    let mut keys = Vec::with_capacity(2 * parsed.len());
    for ((vk, sig), global) in parsed.iter().zip(&globals) {
        messages.push(&prehash);
        signatures.push(Signature::from_bytes(&sig.signature));
        keys.push(*vk);
        messages.push(global);
        signatures.push(Signature::from_bytes(&sig.global_signature));
        keys.push(*vk);
    }
    if !parsed.is_empty() && verify_batch(&messages, &signatures, &keys).is_ok() {
        return parsed
            .into_iter()
            .map(|(_, sig)| Ok(sig.trusted_comment))
            .collect();
    }
    one_by_one(signed, data)
}

fn one_by_one(signed: &[(&PublicKey, &str)], data: &[u8]) -> Vec<Result<String, SignatureError>> {
    signed
        .iter()
        .map(|(key, minisig)| verify_detached(key, minisig, data))
        .collect()
}

/// The trusted comment a `.minisig` claims, without checking it.
pub fn read_trusted_comment(minisig: &str) -> Option<String> {
    parse_minisig(minisig).ok().map(|m| m.trusted_comment)
}

/// Names go into one-line comments; anything that would break the line is replaced.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unencrypted_pair_signs_and_verifies() {
        let pair = generate("Bridge of Voices", None).expect("generate");
        let key = SecretKey::from_file_text(&pair.secret_file, None).expect("open");
        assert_eq!(key.public(), &pair.public);
        let sig = key.sign(b"text\n", "comment").expect("sign");
        assert_eq!(
            verify_detached(&pair.public, &sig, b"text\n"),
            Ok("comment".to_owned())
        );
        assert_eq!(
            verify_detached(&pair.public, &sig, b"text!\n"),
            Err(SignatureError::Mismatch)
        );
        let other = generate("Other", None).expect("generate");
        assert!(matches!(
            verify_detached(&other.public, &sig, b"text\n"),
            Err(SignatureError::OtherKey { .. })
        ));
    }

    #[test]
    fn a_batch_names_exactly_the_signature_that_fails() {
        let pairs: Vec<_> = (0..4)
            .map(|_| generate("x", None).expect("generate"))
            .collect();
        let keys: Vec<_> = pairs
            .iter()
            .map(|p| SecretKey::from_file_text(&p.secret_file, None).expect("open"))
            .collect();
        let sigs: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| k.sign(b"text\n", &format!("comment {i}")).expect("sign"))
            .collect();
        let signed: Vec<(&PublicKey, &str)> = pairs
            .iter()
            .map(|p| &p.public)
            .zip(sigs.iter().map(String::as_str))
            .collect();
        let all = verify_many(&signed, b"text\n");
        assert!(
            all.iter()
                .enumerate()
                .all(|(i, r)| r.as_deref() == Ok(&format!("comment {i}")))
        );
        // An edited trusted comment in the third signature fails only the third.
        let edited = sigs[2].replace("comment 2", "comment 9");
        let mut tampered = signed.clone();
        tampered[2].1 = &edited;
        let results = verify_many(&tampered, b"text\n");
        assert_eq!(results[2], Err(SignatureError::Mismatch));
        assert!(results.iter().enumerate().all(|(i, r)| i == 2 || r.is_ok()));
        // Another text fails them all.
        assert!(verify_many(&signed, b"text!\n").iter().all(Result::is_err));
    }

    #[test]
    fn encrypted_key_needs_the_right_password() {
        let password = Password::new("correct horse".to_owned());
        let pair = generate("Lantern", Some(&password)).expect("generate");
        assert_eq!(
            SecretKey::file_is_encrypted(&pair.secret_file).ok(),
            Some(true)
        );
        assert!(matches!(
            SecretKey::from_file_text(&pair.secret_file, None),
            Err(KeyError::PasswordRequired)
        ));
        assert!(matches!(
            SecretKey::from_file_text(&pair.secret_file, Some(&Password::new("wrong".into()))),
            Err(KeyError::WrongPassword)
        ));
        let key = SecretKey::from_file_text(&pair.secret_file, Some(&password)).expect("open");
        let debug = format!("{key:?} {password:?} {pair:?}");
        assert!(!debug.contains("correct horse"));
        assert!(!debug.contains(pair.secret_file.lines().nth(1).unwrap_or("-")));
    }

    #[test]
    fn public_key_file_round_trips_and_fingerprint_is_grouped() {
        let pair = generate("평화의 손길\n연대", None).expect("generate");
        assert!(
            pair.public_file
                .lines()
                .next()
                .is_some_and(|l| !l.contains('\n'))
        );
        let parsed = PublicKey::from_file_text(&pair.public_file).expect("parse");
        assert_eq!(parsed, pair.public);
        let fp = parsed.fingerprint().to_string();
        assert_eq!(fp.len(), 39);
        assert_eq!(fp.split(' ').count(), 8);
        assert_eq!(parsed.key_id().len(), 16);
    }

    #[test]
    fn corrupt_keys_are_reported() {
        assert!(matches!(
            PublicKey::from_base64("RWQnot-a-key"),
            Err(KeyError::Corrupt { .. })
        ));
        assert!(matches!(
            SecretKey::from_file_text("untrusted comment: x\nAAAA\n", None),
            Err(KeyError::Corrupt { .. })
        ));
    }
}
