//! The storage contract: one scenario that drives every operation of `Store`, run on SQLite
//! (a file in a temp dir) and on PostgreSQL (a fresh database per run, dropped afterwards;
//! skipped loudly unless `MISSIVE_TEST_POSTGRES_URL` is set).

use jiff::Timestamp;
use missive_store::email::EmailSecret;
use missive_store::testing::{ScratchDatabase, postgres_url_or_skip};
use missive_store::{
    Backend, ConfirmOutcome, InsertOutcome, NewSigner, PendingConfirmation, SignerSelector,
    SignerStatus, SignerUpdate, Store, StoreError, TokenHash, email,
};

const LETTER: &str = "lay-down-arms";
const OTHER_LETTER: &str = "another-letter";

/// Base time of the scenario; `at(s)` is `s` seconds later.
const T0_MS: i64 = 1_750_000_000_000;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millisecond(T0_MS + seconds * 1000).expect("valid time")
}

fn token(label: &str) -> TokenHash {
    TokenHash::of_secret(label.as_bytes())
}

/// The email secret of the scenario (the server's would come from its file or config).
fn secret() -> EmailSecret {
    EmailSecret::from_text("contract-test-secret-0123456789abcdef").expect("long enough")
}

fn by_email(address: &str) -> SignerSelector {
    SignerSelector::Email {
        address: address.into(),
        secret: secret(),
    }
}

fn email_key(raw: &str) -> [u8; 32] {
    email::key(
        &secret(),
        &email::normalize(raw).expect("valid test address"),
    )
}

/// A signer counted at once (no confirmation), identified by `label`.
fn signer(label: &str, name: Option<&str>, email: Option<&str>, created: i64) -> NewSigner {
    NewSigner {
        letter: LETTER.into(),
        lang: "en".into(),
        name: name.map(str::to_owned),
        affiliation: None,
        country: None,
        email_key: email.map(email_key),
        confirmation: None,
        edit_token: token(&format!("edit-{label}")),
        created_at: at(created),
    }
}

/// A signer waiting for email confirmation until `expires` seconds.
fn pending(label: &str, name: &str, email: &str, created: i64, expires: i64) -> NewSigner {
    NewSigner {
        confirmation: Some(PendingConfirmation {
            token: token(&format!("confirm-{label}")),
            expires_at: at(expires),
        }),
        ..signer(label, Some(name), Some(email), created)
    }
}

fn stored_id(outcome: &InsertOutcome) -> i64 {
    match outcome {
        InsertOutcome::Stored { id } => *id,
        InsertOutcome::DuplicateEmail => panic!("expected Stored, got DuplicateEmail"),
    }
}

/// Every storage operation, with the outcomes the server relies on.
async fn contract(store: &Store) {
    // --- insert_batch: duplicates inside the batch --------------------------------------
    assert_eq!(store.insert_batch(&[]).await.expect("empty batch"), vec![]);

    let mut ann = signer("ann", Some("Ann Lee"), None, 0);
    ann.affiliation = Some("Memorial".into());
    ann.country = Some("UA".into());
    let bea = pending("bea", "Bea Kim", "bea.kim@example.org", 0, 3600);
    // The same mailbox written differently, later in the same batch: a duplicate.
    let bea_again = pending(
        "bea-again",
        "Bea K.",
        "Bea.Kim+petition@EXAMPLE.org",
        0,
        3600,
    );
    let dan = signer("dan", None, None, 0); // counted, name not shown
    let eve = signer("eve", Some("Eve"), Some("eve@gmail.com"), 0);
    let outcomes = store
        .insert_batch(&[ann, bea.clone(), bea_again, dan, eve])
        .await
        .expect("first batch");
    assert_eq!(outcomes.len(), 5);
    assert_eq!(outcomes[2], InsertOutcome::DuplicateEmail, "{outcomes:?}");
    let [id_ann, id_bea, id_dan, id_eve] = [0, 1, 3, 4].map(|i| stored_id(&outcomes[i]));
    let mut ids = vec![id_ann, id_bea, id_dan, id_eve];
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "ids must be distinct: {outcomes:?}");

    // --- insert_batch: duplicates against stored rows; uniqueness is per letter ----------
    let eve_dots = signer("eve-dots", Some("Eve"), Some("E.V.E+x@GoogleMail.com"), 1);
    let gil = pending("gil", "Gil", "gil@example.org", 1, 2); // expires at 2 s
    let mut bea_elsewhere = signer("bea-elsewhere", Some("Bea"), Some("bea.kim@example.org"), 1);
    bea_elsewhere.letter = OTHER_LETTER.into();
    let outcomes = store
        .insert_batch(&[eve_dots, gil.clone(), bea_elsewhere])
        .await
        .expect("second batch");
    assert_eq!(outcomes[0], InsertOutcome::DuplicateEmail);
    let id_gil = stored_id(&outcomes[1]);
    stored_id(&outcomes[2]);

    // Pending signers are not counted; each letter counts its own.
    assert_eq!(store.count(LETTER).await.expect("count"), 3); // ann, dan, eve
    assert_eq!(store.count(OTHER_LETTER).await.expect("count"), 1);
    assert_eq!(store.count("no-such-letter").await.expect("count"), 0);

    // --- confirm: once, twice, expired, unknown ------------------------------------------
    let bea_token = bea.confirmation.as_ref().expect("pending").token;
    assert_eq!(
        store.confirm(&bea_token, at(10)).await.expect("confirm"),
        ConfirmOutcome::Confirmed {
            id: id_bea,
            letter: LETTER.into()
        }
    );
    assert_eq!(
        store
            .confirm(&bea_token, at(11))
            .await
            .expect("confirm twice"),
        ConfirmOutcome::AlreadyConfirmed
    );
    assert_eq!(store.count(LETTER).await.expect("count"), 4);
    let gil_token = gil.confirmation.as_ref().expect("pending").token;
    // Expired exactly at expires_at.
    assert_eq!(
        store
            .confirm(&gil_token, at(2))
            .await
            .expect("confirm expired"),
        ConfirmOutcome::Expired
    );
    assert_eq!(
        store
            .confirm(&token("never-sent"), at(2))
            .await
            .expect("confirm unknown"),
        ConfirmOutcome::NotFound
    );
    assert_eq!(
        store.count(LETTER).await.expect("count"),
        4,
        "expired is not counted"
    );

    // A new signature with the email of an expired pending one replaces it.
    let gil_again = pending("gil-again", "Gil", "GIL@example.org", 3, 3600);
    let outcomes = store
        .insert_batch(std::slice::from_ref(&gil_again))
        .await
        .expect("third batch");
    let id_gil_again = stored_id(&outcomes[0]);
    assert_ne!(id_gil_again, id_gil);
    assert_eq!(
        store.confirm(&gil_token, at(4)).await.expect("old token"),
        ConfirmOutcome::NotFound,
        "the expired signer was replaced"
    );
    // ... but a pending one still within its window is a duplicate.
    let gil_third = pending("gil-third", "Gil", "gil+again@example.org", 4, 3600);
    assert_eq!(
        store
            .insert_batch(&[gil_third])
            .await
            .expect("fourth batch"),
        vec![InsertOutcome::DuplicateEmail]
    );

    // --- renew_confirmation: a pending signer who lost the mail gets new links --------------
    let gil_key = email_key("Gil@example.org");
    let renewed = PendingConfirmation {
        token: token("confirm-gil-renewed"),
        expires_at: at(7200),
    };
    assert!(
        !store
            .renew_confirmation(
                LETTER,
                &gil_key,
                &renewed,
                &token("edit-gil-renewed"),
                at(3600)
            )
            .await
            .expect("renew after expiry"),
        "an expired confirmation is not renewed"
    );
    assert!(
        store
            .renew_confirmation(
                LETTER,
                &gil_key,
                &renewed,
                &token("edit-gil-renewed"),
                at(5)
            )
            .await
            .expect("renew")
    );
    let gil_again_token = gil_again.confirmation.as_ref().expect("pending").token;
    assert_eq!(
        store
            .confirm(&gil_again_token, at(6))
            .await
            .expect("old link"),
        ConfirmOutcome::NotFound,
        "the old link stops working"
    );
    assert!(
        store
            .signer_by_edit_token(&gil_again.edit_token)
            .await
            .expect("read")
            .is_none()
    );
    let renewed_gil = store
        .signer_by_edit_token(&token("edit-gil-renewed"))
        .await
        .expect("read")
        .expect("the new edit link works");
    assert_eq!(renewed_gil.id, id_gil_again, "the same signer, values kept");
    assert_eq!(renewed_gil.status, SignerStatus::Pending);
    assert!(
        !store
            .renew_confirmation(
                LETTER,
                &email_key("bea.kim@example.org"),
                &PendingConfirmation {
                    token: token("confirm-bea-renewed"),
                    expires_at: at(7200),
                },
                &token("edit-bea-renewed"),
                at(5),
            )
            .await
            .expect("renew confirmed"),
        "a confirmed signer is left alone"
    );
    assert!(
        store
            .signer_by_edit_token(&bea.edit_token)
            .await
            .expect("read")
            .is_some(),
        "bea's edit link still works"
    );

    // --- signer_by_edit_token, update_signer ------------------------------------------------
    let bea_signer = store
        .signer_by_edit_token(&bea.edit_token)
        .await
        .expect("read")
        .expect("bea exists");
    assert_eq!(bea_signer.id, id_bea);
    assert_eq!(bea_signer.letter, LETTER);
    assert_eq!(bea_signer.lang, "en");
    assert_eq!(bea_signer.name.as_deref(), Some("Bea Kim"));
    assert!(
        bea_signer.email_given,
        "only the key of the address is kept"
    );
    assert_eq!(bea_signer.status, SignerStatus::Confirmed);
    assert_eq!(bea_signer.created_at, at(0));
    assert_eq!(bea_signer.confirmed_at, Some(at(10)));
    assert!(
        store
            .signer_by_edit_token(&token("edit-nobody"))
            .await
            .expect("read")
            .is_none()
    );

    // Hide the name: still counted, gone from the public list.
    store
        .update_signer(
            &bea.edit_token,
            &SignerUpdate {
                name: None,
                affiliation: Some("Civic Assistance".into()),
                country: Some("KR".into()),
            },
        )
        .await
        .expect("update");
    let updated = store
        .signer_by_edit_token(&bea.edit_token)
        .await
        .expect("read")
        .expect("bea exists");
    assert_eq!(updated.name, None);
    assert_eq!(updated.affiliation.as_deref(), Some("Civic Assistance"));
    assert_eq!(updated.country.as_deref(), Some("KR"));
    assert_eq!(store.count(LETTER).await.expect("count"), 4);
    let public = store.public_signers(LETTER, 0, 100).await.expect("public");
    let names: Vec<&str> = public.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ann Lee", "Eve"], "named, confirmed, oldest first");
    assert_eq!(public[0].affiliation.as_deref(), Some("Memorial"));
    assert_eq!(public[0].country.as_deref(), Some("UA"));
    assert_eq!(public[0].confirmed_at, at(0));
    assert!(matches!(
        store
            .update_signer(
                &token("edit-nobody"),
                &SignerUpdate {
                    name: Some("X".into()),
                    affiliation: None,
                    country: None
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    // Show the name again: Bea was confirmed at 10 s, after Ann and Eve (0 s).
    store
        .update_signer(
            &bea.edit_token,
            &SignerUpdate {
                name: Some("Bea Kim".into()),
                affiliation: None,
                country: None,
            },
        )
        .await
        .expect("update");

    // --- public_signers: paging ----------------------------------------------------------
    // Ten more named signers, confirmed at once, created in reverse time order so that the
    // confirmation time, not the id, decides the order; two share a time (tie: by id).
    let crowd: Vec<NewSigner> = (0..10)
        .map(|i| {
            let seconds = if i == 9 { 100 - 8 } else { 100 - i };
            signer(
                &format!("crowd-{i}"),
                Some(&format!("Crowd {i}")),
                None,
                seconds,
            )
        })
        .collect();
    let crowd_ids: Vec<i64> = store
        .insert_batch(&crowd)
        .await
        .expect("crowd")
        .iter()
        .map(stored_id)
        .collect();
    let mut expected: Vec<(Timestamp, i64, String)> = crowd
        .iter()
        .zip(&crowd_ids)
        .map(|(s, id)| (s.created_at, *id, s.name.clone().expect("named")))
        .collect();
    expected.extend([
        (at(0), id_ann, "Ann Lee".to_owned()),
        (at(0), id_eve, "Eve".to_owned()),
        (at(10), id_bea, "Bea Kim".to_owned()),
    ]);
    expected.sort();
    let expected_names: Vec<String> = expected.into_iter().map(|(_, _, name)| name).collect();
    assert_eq!(expected_names.len(), 13);
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.public_signers(LETTER, offset, 4).await.expect("page");
        assert!(page.len() <= 4);
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        paged.extend(page.into_iter().map(|p| p.name));
    }
    assert_eq!(paged, expected_names);
    assert!(
        store
            .public_signers(LETTER, u64::MAX, 10)
            .await
            .expect("far page")
            .is_empty()
    );
    assert!(
        store
            .public_signers(LETTER, 0, 0)
            .await
            .expect("empty page")
            .is_empty()
    );

    // --- export: every signer of the letter, pending too, in id order ----------------------
    let exported = store.export(LETTER).await.expect("export");
    let exported_ids: Vec<i64> = exported.iter().map(|s| s.id).collect();
    let mut want_ids = vec![id_ann, id_bea, id_dan, id_eve, id_gil_again];
    want_ids.extend(&crowd_ids);
    want_ids.sort();
    assert_eq!(exported_ids, want_ids);
    let gil_row = exported.iter().find(|s| s.id == id_gil_again).expect("gil");
    assert_eq!(gil_row.status, SignerStatus::Pending);
    assert_eq!(gil_row.confirmed_at, None);
    assert!(gil_row.email_given);
    assert!(
        !exported
            .iter()
            .find(|s| s.id == id_ann)
            .expect("ann")
            .email_given,
        "ann gave no address"
    );
    let dan_row = exported.iter().find(|s| s.id == id_dan).expect("dan");
    assert_eq!(dan_row.name, None);
    assert_eq!(
        dan_row.confirmed_at,
        Some(at(0)),
        "counted at once: confirmed_at = created_at"
    );
    assert!(exported.iter().all(|s| s.letter == LETTER));

    // --- withdraw -----------------------------------------------------------------------
    let dan_token = token("edit-dan");
    store.withdraw(&dan_token).await.expect("withdraw");
    assert!(
        store
            .signer_by_edit_token(&dan_token)
            .await
            .expect("read")
            .is_none()
    );
    assert!(matches!(
        store.withdraw(&dan_token).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count(LETTER).await.expect("count"), 13); // ann, bea, eve + the crowd

    // --- delete_signer: by a differently written email, by id ---------------------------------
    let other_secret = SignerSelector::Email {
        address: "bea.kim@example.org".into(),
        secret: EmailSecret::from_text("another-secret-entirely-0123456789abcdef")
            .expect("long enough"),
    };
    assert_eq!(
        store
            .delete_signer(LETTER, &other_secret)
            .await
            .expect("delete under another secret"),
        0,
        "under another secret the address finds nobody"
    );
    let deleted = store
        .delete_signer(LETTER, &by_email("  BEA.KIM+press@Example.ORG "))
        .await
        .expect("delete by email");
    assert_eq!(deleted, 1);
    assert!(
        store
            .signer_by_edit_token(&bea.edit_token)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store.count(OTHER_LETTER).await.expect("count"),
        1,
        "deleting from one letter leaves the others"
    );
    assert_eq!(
        store
            .delete_signer(LETTER, &by_email("bea.kim@example.org"))
            .await
            .expect("delete again"),
        0
    );
    assert!(matches!(
        store
            .delete_signer(LETTER, &by_email("not an address"))
            .await,
        Err(StoreError::InvalidEmail(_))
    ));
    assert_eq!(
        store
            .delete_signer(OTHER_LETTER, &SignerSelector::Id(id_eve))
            .await
            .expect("wrong letter"),
        0,
        "an id only matches within its letter"
    );
    assert_eq!(
        store
            .delete_signer(LETTER, &SignerSelector::Id(id_eve))
            .await
            .expect("delete by id"),
        1
    );
    assert_eq!(store.count(LETTER).await.expect("count"), 11); // ann + crowd

    // --- purge_expired --------------------------------------------------------------------
    let short = pending("short", "Short", "short@example.org", 20, 30);
    stored_id(&store.insert_batch(&[short]).await.expect("short")[0]);
    assert_eq!(store.purge_expired(at(29)).await.expect("purge early"), 0);
    assert_eq!(store.purge_expired(at(30)).await.expect("purge"), 1);
    assert_eq!(store.purge_expired(at(30)).await.expect("purge again"), 0);
    assert!(
        store
            .export(LETTER)
            .await
            .expect("export")
            .iter()
            .any(|s| s.id == id_gil_again),
        "a pending signer within its window is kept"
    );

    // --- a failing batch stores nothing ----------------------------------------------------
    let before = store.export(LETTER).await.expect("export").len();
    let fresh = signer("fresh", Some("Fresh"), None, 50);
    let mut clash = signer("clash", Some("Clash"), None, 50);
    clash.edit_token = fresh.edit_token; // two signers can never share an edit link
    assert!(matches!(
        store.insert_batch(&[fresh, clash]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.export(LETTER).await.expect("export").len(), before);

    // --- a large batch spans several INSERT statements ----------------------------------------
    let many: Vec<NewSigner> = (0..1200)
        .map(|i| {
            let mut s = signer(
                &format!("many-{i}"),
                None,
                Some(&format!("m{i}@example.org")),
                60,
            );
            s.letter = "big".into();
            s
        })
        .chain(std::iter::once({
            let mut s = signer("many-dup", None, Some("M7+dup@Example.org"), 60);
            s.letter = "big".into();
            s
        }))
        .collect();
    let outcomes = store.insert_batch(&many).await.expect("large batch");
    assert_eq!(outcomes.len(), 1201);
    assert!(
        outcomes[..1200]
            .iter()
            .all(|o| matches!(o, InsertOutcome::Stored { .. }))
    );
    assert_eq!(outcomes[1200], InsertOutcome::DuplicateEmail);
    assert_eq!(store.count("big").await.expect("count"), 1200);
}

#[tokio::test]
async fn contract_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("signers.db");
    let url = format!("sqlite:{}", path.display());
    let store = Store::open(&url).await.expect("open SQLite");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists(), "the file is created on first run");
    assert_eq!(
        store.durability().await.expect("durability"),
        "journal_mode=wal synchronous=full"
    );
    contract(&store).await;
    store.close().await;

    // What was committed is there after reopening.
    let reopened = Store::open(&url).await.expect("reopen");
    assert_eq!(reopened.count(LETTER).await.expect("count"), 11);
    assert!(
        reopened
            .apply_migrations()
            .await
            .expect("migrate")
            .applied
            .is_empty(),
        "already up to date"
    );
    reopened.close().await;
}

#[tokio::test]
async fn contract_on_postgres() {
    let Some(admin_url) = postgres_url_or_skip("contract_on_postgres") else {
        return;
    };
    let scratch = ScratchDatabase::create(&admin_url)
        .await
        .expect("create a scratch database");
    let url = scratch.url();

    // PostgreSQL is never migrated implicitly.
    match Store::open(url).await {
        Err(StoreError::SchemaOutdated {
            pending: 2,
            url: shown,
        }) => {
            assert!(shown.contains(scratch.name()));
        }
        other => panic!("expected SchemaOutdated, got {other:?}"),
    }
    let unmigrated = Store::connect(url).await.expect("connect");
    let report = unmigrated.apply_migrations().await.expect("migrate");
    let applied: Vec<&str> = report
        .applied
        .iter()
        .map(|m| m.description.as_str())
        .collect();
    assert_eq!(applied, ["signers", "email_keyed"]);
    assert_eq!(report.schema_version, 2);
    assert!(
        unmigrated
            .apply_migrations()
            .await
            .expect("again")
            .applied
            .is_empty()
    );
    unmigrated.close().await;

    let store = Store::open(url).await.expect("open PostgreSQL");
    assert_eq!(store.backend(), Backend::Postgres);
    assert_eq!(
        store.durability().await.expect("durability"),
        "synchronous_commit=on"
    );
    contract(&store).await;
    store.close().await;

    let reopened = Store::open(url).await.expect("reopen");
    assert_eq!(reopened.count(LETTER).await.expect("count"), 11);
    reopened.close().await;
}
