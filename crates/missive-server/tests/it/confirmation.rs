//! Email confirmation through the outbox: opening the link never confirms, only the button's
//! POST does; expired, reused and unknown links are clear answers; duplicates look the same
//! to the sender and are told to the address's owner by mail.

use std::time::Duration;

use axum::http::StatusCode;
use missive_server::ConfirmationMode;

use crate::helpers::*;

fn outbox(server: &TestServer) -> Vec<String> {
    let dir = server.dir.path().join("outbox");
    let mut mails: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    mails.sort();
    mails
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The links in a plain-text mail body (lettre may wrap or encode it; ours are short ASCII).
fn links(mail: &str) -> Vec<String> {
    let unfolded = mail.replace("=\r\n", "").replace("=\n", "");
    unfolded
        .split_whitespace()
        .filter(|w| w.starts_with("http://"))
        .map(|w| w.replace("=3D", "="))
        .collect()
}

fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    format!("/{}", rest.split_once('/').unwrap().1)
}

async fn email_server(expires: Duration) -> TestServer {
    start_with(|c| {
        c.confirmation.mode = ConfirmationMode::Email;
        c.confirmation.from = "Coalition <noreply@example.org>".into();
        c.confirmation.expires_after = expires;
        c.public_url = Some("http://letter.example.org".into());
    })
    .await
}

#[tokio::test]
async fn a_signature_counts_only_after_the_button_is_pressed() {
    let server = email_server(Duration::from_secs(3600)).await;
    let no_email = server.sign_script("en", &fields("Min"), "192.0.2.90").await;
    assert_eq!(no_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_email.json()["problems"][0]["field"], "email");

    let reply = server
        .sign_no_script(
            "en",
            &format!("{}&email=min%40example.org", fields("Min")),
            "192.0.2.90",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().contains("Check your mail"));
    assert!(
        link_containing(&reply.text(), "/edit/").is_none(),
        "the edit link travels by mail only"
    );
    assert_eq!(
        server.count().await,
        0,
        "pending signatures are not counted"
    );

    let mails = outbox(&server);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: min@example.org"), "{}", mails[0]);
    let links = links(&mails[0]);
    let confirm = links
        .iter()
        .find(|l| l.contains("/confirm/"))
        .unwrap_or_else(|| panic!("a confirmation link in {}", mails[0]));
    let edit = links
        .iter()
        .find(|l| l.contains("/edit/"))
        .expect("an edit link");
    assert!(
        confirm.starts_with("http://letter.example.org/en/confirm/"),
        "{confirm}"
    );

    // A mail scanner opening the link changes nothing.
    let opened = server.get(&path_of(confirm)).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(
        opened
            .text()
            .contains("<button type=\"submit\">Confirm</button>")
    );
    assert_eq!(server.get(&path_of(confirm)).await.status, StatusCode::OK);
    assert_eq!(server.count().await, 0);

    let pressed = server.post_form(&path_of(confirm), "", "192.0.2.90").await;
    assert_eq!(pressed.status, StatusCode::OK);
    assert!(pressed.text().contains("confirmed and counted"));
    assert_eq!(server.count().await, 1);
    let twice = server.post_form(&path_of(confirm), "", "192.0.2.90").await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(twice.text().contains("already confirmed"));
    assert_eq!(server.count().await, 1);

    let edit_page = server.get(&path_of(edit)).await;
    assert_eq!(edit_page.status, StatusCode::OK);
    assert!(edit_page.text().contains("value=\"Min\""));

    let unknown = server
        .post_form(&format!("/en/confirm/{}", "0".repeat(64)), "", "192.0.2.90")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let malformed = server.get("/en/confirm/zzz").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_link_is_gone_and_counts_nothing() {
    let server = email_server(Duration::from_secs(1)).await;
    server
        .sign_script(
            "en",
            &format!("{}&email=late%40example.org", fields("Late")),
            "192.0.2.91",
        )
        .await;
    let mails = outbox(&server);
    let confirm = links(&mails[0])
        .into_iter()
        .find(|l| l.contains("/confirm/"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let pressed = server.post_form(&path_of(&confirm), "", "192.0.2.91").await;
    assert_eq!(pressed.status, StatusCode::GONE);
    assert!(pressed.text().contains("expired"));
    assert_eq!(server.count().await, 0);
}

#[tokio::test]
async fn a_duplicate_looks_the_same_to_the_sender_and_its_owner_is_told() {
    let server = email_server(Duration::from_secs(3600)).await;
    let first = server
        .sign_script(
            "en",
            &format!("{}&email=kim%40example.org", fields("Kim")),
            "192.0.2.92",
        )
        .await;
    let confirm = links(&outbox(&server)[0])
        .into_iter()
        .find(|l| l.contains("/confirm/"))
        .unwrap();
    let pressed = server.post_form(&path_of(&confirm), "", "192.0.2.92").await;
    assert_eq!(pressed.status, StatusCode::OK);
    let second = server
        .sign_script(
            "en",
            &format!("{}&email=KIM%2Bagain%40example.org", fields("Not Kim")),
            "192.0.2.93",
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(first.json()["status"], "mail_sent");
    assert_eq!(
        first.json(),
        second.json(),
        "nobody can test which addresses signed"
    );
    assert_eq!(server.stored().await.len(), 1);
    let mails = outbox(&server);
    assert_eq!(mails.len(), 2);
    assert!(
        mails.iter().any(|m| m.contains("already signed")),
        "{mails:?}"
    );
    assert_eq!(server.count().await, 1);
}

/// The first mail was lost (or went to spam): signing again with the same address while the
/// signature is pending sends new links, and the person can confirm. The stored values stay
/// those of the first form: whoever sends the second cannot change what gets confirmed.
#[tokio::test]
async fn signing_again_while_pending_sends_new_links() {
    let server = email_server(Duration::from_secs(3600)).await;
    let first = server
        .sign_no_script(
            "en",
            &format!("{}&email=lee%40example.org", fields("Lee")),
            "192.0.2.94",
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let lost = links(&outbox(&server)[0]);
    for mail in std::fs::read_dir(server.dir.path().join("outbox")).unwrap() {
        std::fs::remove_file(mail.unwrap().path()).unwrap();
    }

    let second = server
        .sign_no_script(
            "en",
            &format!("{}&email=Lee%2Bretry%40Example.org", fields("Someone Else")),
            "192.0.2.94",
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    assert!(second.text().contains("Check your mail"));
    let mails = outbox(&server);
    assert_eq!(mails.len(), 1, "one new mail");
    assert!(
        mails[0].contains("To: Lee+retry@Example.org"),
        "{}",
        mails[0]
    );
    assert!(!mails[0].contains("already signed"), "{}", mails[0]);
    let fresh = links(&mails[0]);
    let confirm = fresh.iter().find(|l| l.contains("/confirm/")).unwrap();
    let edit = fresh.iter().find(|l| l.contains("/edit/")).unwrap();
    assert!(!lost.contains(confirm), "new links");

    // The lost mail's links no longer work; the new ones do.
    let old_confirm = lost.iter().find(|l| l.contains("/confirm/")).unwrap();
    let old = server
        .post_form(&path_of(old_confirm), "", "192.0.2.94")
        .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let pressed = server.post_form(&path_of(confirm), "", "192.0.2.94").await;
    assert_eq!(pressed.status, StatusCode::OK, "{}", pressed.text());
    assert_eq!(server.count().await, 1);
    let stored = server.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].name.as_deref(),
        Some("Lee"),
        "the first form's values"
    );
    let edit_page = server.get(&path_of(edit)).await;
    assert_eq!(edit_page.status, StatusCode::OK);
    assert!(edit_page.text().contains("value=\"Lee\""));
}

/// A minimal SMTP server: accepts one session, records the message.
async fn fake_smtp() -> (u16, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut message = String::new();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                } else {
                    message.push_str(&line);
                    message.push('\n');
                }
                continue;
            }
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let answer: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250-fake\r\n250 8BITMIME\r\n",
                "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.1.0 ok\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"502 no\r\n",
            };
            write.write_all(answer).await.unwrap();
        }
        message
    });
    (port, task)
}

#[tokio::test]
async fn confirmation_mail_goes_out_over_smtp() {
    let (port, received) = fake_smtp().await;
    let server = start_with(|c| {
        c.confirmation.mode = ConfirmationMode::Email;
        c.confirmation.transport = missive_server::MailTransport::Smtp;
        c.confirmation.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.confirmation.from = "Coalition <noreply@example.org>".into();
        c.public_url = Some("https://letter.example.org/".into());
    })
    .await;
    let reply = server
        .sign_script(
            "ko",
            &format!("{}&email=ji%40example.org", fields("Ji")),
            "192.0.2.95",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let message = received.await.unwrap();
    assert!(message.contains("To: ji@example.org"), "{message}");
    let unfolded = message.replace("=\n", "");
    assert!(
        unfolded.contains("https://letter.example.org/ko/confirm/"),
        "{message}"
    );
    assert!(server.state.store.export(LETTER).await.unwrap().len() == 1);
}

#[tokio::test]
async fn a_mail_that_cannot_be_sent_leaves_nothing_behind() {
    // A port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = start_with(|c| {
        c.confirmation.mode = ConfirmationMode::Email;
        c.confirmation.transport = missive_server::MailTransport::Smtp;
        c.confirmation.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.public_url = Some("https://letter.example.org/".into());
    })
    .await;
    let reply = server
        .sign_script(
            "en",
            &format!("{}&email=no%40example.org", fields("No")),
            "192.0.2.96",
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(reply.json()["error"], "unavailable");
    assert!(
        server.stored().await.is_empty(),
        "the pending signature was taken back out"
    );
}
