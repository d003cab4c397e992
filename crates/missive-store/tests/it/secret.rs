//! The email secret: where it comes from on each backend, and that the schema upgrade from
//! the first migration removes stored addresses and the old unkeyed keys.

use missive_store::testing::{ScratchDatabase, postgres_url_or_skip};
use missive_store::{
    EmailSecretSource, MissingSecret, NewSigner, SignerSelector, Store, StoreError, TokenHash,
    email,
};
use sha2::Digest;
use sqlx::{Connection, Row, SqliteConnection};

fn signer_with_key(secret: &email::EmailSecret, address: &str) -> NewSigner {
    NewSigner {
        letter: "letter".into(),
        lang: "en".into(),
        name: Some("Ann".into()),
        affiliation: None,
        country: None,
        email_key: Some(email::key(
            secret,
            &email::normalize(address).expect("valid"),
        )),
        confirmation: None,
        edit_token: TokenHash::of_secret(address.as_bytes()),
        created_at: jiff::Timestamp::now(),
    }
}

#[tokio::test]
async fn sqlite_keeps_its_secret_in_a_file_beside_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("signatures.db");
    let url = format!("sqlite:{}", db.display());
    let store = Store::open(&url).await.expect("open");
    let file = dir.path().join("signatures.db.email-secret");

    // The CLI never makes a secret: a new one would match no stored signer.
    let err = store
        .email_secret(None, MissingSecret::Refuse)
        .expect_err("no file yet");
    assert!(matches!(err, StoreError::EmailSecret(_)), "{err:?}");
    assert!(
        err.to_string().contains("signatures.db.email-secret")
            && err.to_string().contains("MISSIVE_EMAIL_SECRET"),
        "{err}"
    );
    assert!(!file.exists());

    // The server makes it on first use, and reads the same one afterwards.
    let (first, source) = store
        .email_secret(None, MissingSecret::Create)
        .expect("created");
    assert_eq!(source, EmailSecretSource::Created(file.clone()));
    let (again, source) = store
        .email_secret(None, MissingSecret::Refuse)
        .expect("read back");
    assert_eq!(source, EmailSecretSource::File(file.clone()));
    assert_eq!(email::key(&first, "a@b.c"), email::key(&again, "a@b.c"));

    // A signer keyed under the file's secret is found by the same resolution.
    store
        .insert_batch(&[signer_with_key(&first, "ann@example.org")])
        .await
        .expect("insert");
    let deleted = store
        .delete_signer(
            "letter",
            &SignerSelector::Email {
                address: "Ann@Example.org".into(),
                secret: again,
            },
        )
        .await
        .expect("delete");
    assert_eq!(deleted, 1);

    // A configured secret wins over the file; a short one is refused without being quoted.
    let (configured, source) = store
        .email_secret(
            Some("configured-secret-0123456789abcdef0123"),
            MissingSecret::Refuse,
        )
        .expect("configured");
    assert_eq!(source, EmailSecretSource::Configured);
    assert_ne!(
        email::key(&configured, "a@b.c"),
        email::key(&first, "a@b.c")
    );
    let err = store
        .email_secret(Some("tiny-secret"), MissingSecret::Create)
        .expect_err("too short");
    assert!(!err.to_string().contains("tiny-secret"), "{err}");
    assert!(err.to_string().contains("openssl rand -hex 32"), "{err}");

    // A damaged file is reported with its path, not replaced.
    std::fs::write(&file, "short\n").expect("damage");
    let err = store
        .email_secret(None, MissingSecret::Create)
        .expect_err("damaged");
    assert!(err.to_string().contains("email-secret"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "short\n");
    store.close().await;
}

/// A database made by a release with only migration 0001 (addresses stored, unkeyed SHA-256
/// keys) is upgraded on open: the address column is gone and so are the old keys.
#[tokio::test]
async fn upgrading_from_the_first_schema_forgets_addresses_and_unkeyed_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("old.db");
    let url = format!("sqlite:{}", db.display());
    let first = include_str!("../../migrations/sqlite/0001_signers.sql");
    {
        let mut conn = SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .expect("create");
        sqlx::raw_sql(sqlx::AssertSqlSafe(first))
            .execute(&mut conn)
            .await
            .expect("schema 0001");
        // What sqlx's migrator records: the checksum is SHA-384 of the SQL.
        sqlx::query(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&mut conn)
        .await
        .expect("migrations table");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (1, 'signers', TRUE, $1, 0)",
        )
        .bind(sha2::Sha384::digest(first.as_bytes()).to_vec())
        .execute(&mut conn)
        .await
        .expect("record 0001");
        sqlx::query(
            "INSERT INTO signers (letter, lang, name, email, email_key, edit_token, created_at_ms, \
             confirmed_at_ms) VALUES ('letter', 'en', 'Ann', 'ann@example.org', $1, $2, 0, 0)",
        )
        .bind(sha2::Sha256::digest(b"missive/email-key/v1\0ann@example.org").to_vec())
        .bind(vec![7u8; 32])
        .execute(&mut conn)
        .await
        .expect("old signer");
        conn.close().await.expect("close");
    }

    let store = Store::open(&url).await.expect("open migrates");
    let signers = store.export("letter").await.expect("export");
    assert_eq!(signers.len(), 1, "the signer stays");
    assert_eq!(signers[0].name.as_deref(), Some("Ann"));
    assert!(!signers[0].email_given, "the unkeyed key is removed");
    store.close().await;

    let mut conn = SqliteConnection::connect(&url).await.expect("raw");
    let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('signers')")
        .fetch_all(&mut conn)
        .await
        .expect("columns")
        .iter()
        .map(|row| row.get::<String, _>("name"))
        .collect();
    assert!(columns.contains(&"email_key".to_owned()), "{columns:?}");
    assert!(!columns.contains(&"email".to_owned()), "{columns:?}");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn postgres_requires_a_configured_secret() {
    let Some(admin_url) = postgres_url_or_skip("postgres_requires_a_configured_secret") else {
        return;
    };
    let scratch = ScratchDatabase::create(&admin_url).await.expect("scratch");
    let store = Store::connect(scratch.url()).await.expect("connect");
    for missing in [MissingSecret::Create, MissingSecret::Refuse] {
        let err = store
            .email_secret(None, missing)
            .expect_err("none configured");
        let shown = err.to_string();
        assert!(
            shown.contains("MISSIVE_EMAIL_SECRET") && shown.contains("openssl rand -hex 32"),
            "{shown}"
        );
    }
    let (_, source) = store
        .email_secret(
            Some("configured-secret-0123456789abcdef0123"),
            MissingSecret::Refuse,
        )
        .expect("configured");
    assert_eq!(source, EmailSecretSource::Configured);
    store.close().await;
}
