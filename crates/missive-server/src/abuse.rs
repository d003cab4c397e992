//! Abuse control that does not lock out Tor, VPN or carrier-NAT users.
//!
//! - Proofs: a proof-of-work challenge for the script path, a form token from the review step
//!   for the no-script path. Both are MACed with a per-process secret, carry their issue time
//!   (for the minimum time-to-fill and expiry) and can be used once (replays are refused).
//! - Per-source limit: a token bucket keyed by a salted hash of the client's network (IPv4
//!   address or IPv6 /56, the smallest prefix ISPs commonly give one customer). The salt lives
//!   only in memory and changes every UTC day, so keys cannot be linked across days or
//!   reversed; the raw address is never stored or logged. Only signatures make buckets:
//!   fetching challenges never adds one, so a flood of GETs cannot grow memory.
//!   A source over its allowance is not shut out: with script, its browser solves a harder
//!   puzzle (more bits per extra allowance used); without, it waits, and each wait is twice
//!   the one before (from one refill interval up to 2^`pow_max_extra` of them) until the
//!   allowance has fully come back — the no-script path costs time as the script path costs
//!   work, so neither is the cheap way around the other.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::config::AbuseConfig;

type HmacSha256 = Hmac<Sha256>;

const TOKEN_BYTES: usize = 8 + 1 + 1 + 16 + 16;
const KIND_POW: u8 = 1;
const KIND_FORM: u8 = 2;
/// Bounds on the in-memory sets, so a flood cannot grow them without limit.
const MAX_USED: usize = 2_000_000;
const MAX_BUCKETS: usize = 1_000_000;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Where a request comes from, as a salted hash of its network. Never the address itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceKey([u8; 16]);

/// A challenge for the script path.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub token: String,
    pub difficulty: u8,
    /// Milliseconds the signer must wait after it was issued before sending.
    pub min_fill_ms: u64,
    pub expires_in_secs: u64,
}

/// A proof that checked out (not yet spent).
#[derive(Debug, Clone, Copy)]
pub struct Proof {
    nonce: [u8; 16],
    issued_ms: u64,
    pub difficulty: u8,
    pub pow: bool,
}

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    Missing,
    Invalid,
    Expired,
    TooFast { wait_ms: u64 },
    Replayed,
}

/// Why the per-source limit said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

/// The abuse guard: one per server process.
pub struct Guard {
    secret: [u8; 32],
    config: AbuseConfig,
    used: Mutex<HashMap<[u8; 16], u64>>,
    limiter: Mutex<Limiter>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Limiter {
    day: u64,
    salt: [u8; 32],
    buckets: HashMap<SourceKey, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Signatures let through on proof-of-work after the allowance ran out (decays).
    overflow: f64,
    last_ms: u64,
    /// 0, or 1 + the no-script signatures taken since the allowance ran out: each costs
    /// twice the one before. Cleared when the allowance is full again.
    slow_steps: u8,
}

impl Guard {
    /// A guard with a fresh random secret and salt.
    pub fn new(config: AbuseConfig) -> Result<Self, getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt)?;
        Ok(Guard {
            secret,
            config,
            used: Mutex::new(HashMap::new()),
            limiter: Mutex::new(Limiter {
                day: now_ms() / 86_400_000,
                salt,
                buckets: HashMap::new(),
            }),
        })
    }

    pub fn config(&self) -> &AbuseConfig {
        &self.config
    }

    /// The rate-limit key of an address: IPv4 address or IPv6 /56, hashed with today's salt.
    /// A /56 rather than a /64: one customer commonly holds a /56 (256 /64s), and a key per
    /// /64 would let them sign 256 times the allowance.
    pub fn source(&self, addr: Option<IpAddr>, now: u64) -> SourceKey {
        let mut limiter = lock(&self.limiter);
        limiter.rotate(now);
        let mut hasher = Sha256::new();
        hasher.update(limiter.salt);
        match addr.map(|a| a.to_canonical()) {
            Some(IpAddr::V4(v4)) => hasher.update(v4.octets()),
            Some(IpAddr::V6(v6)) => hasher.update(&v6.octets()[..7]),
            None => hasher.update(b"unknown"),
        }
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        SourceKey(key)
    }

    /// A proof-of-work challenge for a source; harder when the source is over its allowance.
    pub fn challenge(&self, source: SourceKey, now: u64) -> Result<Challenge, getrandom::Error> {
        let extra = if self.config.rate_limit {
            // Look, never insert: a source that only fetches challenges gets no bucket.
            let limiter = lock(&self.limiter);
            match limiter.peek(source, now, &self.config) {
                Some(bucket) if bucket.tokens < 1.0 => self.required_extra(&bucket),
                _ => 0,
            }
        } else {
            0
        };
        let difficulty = self.config.pow_difficulty.saturating_add(extra);
        Ok(Challenge {
            token: self.mint(KIND_POW, difficulty, now)?,
            difficulty,
            min_fill_ms: self.config.min_fill.as_millis() as u64,
            expires_in_secs: self.config.challenge_ttl.as_secs(),
        })
    }

    /// A form token for the no-script review step.
    pub fn form_token(&self, now: u64) -> Result<String, getrandom::Error> {
        self.mint(KIND_FORM, 0, now)
    }

    fn mint(&self, kind: u8, difficulty: u8, now: u64) -> Result<String, getrandom::Error> {
        let mut raw = [0u8; TOKEN_BYTES];
        raw[..8].copy_from_slice(&now.to_be_bytes());
        raw[8] = difficulty;
        raw[9] = kind;
        getrandom::fill(&mut raw[10..26])?;
        let tag = self.mac(&raw[..26]);
        raw[26..].copy_from_slice(&tag[..16]);
        Ok(hex::encode(raw))
    }

    fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"missive-proof-v1");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Checks a token's MAC, kind and age (not whether it was used).
    fn open(&self, token: &str, kind: u8, now: u64) -> Result<Proof, ProofError> {
        let raw = hex::decode(token.trim()).map_err(|_| ProofError::Invalid)?;
        if raw.len() != TOKEN_BYTES || raw[9] != kind {
            return Err(ProofError::Invalid);
        }
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"missive-proof-v1");
        mac.update(&raw[..26]);
        mac.verify_truncated_left(&raw[26..])
            .map_err(|_| ProofError::Invalid)?;
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&raw[..8]);
        let issued_ms = u64::from_be_bytes(issued);
        let ttl = self.config.challenge_ttl.as_millis() as u64;
        if now > issued_ms.saturating_add(ttl) {
            return Err(ProofError::Expired);
        }
        let min_fill = self.config.min_fill.as_millis() as u64;
        let ready = issued_ms.saturating_add(min_fill);
        if now < ready {
            return Err(ProofError::TooFast {
                wait_ms: ready - now,
            });
        }
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&raw[10..26]);
        let proof = Proof {
            nonce,
            issued_ms,
            difficulty: raw[8],
            pow: kind == KIND_POW,
        };
        if self.is_used(&proof) {
            return Err(ProofError::Replayed);
        }
        Ok(proof)
    }

    /// Checks a solved challenge: `SHA-256(token ":" solution)` must start with as many zero
    /// bits as the challenge asked for.
    pub fn check_pow(
        &self,
        token: Option<&str>,
        solution: Option<&str>,
        now: u64,
    ) -> Result<Proof, ProofError> {
        let (Some(token), Some(solution)) = (token, solution) else {
            return Err(ProofError::Missing);
        };
        let proof = self.open(token, KIND_POW, now)?;
        let solution = solution.trim();
        if solution.is_empty()
            || solution.len() > 20
            || !solution.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ProofError::Invalid);
        }
        let digest = Sha256::new()
            .chain_update(token.trim().as_bytes())
            .chain_update(b":")
            .chain_update(solution.as_bytes())
            .finalize();
        if leading_zero_bits(&digest) < u32::from(proof.difficulty) {
            return Err(ProofError::Invalid);
        }
        Ok(proof)
    }

    /// Checks a form token from the review step.
    pub fn check_form_token(&self, token: Option<&str>, now: u64) -> Result<Proof, ProofError> {
        let token = token.ok_or(ProofError::Missing)?;
        self.open(token, KIND_FORM, now)
    }

    fn is_used(&self, proof: &Proof) -> bool {
        lock(&self.used).contains_key(&proof.nonce)
    }

    /// Spends a proof. Fails if it was spent meanwhile (two requests racing with one proof).
    pub fn spend(&self, proof: &Proof, now: u64) -> Result<(), ProofError> {
        let mut used = lock(&self.used);
        if used.len() >= MAX_USED {
            used.retain(|_, expires| *expires > now);
        }
        let expires = proof
            .issued_ms
            .saturating_add(self.config.challenge_ttl.as_millis() as u64);
        if used.insert(proof.nonce, expires).is_some() {
            return Err(ProofError::Replayed);
        }
        Ok(())
    }

    /// Takes one signature from a source's allowance, or lets it through on a proof-of-work
    /// hard enough for how far over its allowance the source is.
    pub fn admit(&self, source: SourceKey, proof: Option<&Proof>, now: u64) -> Result<(), Limited> {
        if !self.config.rate_limit {
            return Ok(());
        }
        let mut limiter = lock(&self.limiter);
        limiter.rotate(now);
        let rate = refill_per_ms(&self.config);
        let script = proof.is_some_and(|p| p.pow);
        if !script {
            let bucket = limiter.bucket(source, now, &self.config);
            return self.admit_without_script(bucket, rate);
        }
        let required = {
            let bucket = limiter.bucket(source, now, &self.config);
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return Ok(());
            }
            self.required_extra(bucket)
        };
        let bucket = limiter.bucket(source, now, &self.config);
        if let Some(proof) = proof
            && proof.pow
            && proof.difficulty >= self.config.pow_difficulty.saturating_add(required)
        {
            bucket.overflow += 1.0;
            return Ok(());
        }
        let missing = (1.0 - bucket.tokens).max(0.0);
        let wait_ms = if rate > 0.0 {
            missing / rate
        } else {
            3_600_000.0
        };
        Err(Limited {
            retry_after_secs: (wait_ms / 1000.0).ceil().max(1.0) as u64,
        })
    }

    /// The no-script path: the allowance, then signatures that cost 1, 2, 4, … tokens (at most
    /// half the allowance), so each wait is twice the one before, until the source has been
    /// quiet long enough for its whole allowance to come back.
    fn admit_without_script(&self, bucket: &mut Bucket, rate: f64) -> Result<(), Limited> {
        let burst = f64::from(self.config.per_source_burst);
        if bucket.slow_steps > 0 && bucket.tokens >= burst {
            bucket.slow_steps = 0;
        }
        if bucket.slow_steps == 0 && bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        // The allowance ran out: from now on, pay with time.
        bucket.slow_steps = bucket.slow_steps.max(1);
        let cost = self.slow_cost(bucket.slow_steps);
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            bucket.slow_steps = bucket.slow_steps.saturating_add(1);
            return Ok(());
        }
        let wait_ms = if rate > 0.0 {
            (cost - bucket.tokens) / rate
        } else {
            3_600_000.0
        };
        Err(Limited {
            retry_after_secs: (wait_ms / 1000.0).ceil().max(1.0) as u64,
        })
    }

    /// Tokens a no-script signature costs at a slow-down step (1, 2, 4, …).
    fn slow_cost(&self, step: u8) -> f64 {
        let doubling = 2f64.powi(i32::from(
            step.saturating_sub(1).min(self.config.pow_max_extra),
        ));
        let cap = (f64::from(self.config.per_source_burst) / 2.0).max(1.0);
        doubling.min(cap)
    }

    fn required_extra(&self, bucket: &Bucket) -> u8 {
        let burst = f64::from(self.config.per_source_burst.max(1));
        let extra = 2.0 + (bucket.overflow / burst).floor();
        (extra.min(f64::from(self.config.pow_max_extra))) as u8
    }

    /// How many sources have a bucket in memory now (for tests and monitoring).
    pub fn tracked_sources(&self) -> usize {
        lock(&self.limiter).buckets.len()
    }

    /// Drops spent proofs that have expired anyway. Called now and then.
    pub fn prune(&self, now: u64) {
        lock(&self.used).retain(|_, expires| *expires > now);
        let mut limiter = lock(&self.limiter);
        let config = &self.config;
        let rate = refill_per_ms(config);
        let burst = f64::from(config.per_source_burst);
        limiter.buckets.retain(|_, b| {
            let elapsed = now.saturating_sub(b.last_ms) as f64;
            b.tokens + elapsed * rate < burst || b.overflow - elapsed * rate > 0.0
        });
    }
}

impl Limiter {
    /// A new UTC day: a new salt, and yesterday's keys are forgotten.
    fn rotate(&mut self, now: u64) {
        let day = now / 86_400_000;
        if day != self.day {
            let mut salt = [0u8; 32];
            if getrandom::fill(&mut salt).is_ok() {
                self.salt = salt;
            } else {
                // Without fresh randomness, derive the next salt from the old one: still
                // unknown outside this process.
                self.salt = Sha256::digest(self.salt).into();
            }
            self.day = day;
            self.buckets.clear();
        }
    }

    fn bucket(&mut self, source: SourceKey, now: u64, config: &AbuseConfig) -> &mut Bucket {
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&source) {
            self.buckets.clear();
        }
        let bucket = self
            .buckets
            .entry(source)
            .or_insert_with(|| Bucket::full(config, now));
        bucket.refill(now, config);
        bucket
    }

    /// A source's bucket as it would be at `now`, without creating or changing anything.
    fn peek(&self, source: SourceKey, now: u64, config: &AbuseConfig) -> Option<Bucket> {
        let mut bucket = *self.buckets.get(&source)?;
        // A new day's salt makes new keys; yesterday's buckets are dropped at the next write.
        if now / 86_400_000 != self.day {
            return None;
        }
        bucket.refill(now, config);
        Some(bucket)
    }
}

impl Bucket {
    fn full(config: &AbuseConfig, now: u64) -> Bucket {
        Bucket {
            tokens: f64::from(config.per_source_burst),
            overflow: 0.0,
            last_ms: now,
            slow_steps: 0,
        }
    }

    fn refill(&mut self, now: u64, config: &AbuseConfig) {
        let burst = f64::from(config.per_source_burst);
        let rate = refill_per_ms(config);
        let elapsed = now.saturating_sub(self.last_ms) as f64;
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.overflow = (self.overflow - elapsed * rate).max(0.0);
        self.last_ms = self.last_ms.max(now);
    }
}

fn refill_per_ms(config: &AbuseConfig) -> f64 {
    let window = config
        .per_source_window
        .max(Duration::from_millis(1))
        .as_millis() as f64;
    f64::from(config.per_source_burst) / window
}

fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for &byte in digest {
        if byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data in a usable state.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// HMAC accepts keys of any length, so `new_from_slice` cannot fail.
fn unreachable_hmac() -> HmacSha256 {
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

/// Solves a challenge (for tests and the load generator; browsers run `sign.js`).
pub fn solve(token: &str, difficulty: u8) -> u64 {
    let mut n = 0u64;
    loop {
        let digest = Sha256::new()
            .chain_update(token.as_bytes())
            .chain_update(b":")
            .chain_update(n.to_string().as_bytes())
            .finalize();
        if leading_zero_bits(&digest) >= u32::from(difficulty) {
            return n;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn guard() -> Guard {
        Guard::new(AbuseConfig {
            pow_difficulty: 8,
            min_fill: Duration::from_secs(2),
            per_source_burst: 2,
            per_source_window: Duration::from_secs(60),
            ..AbuseConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn a_solved_challenge_passes_once() {
        let g = guard();
        let src = g.source(Some("192.0.2.1".parse().unwrap()), 1_000);
        let c = g.challenge(src, 1_000).unwrap();
        let n = solve(&c.token, c.difficulty).to_string();
        let later = 1_000 + 3_000;
        let proof = g.check_pow(Some(&c.token), Some(&n), later).unwrap();
        g.spend(&proof, later).unwrap();
        assert_eq!(
            g.check_pow(Some(&c.token), Some(&n), later).unwrap_err(),
            ProofError::Replayed
        );
    }

    #[test]
    fn wrong_early_late_and_forged_proofs_fail() {
        let g = guard();
        let src = g.source(None, 0);
        let c = g.challenge(src, 10_000).unwrap();
        let n = solve(&c.token, c.difficulty);
        assert!(matches!(
            g.check_pow(Some(&c.token), Some(&n.to_string()), 10_500),
            Err(ProofError::TooFast { .. })
        ));
        let ttl = g.config.challenge_ttl.as_millis() as u64;
        assert_eq!(
            g.check_pow(Some(&c.token), Some(&n.to_string()), 10_001 + ttl)
                .unwrap_err(),
            ProofError::Expired
        );
        // A wrong answer: find one that does not meet the difficulty.
        let wrong = (0..)
            .find(|m| *m != n && solve_check(&c.token, *m) < 8)
            .unwrap();
        assert_eq!(
            g.check_pow(Some(&c.token), Some(&wrong.to_string()), 13_000)
                .unwrap_err(),
            ProofError::Invalid
        );
        let mut forged = c.token.clone().into_bytes();
        forged[20] = if forged[20] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            g.check_pow(Some(&forged), Some("1"), 13_000).unwrap_err(),
            ProofError::Invalid
        );
        // Another process's token (other secret) is not accepted.
        let other = guard();
        assert_eq!(
            other
                .check_pow(Some(&c.token), Some(&n.to_string()), 13_000)
                .unwrap_err(),
            ProofError::Invalid
        );
        // A form token is not a proof-of-work token.
        let form = g.form_token(10_000).unwrap();
        assert_eq!(
            g.check_pow(Some(&form), Some("1"), 13_000).unwrap_err(),
            ProofError::Invalid
        );
        assert_eq!(
            g.check_pow(None, None, 13_000).unwrap_err(),
            ProofError::Missing
        );
    }

    fn solve_check(token: &str, n: u64) -> u32 {
        let digest = Sha256::new()
            .chain_update(token.as_bytes())
            .chain_update(b":")
            .chain_update(n.to_string().as_bytes())
            .finalize();
        leading_zero_bits(&digest)
    }

    #[test]
    fn a_source_over_its_allowance_needs_harder_work() {
        let g = guard();
        let src = g.source(Some("2001:db8::1".parse().unwrap()), 0);
        // Same /64: same source.
        assert_eq!(src, g.source(Some("2001:db8::ffff".parse().unwrap()), 0));
        assert!(g.admit(src, None, 0).is_ok());
        assert!(g.admit(src, None, 0).is_ok());
        let limited = g.admit(src, None, 0).unwrap_err();
        assert!(limited.retry_after_secs >= 1);
        // The next challenge asks for more bits, and a proof at that level gets through.
        let c = g.challenge(src, 0).unwrap();
        assert!(c.difficulty > 8);
        let n = solve(&c.token, c.difficulty).to_string();
        let proof = g.check_pow(Some(&c.token), Some(&n), 3_000).unwrap();
        assert!(g.admit(src, Some(&proof), 3_000).is_ok());
        // A base-difficulty proof does not.
        let easy = Proof {
            difficulty: 8,
            ..proof
        };
        assert!(g.admit(src, Some(&easy), 3_000).is_err());
        // Other sources are not affected.
        let other = g.source(Some("198.51.100.7".parse().unwrap()), 0);
        assert!(g.admit(other, None, 3_000).is_ok());
    }

    fn buckets(g: &Guard) -> usize {
        lock(&g.limiter).buckets.len()
    }

    #[test]
    fn fetching_challenges_makes_no_bucket() {
        let g = guard();
        for i in 0..1000u32 {
            let ip = std::net::Ipv4Addr::from(0xC000_0200 + i);
            let src = g.source(Some(IpAddr::V4(ip)), 1_000);
            g.challenge(src, 1_000).unwrap();
        }
        assert_eq!(buckets(&g), 0, "GETs must not grow memory");
        // A source that signed has one; its challenges read it without adding others.
        let src = g.source(Some("192.0.2.1".parse().unwrap()), 1_000);
        g.admit(src, None, 1_000).unwrap();
        g.challenge(src, 1_000).unwrap();
        assert_eq!(buckets(&g), 1);
    }

    #[test]
    fn ipv6_sources_are_grouped_by_56() {
        let g = guard();
        let key = |ip: &str| g.source(Some(ip.parse().unwrap()), 0);
        let home = key("2001:db8:aa00::1");
        assert_eq!(
            home,
            key("2001:db8:aa00:ff:1234::9"),
            "another /64 of the same /56"
        );
        assert_ne!(home, key("2001:db8:aa01::1"), "the next /56");
        // An IPv4-mapped address counts as the IPv4 address.
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }

    /// Without script, a source past its allowance is never shut out, but each further
    /// signature waits twice as long as the one before (up to half the window), until the
    /// source is quiet long enough for the whole allowance to come back.
    #[test]
    fn without_script_the_wait_doubles() {
        // 16 signatures per 160 s: one token every 10 s.
        let g = Guard::new(AbuseConfig {
            pow_difficulty: 8,
            per_source_burst: 16,
            per_source_window: Duration::from_secs(160),
            ..AbuseConfig::default()
        })
        .unwrap();
        let src = g.source(Some("192.0.2.9".parse().unwrap()), 0);
        for _ in 0..16 {
            assert!(g.admit(src, None, 0).is_ok());
        }
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..6 {
            let told = g.admit(src, None, now).unwrap_err().retry_after_secs;
            waits.push(told);
            assert!(
                g.admit(src, None, now + told * 1000 - 1000).is_err(),
                "too early"
            );
            now += told * 1000;
            assert!(g.admit(src, None, now).is_ok(), "at the told time: let in");
        }
        assert_eq!(
            waits,
            [10, 20, 40, 80, 80, 80],
            "doubling, at most half the window"
        );
        // Quiet for a whole window: the allowance is back.
        now += 160_000;
        for _ in 0..16 {
            assert!(g.admit(src, None, now).is_ok());
        }
        assert_eq!(g.admit(src, None, now).unwrap_err().retry_after_secs, 10);
        // The script path is not slowed by this: a hard enough proof still gets through.
        let c = g.challenge(src, now).unwrap();
        assert!(c.difficulty > 8);
        let n = solve(&c.token, c.difficulty).to_string();
        let proof = g.check_pow(Some(&c.token), Some(&n), now + 3_000).unwrap();
        assert!(g.admit(src, Some(&proof), now + 3_000).is_ok());
    }

    #[test]
    fn the_salt_changes_with_the_day() {
        let g = guard();
        let ip = Some("192.0.2.1".parse().unwrap());
        let today = g.source(ip, 1_000);
        assert_eq!(today, g.source(ip, 2_000));
        assert_ne!(today, g.source(ip, 86_400_000 + 1_000));
    }
}
