//! Taking a signature: `POST /{lang}/sign`.
//!
//! Order of checks (each refusal is a clear, translated 4xx/503 and writes nothing): language
//! and content type, body size and UTF-8, letter, honeypot, fields, proof (proof-of-work from
//! the script, or the form token of the no-script review step; without either, the no-script
//! path first shows the review page), per-source limit, spending the proof, then the writer.
//! Only a durable commit is acknowledged.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use missive_store::{InsertOutcome, NewSigner, PendingConfirmation, TokenHash};

use crate::abuse::{Proof, ProofError, now_ms};
use crate::config::ConfirmationMode;
use crate::form::{self, DecodeError, Draft, Fields, Problem};
use crate::i18n::{self, Strings, fill};
use crate::render::{self, FormView, PageView};
use crate::reply::{Reject, html_response, json_response};
use crate::routes::{client_ip, wants_json};
use crate::state::AppState;
use crate::writer::WriteError;

/// Where a refusal is answered and what to show again.
struct Ctx<'a> {
    state: &'a AppState,
    lang: String,
    t: &'static Strings,
    json: bool,
}

/// `GET /{lang}/sign` (a reload of a result page): back to the form.
pub async fn sign_get(State(state): State<Arc<AppState>>, Path(lang): Path<String>) -> Response {
    // Only a language of the bundle goes into the Location header.
    if state.site.load().has_language(&lang) {
        return Redirect::to(&format!("/{lang}/#sign")).into_response();
    }
    Reject::NotFound.page(&i18n::EN, &state.server_csp, String::new(), "/")
}

pub async fn sign(
    State(state): State<Arc<AppState>>,
    Path(lang): Path<String>,
    request: Request,
) -> Response {
    let json = wants_json(request.headers());
    let site = state.site.load_full();
    if !site.has_language(&lang) {
        let ctx = Ctx {
            state: &state,
            lang: String::new(),
            t: &i18n::EN,
            json,
        };
        return ctx.refuse(Reject::NotFound, None);
    }
    let ctx = Ctx {
        state: &state,
        t: i18n::strings(&lang),
        lang,
        json,
    };
    let (parts, body) = request.into_parts();
    if !is_form(&parts.headers) {
        return ctx.refuse(Reject::ContentType, None);
    }
    let bytes = match read_body(body, &parts.headers, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(reject) => return ctx.refuse(reject, None),
    };
    let fields = match Fields::parse(&bytes) {
        Ok(fields) => fields,
        Err(DecodeError::BadEncoding) => return ctx.refuse(Reject::BadEncoding, None),
        Err(DecodeError::RepeatedField(_)) => return ctx.refuse(Reject::BadRequest, None),
    };
    if fields.get("letter") != Some(site.letter()) {
        return ctx.refuse(Reject::UnknownLetter, None);
    }
    if fields.text("website").is_some() {
        return ctx.refuse(Reject::Honeypot, None);
    }
    let draft = Draft::from_fields(&fields);
    let email_required = state.config.confirmation.mode == ConfirmationMode::Email;
    let entry = match form::validate(&fields, email_required) {
        Ok(entry) => entry,
        Err(problems) => return ctx.refuse(Reject::Invalid(problems), Some(&draft)),
    };

    let now = now_ms();
    let proof: Option<Proof> = if !state.config.abuse.require_proof {
        None
    } else if fields.get("pow_token").is_some() {
        match state
            .guard
            .check_pow(fields.get("pow_token"), fields.get("pow_solution"), now)
        {
            Ok(proof) => Some(proof),
            Err(err) => return ctx.refuse(proof_reject(err), Some(&draft)),
        }
    } else if fields.get("form_token").is_some() {
        match state.guard.check_form_token(fields.get("form_token"), now) {
            Ok(proof) => Some(proof),
            Err(err) => return ctx.refuse(proof_reject(err), Some(&draft)),
        }
    } else if json {
        return ctx.refuse(Reject::ProofMissing, Some(&draft));
    } else {
        return ctx.review(&draft, &entry);
    };

    let ip = client_ip(&state, &parts.headers, &parts.extensions);
    let source = state.guard.source(ip, now);
    if let Err(limited) = state.guard.admit(source, proof.as_ref(), now) {
        let script = proof.as_ref().is_some_and(|p| p.pow);
        return ctx.refuse(
            Reject::RateLimited {
                retry_after_secs: limited.retry_after_secs,
                script,
            },
            Some(&draft),
        );
    }
    if let Some(proof) = &proof
        && state.guard.spend(proof, now).is_err()
    {
        return ctx.refuse(Reject::Replayed, Some(&draft));
    }

    let email_key = match entry.email.as_deref().map(missive_store::email::normalize) {
        None => None,
        Some(Ok(normalized)) => Some(missive_store::email::key(&state.email_secret, &normalized)),
        Some(Err(_)) => {
            return ctx.refuse(Reject::Invalid(vec![Problem::EmailInvalid]), Some(&draft));
        }
    };
    let (edit_secret, edit_hash) = match new_token() {
        Ok(pair) => pair,
        Err(()) => return ctx.refuse(Reject::Unavailable, Some(&draft)),
    };
    let created_at = jiff::Timestamp::now();
    let confirm = if email_required {
        let Ok((secret, hash)) = new_token() else {
            return ctx.refuse(Reject::Unavailable, Some(&draft));
        };
        let expires_at = created_at
            .checked_add(
                jiff::SignedDuration::try_from(state.config.confirmation.expires_after)
                    .unwrap_or_default(),
            )
            .unwrap_or(created_at);
        Some((
            secret,
            PendingConfirmation {
                token: hash,
                expires_at,
            },
        ))
    } else {
        None
    };
    let signer = NewSigner {
        letter: site.letter().to_string(),
        lang: ctx.lang.clone(),
        name: entry.name.clone(),
        affiliation: entry.affiliation.clone(),
        country: entry.country.clone(),
        // Privacy: the store has no field for the address, only its keyed duplicate key. The
        // confirmation mail goes out now; nothing later needs the address.
        email_key,
        confirmation: confirm.as_ref().map(|(_, pending)| pending.clone()),
        edit_token: edit_hash,
        created_at,
    };

    match state.writer.write(signer).await {
        Ok(InsertOutcome::Stored { .. }) => {}
        Ok(InsertOutcome::DuplicateEmail) => {
            if let (Some(mailer), Some(email)) = (&state.mailer, entry.email.as_deref()) {
                // The address is still pending: its mail may have been lost or gone to spam.
                // Re-issue the links (the stored signature is kept as it was) and send them
                // again, so the owner of the address can always confirm.
                if let (Some((_, pending)), Some(key)) = (&confirm, &email_key) {
                    match state
                        .store
                        .renew_confirmation(site.letter(), key, pending, &edit_hash, created_at)
                        .await
                    {
                        Ok(true) => {
                            return ctx
                                .send_links(&confirm, &edit_secret, email, &draft, None)
                                .await;
                        }
                        Ok(false) => {}
                        Err(err) => {
                            tracing::warn!(error = %err, "could not renew a pending confirmation");
                            return ctx.refuse(Reject::Unavailable, Some(&draft));
                        }
                    }
                }
                // With confirmation on, a duplicate looks the same as a new signature to whoever
                // sent the form (so nobody can test which addresses signed); the owner of the
                // address is told by mail instead.
                if let Err(err) = mailer.send_duplicate_notice(ctx.t, email).await {
                    tracing::warn!(error = %err, "could not send a duplicate notice");
                }
                return ctx.mail_sent();
            }
            return ctx.refuse(Reject::Duplicate, Some(&draft));
        }
        Err(WriteError::Busy) => return ctx.refuse(Reject::Busy, Some(&draft)),
        Err(WriteError::Store | WriteError::Closed) => {
            return ctx.refuse(Reject::Unavailable, Some(&draft));
        }
    }

    if let (Some(_), Some(email)) = (&confirm, entry.email.as_deref()) {
        return ctx
            .send_links(&confirm, &edit_secret, email, &draft, Some(&edit_hash))
            .await;
    }
    ctx.signed(
        &edit_secret,
        parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok()),
    )
}

fn proof_reject(err: ProofError) -> Reject {
    match err {
        ProofError::Missing => Reject::ProofMissing,
        ProofError::Invalid => Reject::ProofInvalid,
        ProofError::Expired => Reject::ProofExpired,
        ProofError::TooFast { .. } => Reject::TooFast,
        ProofError::Replayed => Reject::Replayed,
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Reads a body up to `limit` bytes; longer is refused before it is read in full.
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Vec<u8>, Reject> {
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(Reject::BodyTooLarge);
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(err) => {
            // Over the limit, or the client went away mid-body.
            let too_large = std::error::Error::source(&err)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            Err(if too_large {
                Reject::BodyTooLarge
            } else {
                Reject::BadRequest
            })
        }
    }
}

/// A fresh secret for a link (64 hex characters) and the hash the store keeps.
fn new_token() -> Result<(String, TokenHash), ()> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| tracing::error!(%err, "no randomness for a token"))?;
    let secret = hex::encode(bytes);
    let hash = TokenHash::of_secret(secret.as_bytes());
    Ok((secret, hash))
}

fn mail_base(state: &AppState) -> String {
    match &state.config.public_url {
        Some(url) if url.ends_with('/') => url.clone(),
        Some(url) => format!("{url}/"),
        None => format!("http://{}/", state.config.listen),
    }
}

impl Ctx<'_> {
    /// Mails the confirmation and edit links and answers "check your mail". When the mail
    /// cannot be sent, a signature stored just now (`remove_on_failure`, its edit token) is
    /// taken back out, since it could never be confirmed; a renewed one stays pending, and
    /// sending the form again renews it again.
    async fn send_links(
        &self,
        confirm: &Option<(String, PendingConfirmation)>,
        edit_secret: &str,
        email: &str,
        draft: &Draft,
        remove_on_failure: Option<&TokenHash>,
    ) -> Response {
        let state = self.state;
        let (Some(mailer), Some((confirm_secret, _))) = (&state.mailer, confirm) else {
            return self.refuse(Reject::Unavailable, Some(draft));
        };
        let base = mail_base(state);
        let confirm_url = format!("{base}{}/confirm/{confirm_secret}", self.lang);
        let edit_url = format!("{base}{}/edit/{edit_secret}", self.lang);
        let days = state
            .config
            .confirmation
            .expires_after
            .as_secs()
            .div_ceil(86_400);
        if let Err(err) = mailer
            .send_confirmation(self.t, email, &confirm_url, &edit_url, days)
            .await
        {
            tracing::warn!(error = %err, "could not send a confirmation mail");
            if let Some(edit_hash) = remove_on_failure
                && let Err(err) = state.store.withdraw(edit_hash).await
            {
                tracing::warn!(error = %err, "could not remove the pending signature after a mail failure");
            }
            return self.refuse(Reject::Unavailable, Some(draft));
        }
        self.mail_sent()
    }

    /// A fresh form token for showing the form again.
    fn token(&self) -> Option<String> {
        if !self.state.config.abuse.require_proof {
            return None;
        }
        match self.state.guard.form_token(now_ms()) {
            Ok(token) => Some(token),
            Err(err) => {
                tracing::error!(%err, "no randomness for a form token");
                None
            }
        }
    }

    fn form(&self, draft: &Draft, problems: &[Problem]) -> String {
        let token = self.token();
        render::sign_form(&FormView {
            t: self.t,
            letter: self.state.site.load().letter(),
            count: None,
            count_refresh_ms: self.state.settings.count_refresh_ms,
            token: token.as_deref(),
            draft,
            problems,
            email_required: self.state.settings.email_required,
            script_name: &self.state.script_name,
        })
    }

    fn refuse(&self, reject: Reject, draft: Option<&Draft>) -> Response {
        if self.json {
            return reject.json(self.t);
        }
        // Show the form again (filled in, with a fresh token) wherever trying again may help.
        let form = match (&reject, draft) {
            (Reject::Invalid(problems), Some(draft)) => self.form(draft, problems),
            (Reject::Honeypot | Reject::UnknownLetter | Reject::NotFound, _) => String::new(),
            (_, Some(draft)) => self.form(draft, &[]),
            (_, None) => String::new(),
        };
        reject.page(self.t, &self.state.server_csp, form, "./")
    }

    /// The no-script review step: the signature as it will appear, and the form with a token.
    fn review(&self, draft: &Draft, entry: &form::Entry) -> Response {
        let t = self.t;
        let shown = match &entry.name {
            None => t.count_only.to_string(),
            Some(name) => {
                let mut s = name.clone();
                if let Some(a) = &entry.affiliation {
                    s.push_str(", ");
                    s.push_str(a);
                }
                if let Some(c) = &entry.country {
                    s.push_str(&format!(" ({c})"));
                }
                s
            }
        };
        let html = render::page(&PageView {
            t,
            title: t.review_heading,
            heading: t.review_heading,
            paragraphs: vec![
                t.review_intro.to_string(),
                format!("{}: {shown}", t.shown_as),
            ],
            edit_url: None,
            body: self.form(draft, &[]),
            home: "./",
        });
        html_response(StatusCode::OK, html, &self.state.server_csp)
    }

    fn signed(&self, edit_secret: &str, host: Option<&str>) -> Response {
        let t = self.t;
        let edit_path = format!("edit/{edit_secret}");
        if self.json {
            return json_response(
                StatusCode::OK,
                serde_json::json!({
                    "ok": true,
                    "status": "signed",
                    "message": format!("{} {}", t.signed_heading, t.signed_body),
                    "edit_url": edit_path,
                    "edit_intro": t.edit_link_intro,
                    "count": self.state.site.load().count.count,
                }),
            );
        }
        let shown = display_url(self.state, host, &self.lang, &edit_path);
        let html = render::page(&PageView {
            t,
            title: t.signed_heading,
            heading: t.signed_heading,
            paragraphs: vec![t.signed_body.to_string()],
            edit_url: Some(&shown),
            body: String::new(),
            home: "./",
        });
        html_response(StatusCode::OK, html, &self.state.server_csp)
    }

    /// "Check your mail". With confirmation on, the edit link travels in the mail only, so this
    /// answer looks the same whether the address was new or already used.
    fn mail_sent(&self) -> Response {
        let t = self.t;
        let days = self
            .state
            .config
            .confirmation
            .expires_after
            .as_secs()
            .div_ceil(86_400);
        let body = fill(t.mail_sent_body, &[("days", &days.to_string())]);
        if self.json {
            return json_response(
                StatusCode::OK,
                serde_json::json!({
                    "ok": true,
                    "status": "mail_sent",
                    "message": format!("{} {body}", t.mail_sent_heading),
                }),
            );
        }
        let html = render::page(&PageView {
            t,
            title: t.mail_sent_heading,
            heading: t.mail_sent_heading,
            paragraphs: vec![body],
            edit_url: None,
            body: String::new(),
            home: "./",
        });
        html_response(StatusCode::OK, html, &self.state.server_csp)
    }
}

/// The edit link as the signer should copy it: on the public address if configured, else on
/// the host the signer used.
fn display_url(state: &AppState, host: Option<&str>, lang: &str, path: &str) -> String {
    match (&state.config.public_url, host) {
        (Some(url), _) => format!("{}/{lang}/{path}", url.trim_end_matches('/')),
        (None, Some(host))
            if host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) =>
        {
            format!("http://{host}/{lang}/{path}")
        }
        _ => format!("/{lang}/{path}"),
    }
}
