//! Opening a store: URL forms, first-run creation, schema checks, and errors that say what to
//! do without ever showing a password.

use missive_store::testing::{ScratchDatabase, postgres_url_or_skip, with_database};
use missive_store::{Store, StoreError, StoreOptions};
use sqlx::{Connection, SqliteConnection};

#[tokio::test]
async fn sqlite_url_forms_create_the_file_and_migrate() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, prefix) in ["sqlite:", "sqlite://"].into_iter().enumerate() {
        let path = dir.path().join(format!("db{i}.sqlite"));
        let store = Store::open(&format!("{prefix}{}", path.display()))
            .await
            .expect("open");
        assert!(path.exists(), "{prefix}: file created");
        assert_eq!(store.count("x").await.expect("schema is there"), 0);
        store.close().await;
    }
}

#[tokio::test]
async fn sqlite_in_a_missing_folder_says_which_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no-such-folder").join("m.db");
    let err = Store::open(&format!("sqlite:{}", path.display()))
        .await
        .expect_err("cannot create a file in a missing folder");
    assert!(matches!(err, StoreError::CannotOpen { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("no-such-folder"), "{shown}");
    assert!(shown.contains("exists and is writable"), "{shown}");
}

#[tokio::test]
async fn without_create_if_missing_a_missing_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.db");
    let options = StoreOptions::default().create_if_missing(false);
    let err = Store::open_with(&format!("sqlite:{}", path.display()), &options)
        .await
        .expect_err("missing file");
    let shown = err.to_string();
    assert!(
        shown.contains("typo.db") && shown.contains("missive migrate"),
        "{shown}"
    );
    assert!(!path.exists(), "nothing was created");
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_the_forms_that_work() {
    for url in [
        "missive.db",
        "mysql://root@localhost/db",
        "",
        "sqlite:",
        "sqlite::memory:",
    ] {
        let err = Store::open(url).await.expect_err(url);
        assert!(
            matches!(err, StoreError::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(err.to_string().contains("sqlite:"), "{url}: {err}");
    }
    let err = Store::open("missive.db").await.expect_err("bare path");
    assert!(err.to_string().contains("write sqlite:missive.db"), "{err}");
}

#[tokio::test]
async fn an_unreachable_postgres_never_shows_the_password() {
    // Port 1 on loopback: refused at once.
    let err = Store::open("postgres://ann:hunter2@127.0.0.1:1/missive")
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(err, StoreError::CannotOpen { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("postgres://ann:***@127.0.0.1:1/missive"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_database_from_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("newer.db");
    let url = format!("sqlite:{}", path.display());
    Store::open(&url).await.expect("create").close().await;
    // Pretend a later release applied migration 999.
    let mut conn = SqliteConnection::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("insert");
    conn.close().await.expect("close");
    match Store::open(&url).await {
        Err(err @ StoreError::SchemaNewer { version: 999, .. }) => {
            assert!(err.to_string().contains("upgrade missive"), "{err}");
        }
        other => panic!("expected SchemaNewer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hand_edited_migration_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("edited.db");
    let url = format!("sqlite:{}", path.display());
    Store::open(&url).await.expect("create").close().await;
    let mut conn = SqliteConnection::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query("UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1")
        .execute(&mut conn)
        .await
        .expect("update");
    conn.close().await.expect("close");
    assert!(matches!(
        Store::open(&url).await,
        Err(StoreError::SchemaModified { version: 1, .. })
    ));
}

#[tokio::test]
async fn postgres_debug_and_errors_hide_the_password() {
    let Some(admin_url) = postgres_url_or_skip("postgres_debug_and_errors_hide_the_password")
    else {
        return;
    };
    let scratch = ScratchDatabase::create(&admin_url).await.expect("scratch");
    // The test server trusts local connections, so any password is accepted, and must be
    // hidden everywhere the URL shows up.
    if !admin_url.contains("://postgres@") {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED (postgres_debug_and_errors_hide_the_password): the admin URL is not \
             of the form postgres://postgres@HOST/DB, so no password can be added to it ***"
        );
        return;
    }
    let with_password = with_database(
        &admin_url.replacen("://postgres@", "://postgres:hunter2@", 1),
        scratch.name(),
    );
    assert!(
        with_password.contains("hunter2"),
        "test URL: {with_password}"
    );
    let err = Store::open(&with_password).await.expect_err("not migrated");
    assert!(matches!(err, StoreError::SchemaOutdated { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("missive migrate"), "{shown}");
    let store = Store::connect(&with_password).await.expect("connect");
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("postgres:***@"),
        "{debug}"
    );
    store.close().await;
}
