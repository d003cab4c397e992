//! Database URLs: which backend a URL names, how it is parsed into connection options, and how
//! it is shown. A URL may carry a password; every URL this crate prints or stores for display
//! goes through [`redact_url`] first.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::{Backend, StoreError};

/// Connection options parsed from a URL, per backend.
pub(crate) enum Target {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

/// The URL with any password replaced by `***`: the `user:password@` part and a `password=`
/// query parameter. Everything else is kept so the operator can recognize the database.
///
/// The user information runs from `://` (or the start, for a URL without one) to the *last*
/// `@` of the whole string, found before the query is split off: a password may hold an
/// unescaped `?`, `/` or `@`, and hiding too much is better than printing a secret.
pub fn redact_url(url: &str) -> String {
    let (prefix, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(prefix);
    let after_userinfo = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push('@');
            &rest[at + 1..]
        }
        None => rest,
    };
    match after_userinfo.split_once('?') {
        Some((base, query)) => {
            out.push_str(base);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(after_userinfo),
    }
    out
}

/// The secret parts of a URL (the userinfo password, in raw and percent-decoded form, and any
/// `password=` value), so a driver's message about the URL can be scrubbed of them.
fn secrets_of(url: &str) -> Vec<String> {
    let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
    let mut secrets = Vec::new();
    let mut add = |raw: &str| {
        if !raw.is_empty() {
            secrets.push(raw.to_owned());
            if let Some(decoded) = percent_decode(raw)
                && decoded != raw
                && !decoded.is_empty()
            {
                secrets.push(decoded);
            }
        }
    };
    let query_start = match rest.rfind('@') {
        Some(at) => {
            if let Some((_, password)) = rest[..at].split_once(':') {
                add(password);
            }
            at + 1
        }
        None => 0,
    };
    if let Some((_, query)) = rest[query_start..].split_once('?') {
        for param in query.split('&') {
            if let Some((key, value)) = param.split_once('=')
                && key.eq_ignore_ascii_case("password")
            {
                add(value);
            }
        }
    }
    // Longest first, so a secret that contains another is removed whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A message about `url` (from a database driver, an SMTP client, …) with every secret of the
/// URL — its password, raw and percent-decoded, and any `password=` value — replaced by `***`.
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_owned();
    for secret in secrets_of(url) {
        out = out.replace(&secret, "***");
    }
    out
}

/// Which backend a URL names, without parsing the rest.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        let reason = if url.trim().is_empty() {
            "the URL is empty: use sqlite:PATH or postgres://USER@HOST/DATABASE".to_owned()
        } else if lower.contains(':') {
            "unsupported scheme: use sqlite:PATH or postgres://USER@HOST/DATABASE".to_owned()
        } else {
            format!(
                "no scheme: write sqlite:{} for a SQLite file, or postgres://USER@HOST/DATABASE",
                redact_url(url.trim())
            )
        };
        Err(StoreError::InvalidUrl {
            url: redact_url(url),
            reason,
        })
    }
}

/// Parse a URL into connection options for its backend.
pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    // Driver messages may quote parts of the URL: scrub its secrets from them.
    let invalid = |reason: String| StoreError::InvalidUrl {
        url: redact_url(url),
        reason: scrub(&reason, url),
    };
    match backend_of(url)? {
        Backend::Sqlite => {
            let rest = url
                .get("sqlite:".len()..)
                .unwrap_or_default()
                .trim_start_matches("//");
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(invalid(
                    "no file path after sqlite: (write sqlite:PATH, e.g. sqlite:missive.db)".into(),
                ));
            }
            // sqlx accepts only the lowercase scheme; the path keeps its case.
            let normalized = format!("sqlite:{rest}");
            SqliteConnectOptions::from_str(&normalized)
                .map(Target::Sqlite)
                .map_err(|err| invalid(err.to_string()))
        }
        Backend::Postgres => {
            let (_, rest) = url.split_once("://").unwrap_or((url, ""));
            let normalized = format!("postgres://{rest}");
            PgConnectOptions::from_str(&normalized)
                .map(Target::Postgres)
                .map_err(|err| invalid(err.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn redacts_passwords_in_userinfo_and_query() {
        let cases = [
            (
                "postgres://ann:hunter2@db.example.org:5432/missive",
                "postgres://ann:***@db.example.org:5432/missive",
            ),
            (
                "postgresql://ann:p/a@ss@db/missive?sslmode=require",
                "postgresql://ann:***@db/missive?sslmode=require",
            ),
            (
                "postgres://db/missive?user=ann&password=hunter2",
                "postgres://db/missive?user=ann&password=***",
            ),
            ("postgres://ann@db/missive", "postgres://ann@db/missive"),
            // A '?' in the password is not the start of the query.
            ("postgres://ann:pa?ss@db/x", "postgres://ann:***@db/x"),
            (
                "postgres://ann:hunter2?x@db/x?sslmode=require&password=hunter2",
                "postgres://ann:***@db/x?sslmode=require&password=***",
            ),
            // No scheme: the user information starts at the beginning.
            ("ann:pw@db", "ann:***@db"),
            ("ann:hunter2@db/x", "ann:***@db/x"),
            ("sqlite:missive.db", "sqlite:missive.db"),
            (
                "sqlite:///var/lib/missive.db",
                "sqlite:///var/lib/missive.db",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
            assert!(!redact_url(url).contains("hunter2"));
            assert!(!redact_url(url).contains("pa?ss"));
        }
    }

    #[test]
    fn driver_messages_are_scrubbed_of_every_secret() {
        let url = "postgres://ann:hun%74er2@db/x?password=s3cret";
        let message = "bad password hun%74er2 / hunter2 and s3cret in the URL";
        let scrubbed = scrub(message, url);
        assert!(!scrubbed.contains("hunter2"), "{scrubbed}");
        assert!(!scrubbed.contains("hun%74er2"), "{scrubbed}");
        assert!(!scrubbed.contains("s3cret"), "{scrubbed}");
        assert_eq!(
            scrub("nothing secret", "postgres://ann@db/x"),
            "nothing secret"
        );
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(backend_of("sqlite:x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite:///x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgres://h/d").ok(), Some(Backend::Postgres));
        assert_eq!(backend_of("PostgreSQL://h/d").ok(), Some(Backend::Postgres));
        for bad in ["missive.db", "mysql://h/d", "", "http://x"] {
            assert!(
                matches!(backend_of(bad), Err(StoreError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_url_errors_never_show_the_password() {
        for url in [
            "postgres://ann:hunter2@db:notaport/missive",
            "postgres://ann:hunter2?@db:notaport/missive",
            "postgres://ann:hunter2@db/missive?sslmode=bogus&password=hunter2",
        ] {
            let Err(err) = parse(url) else {
                panic!("{url} must be refused");
            };
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("ann:***@db"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        // Scheme-less, with a password: refused without echoing it.
        let err = backend_of("ann:hunter2@db").expect_err("no scheme");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn sqlite_needs_a_path() {
        assert!(matches!(
            parse("sqlite:"),
            Err(StoreError::InvalidUrl { .. })
        ));
        assert!(matches!(parse("sqlite:dir/x.db"), Ok(Target::Sqlite(_))));
    }
}
