//! `missive signers` and `missive migrate` through the binary: a formula-safe CSV export, JSON
//! to a file replaced whole, deletion by a differently written email, and clear errors (exit 2)
//! for bad database URLs, missing files and unmigrated PostgreSQL databases.

use std::path::{Path, PathBuf};

use missive_store::testing::{ScratchDatabase, postgres_url_or_skip};
use missive_store::{MissingSecret, NewSigner, Store, TokenHash, email};

use crate::common::run;

const LETTER: &str = "open-letter";
const OTHER_LETTER: &str = "other-letter";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";

/// A SQLite signature database with three signers: two of `LETTER` (one whose name is a
/// spreadsheet formula), one of `OTHER_LETTER` with the same email as the first.
struct Seeded {
    dir: tempfile::TempDir,
    url: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn new_signer(
    secret: &email::EmailSecret,
    letter: &str,
    label: &str,
    name: &str,
    email: &str,
) -> NewSigner {
    NewSigner {
        letter: letter.into(),
        lang: "en".into(),
        name: Some(name.into()),
        affiliation: None,
        country: None,
        email_key: Some(email::key(secret, &email::normalize(email).expect("valid"))),
        confirmation: None,
        edit_token: TokenHash::of_secret(label.as_bytes()),
        created_at: jiff::Timestamp::from_millisecond(1_750_000_000_000).expect("time"),
    }
}

/// Keyed like the server: the secret file beside the database, made on first use.
fn seeded() -> Seeded {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("signers.db").display());
    runtime().block_on(async {
        let store = Store::open(&url).await.expect("open");
        let (secret, _) = store
            .email_secret(None, MissingSecret::Create)
            .expect("secret file");
        let mut bob = new_signer(&secret, LETTER, "bob", "Bob", "bob@example.org");
        bob.affiliation = Some("@org".into());
        let batch = [
            new_signer(&secret, LETTER, "ann", FORMULA, "ann.lee@example.org"),
            bob,
            new_signer(&secret, OTHER_LETTER, "carl", "Carl", "ann.lee@example.org"),
        ];
        store.insert_batch(&batch).await.expect("insert");
        store.close().await;
    });
    Seeded { dir, url }
}

fn export_json(url: &str, letter: &str) -> Vec<serde_json::Value> {
    let out = run(&[
        "signers",
        "export",
        "--letter",
        letter,
        "--format",
        "json",
        "--database",
        url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("a JSON array")
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".tmp"))
        .collect()
}

#[test]
fn csv_export_neutralizes_spreadsheet_formulas() {
    let db = seeded();
    let out = run(&[
        "signers",
        "export",
        "--letter",
        LETTER,
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("id,letter,lang,status,name,affiliation,country,email_given,created_at,confirmed_at")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        2,
        "only the letter's own signers: {}",
        out.stdout
    );
    assert!(
        rows[0].contains(r#","'=HYPERLINK(""http://evil.example"",""click"")","#),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains(",Bob,'@org,,yes,"), "{}", rows[1]);
    assert!(
        !out.stdout.contains("example.org"),
        "no address is stored, so none is exported: {}",
        out.stdout
    );
    for cell_start in [",=", ",\"=", ",@", ",+", ",-"] {
        assert!(
            !out.stdout.contains(cell_start),
            "{cell_start} in {}",
            out.stdout
        );
    }
    assert!(
        out.stderr.contains("Exported 2 signers of open-letter"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_export_to_a_file_is_written_whole_and_private() {
    let db = seeded();
    let path = db.dir.path().join("export.json");
    std::fs::write(&path, "an older export").expect("write");
    let out = run(&[
        "signers",
        "export",
        "--letter",
        LETTER,
        "--format",
        "json",
        "--out",
        path.to_str().expect("utf-8 path"),
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout with --out: {}",
        out.stdout
    );
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    assert_eq!(json.len(), 2);
    assert_eq!(json[0]["name"], FORMULA, "JSON keeps the name as typed");
    assert_eq!(json[1]["email_given"], true);
    assert!(json[1].get("email").is_none(), "{}", json[1]);
    assert_eq!(json[1]["status"], "confirmed");
    assert!(temp_files(db.dir.path()).is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "personal data: owner only, got {mode:o}");
    }
}

#[test]
fn a_failed_export_leaves_no_partial_file() {
    let db = seeded();
    // The target is a folder: the final rename fails after the temporary file was written.
    let target = db.dir.path().join("taken");
    std::fs::create_dir(&target).expect("mkdir");
    let out = run(&[
        "signers",
        "export",
        "--letter",
        LETTER,
        "--out",
        target.to_str().expect("utf-8 path"),
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("could not write"), "{}", out.stderr);
    assert!(out.stderr.contains("taken"), "{}", out.stderr);
    assert!(
        temp_files(db.dir.path()).is_empty(),
        "temporary file removed"
    );
    assert!(target.is_dir(), "the existing folder is untouched");
}

#[test]
fn delete_by_a_differently_written_email() {
    let db = seeded();
    let out = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--email",
        " ANN.LEE+press@Example.ORG ",
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Deleted 1 signer of letter open-letter"),
        "{}",
        out.stdout
    );
    let left = export_json(&db.url, LETTER);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["name"], "Bob");
    assert_eq!(
        export_json(&db.url, OTHER_LETTER).len(),
        1,
        "the same address on another letter is kept"
    );

    // Nothing left to match: a clear error, exit 2.
    let again = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--email",
        "ann.lee@example.org",
        "--database",
        &db.url,
    ]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("no signer of letter open-letter has email ann.lee@example.org"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("nothing was deleted"),
        "{}",
        again.stderr
    );
}

#[test]
fn delete_by_id_and_argument_errors() {
    let db = seeded();
    let bob_id = export_json(&db.url, LETTER)[1]["id"].as_i64().expect("id");
    let out = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--id",
        &bob_id.to_string(),
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(export_json(&db.url, LETTER).len(), 1);

    let neither = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--database",
        &db.url,
    ]);
    assert_eq!(neither.code, 2);
    assert!(neither.stderr.contains("--email"), "{}", neither.stderr);

    let bad_email = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--email",
        "not-an-address",
        "--database",
        &db.url,
    ]);
    assert_eq!(bad_email.code, 2);
    assert!(
        bad_email.stderr.contains("needs exactly one '@'"),
        "{}",
        bad_email.stderr
    );
}

#[test]
fn bad_database_urls_fail_with_a_specific_message() {
    let cases = [
        (
            "mysql://root@localhost/db",
            "unsupported scheme: use sqlite:PATH or postgres://",
        ),
        ("signers.db", "write sqlite:signers.db for a SQLite file"),
    ];
    for (url, message) in cases {
        let out = run(&["signers", "export", "--letter", LETTER, "--database", url]);
        assert_eq!(out.code, 2, "{url}");
        assert!(
            out.stderr.contains("invalid database URL"),
            "{url}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(message), "{url}: {}", out.stderr);
    }

    let out = run(&[
        "migrate",
        "--database",
        "postgres://ann:hunter2@127.0.0.1:1/missive",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("postgres://ann:***@127.0.0.1:1/missive"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

#[test]
fn export_never_creates_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.db");
    let url = format!("sqlite:{}", path.display());
    let out = run(&["signers", "export", "--letter", LETTER, "--database", &url]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("there is no file"), "{}", out.stderr);
    assert!(out.stderr.contains("missive migrate"), "{}", out.stderr);
    assert!(!path.exists());
}

#[test]
fn migrate_creates_then_reports_up_to_date() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("new.db").display());
    let first = run(&["migrate", "--database", &url]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains(
            "applied 2 migrations (0001_signers, 0002_email_keyed); schema version is now 2"
        ),
        "{}",
        first.stdout
    );
    let second = run(&["migrate", "--database", &url]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second
            .stdout
            .contains("already up to date (schema version 2)"),
        "{}",
        second.stdout
    );
    // An empty, migrated database exports just the header.
    let out = run(&["signers", "export", "--letter", LETTER, "--database", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stderr.contains("has no signers"), "{}", out.stderr);
}

#[test]
fn postgres_needs_migrate_before_export() {
    let Some(admin_url) = postgres_url_or_skip("postgres_needs_migrate_before_export") else {
        return;
    };
    let scratch = runtime()
        .block_on(ScratchDatabase::create(&admin_url))
        .expect("scratch database");
    let url = scratch.url();
    let before = run(&["signers", "export", "--letter", LETTER, "--database", url]);
    assert_eq!(before.code, 2);
    assert!(
        before.stderr.contains("run `missive migrate"),
        "{}",
        before.stderr
    );
    let migrated = run(&["migrate", "--database", url]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    assert!(
        migrated.stdout.contains("applied 2 migrations"),
        "{}",
        migrated.stdout
    );
    let after = run(&["signers", "export", "--letter", LETTER, "--database", url]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert_eq!(after.stdout.lines().count(), 1, "header only");

    // PostgreSQL has no secret file: deleting by email needs the server's configured secret.
    let delete = |secret: Option<&str>| {
        let mut cmd = crate::common::missive();
        cmd.env_remove("MISSIVE_EMAIL_SECRET").args([
            "signers",
            "delete",
            "--letter",
            LETTER,
            "--email",
            "ann@example.org",
            "--database",
            url,
        ]);
        if let Some(secret) = secret {
            cmd.env("MISSIVE_EMAIL_SECRET", secret);
        }
        crate::common::ran(cmd.output().expect("run missive"))
    };
    let without = delete(None);
    assert_eq!(without.code, 2);
    assert!(
        without.stderr.contains("MISSIVE_EMAIL_SECRET")
            && without.stderr.contains("openssl rand -hex 32"),
        "{}",
        without.stderr
    );
    let with = delete(Some("postgres-test-secret-0123456789abcdef0123"));
    assert_eq!(
        with.code, 2,
        "nobody to delete, but the secret was accepted"
    );
    assert!(
        with.stderr.contains("nothing was deleted"),
        "{}",
        with.stderr
    );
}

/// `delete --email` keys the address like the server: MISSIVE_EMAIL_SECRET first, then
/// `email_secret` in the config file, then the file beside a SQLite database; it never makes
/// a new secret, which would match nobody.
#[test]
fn delete_by_email_uses_the_servers_secret() {
    let db = seeded();
    let secret_file = db.dir.path().join("signers.db.email-secret");
    let delete = |extra: &[(&str, &str)], args: &[&str]| {
        let mut cmd = crate::common::missive();
        cmd.env_remove("MISSIVE_EMAIL_SECRET")
            .current_dir(db.dir.path())
            .args([
                "signers",
                "delete",
                "--letter",
                LETTER,
                "--email",
                "bob@example.org",
                "--database",
                &db.url,
            ])
            .args(args);
        for (key, value) in extra {
            cmd.env(key, value);
        }
        crate::common::ran(cmd.output().expect("run missive"))
    };

    // Another secret from the environment or the config file finds nobody.
    let other = "another-secret-0123456789abcdef0123456789";
    let out = delete(&[("MISSIVE_EMAIL_SECRET", other)], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("nothing was deleted"), "{}", out.stderr);
    let config = db.dir.path().join("missive.toml");
    std::fs::write(&config, format!("[serve]\nemail_secret = \"{other}\"\n")).expect("config");
    let out = delete(&[], &[]);
    assert_eq!(
        out.code, 2,
        "missive.toml in the current folder is read: {}",
        out.stderr
    );
    std::fs::remove_file(&config).expect("remove config");

    // Without the secret file, a clear error and nothing is made.
    let kept = std::fs::read_to_string(&secret_file).expect("secret file");
    std::fs::remove_file(&secret_file).expect("hide the secret");
    let out = delete(&[], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("signers.db.email-secret")
            && out.stderr.contains("MISSIVE_EMAIL_SECRET")
            && out.stderr.contains("--id"),
        "{}",
        out.stderr
    );
    assert!(!secret_file.exists(), "the CLI never makes a secret");

    // The server's file, or the same value in the environment, finds the signer.
    let out = delete(&[("MISSIVE_EMAIL_SECRET", kept.trim())], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::write(&secret_file, &kept).expect("restore the secret");
    let out = run(&[
        "signers",
        "delete",
        "--letter",
        LETTER,
        "--email",
        "Ann.Lee@example.org",
        "--database",
        &db.url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(export_json(&db.url, LETTER).is_empty());
}
