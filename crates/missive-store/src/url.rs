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
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    match base.split_once("://") {
        // Everything up to the last '@' is user information, even when a password holds an
        // unescaped '/' or '@': better to hide too much than to print a secret.
        Some((scheme, rest)) => match rest.rfind('@') {
            Some(at) => {
                let userinfo = &rest[..at];
                out.push_str(scheme);
                out.push_str("://");
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&rest[at..]);
            }
            None => out.push_str(base),
        },
        None => out.push_str(base),
    }
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
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
                url.trim()
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
    let invalid = |reason: String| StoreError::InvalidUrl {
        url: redact_url(url),
        reason,
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
            ("sqlite:missive.db", "sqlite:missive.db"),
            (
                "sqlite:///var/lib/missive.db",
                "sqlite:///var/lib/missive.db",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want);
            assert!(!redact_url(url).contains("hunter2"));
        }
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
        let Err(err) = parse("postgres://ann:hunter2@db:notaport/missive") else {
            panic!("a non-numeric port must be refused");
        };
        let shown = err.to_string();
        assert!(shown.contains("ann:***@db"), "{shown}");
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
