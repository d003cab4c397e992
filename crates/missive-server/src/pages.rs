//! Pages beside the letter: the public list of names (paginated, cached for one count-refresh
//! interval so a crowd of readers costs one query per page per interval), and the signer's own
//! confirmation and edit pages. Opening a confirmation link never confirms: only the button's
//! POST does, so mail scanners that pre-open links cannot confirm or burn it.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use missive_store::{ConfirmOutcome, SignerStatus, SignerUpdate, StoreError, TokenHash};

use crate::asset::{Asset, CachePolicy};
use crate::files;
use crate::form::{self, DecodeError, Fields};
use crate::i18n::{self, Strings, fill};
use crate::render::{self, EditView, PageView, SignersView};
use crate::reply::{Reject, html_response};
use crate::routes::strings_for;
use crate::sign::read_body;
use crate::state::{AppState, lock};

/// Deepest page of the public list served (keeps OFFSET queries bounded).
const MAX_PAGE: u64 = 100_000;

fn refuse(state: &AppState, t: &'static Strings, reject: Reject, home: &str) -> Response {
    reject.page(t, &state.server_csp, String::new(), home)
}

/// `GET /{lang}/signers?page=N`.
pub async fn signers(
    State(state): State<Arc<AppState>>,
    Path(lang): Path<String>,
    request: Request,
) -> Response {
    let site = state.site.load_full();
    if !site.has_language(&lang) {
        return refuse(&state, &i18n::EN, Reject::NotFound, "/");
    }
    let t = i18n::strings(&lang);
    let query = Fields::parse(request.uri().query().unwrap_or("").as_bytes()).unwrap_or_default();
    let page = match query.get("page") {
        None => 1,
        Some(p) => match p.parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return refuse(&state, t, Reject::NotFound, "./"),
        },
    };
    let key = (lang.clone(), page);
    let cached = lock(&state.signers_cache)
        .get(&key)
        .filter(|(made, _)| made.elapsed() < state.config.count_refresh)
        .map(|(_, asset)| asset.clone());
    let asset = match cached {
        Some(asset) => asset,
        None => {
            let per_page = state.config.signers_per_page;
            let offset = (page - 1) * u64::from(per_page);
            // One more than a page tells whether there is a next page.
            let rows = match state
                .store
                .public_signers(site.letter(), offset, per_page + 1)
                .await
            {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the public list");
                    return refuse(&state, t, Reject::Unavailable, "./");
                }
            };
            if rows.is_empty() && page > 1 {
                return refuse(&state, t, Reject::NotFound, "./");
            }
            let has_next = rows.len() > per_page as usize;
            let shown = &rows[..rows.len().min(per_page as usize)];
            let count_line = fill(
                t.count_line,
                &[("count", &i18n::group_digits(site.count.count, t.thousands))],
            );
            let body = render::signers_list(
                t,
                &SignersView {
                    count_line: &count_line,
                    signers: shown,
                    first_number: offset + 1,
                    prev_page: (page > 1).then(|| page - 1),
                    next_page: has_next.then_some(page + 1),
                },
            );
            let title = site
                .bundle
                .translation(&lang)
                .map(|tr| format!("{} — {}", t.signers_heading, tr.title))
                .unwrap_or_else(|| t.signers_heading.to_string());
            let mut paragraphs = Vec::new();
            if page > 1 {
                paragraphs.push(fill(t.page_n, &[("page", &page.to_string())]));
            }
            let html = render::page(&PageView {
                t,
                title: &title,
                heading: t.signers_heading,
                paragraphs,
                edit_url: None,
                body,
                home: "./",
            });
            let secs = state.config.count_refresh.as_secs().max(1);
            let asset = Arc::new(Asset::new(
                html.into_bytes(),
                "text/html; charset=utf-8",
                CachePolicy::Count(secs),
                Some(state.server_csp.clone()),
                4,
            ));
            let mut cache = lock(&state.signers_cache);
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), asset.clone()));
            asset
        }
    };
    files::respond(&asset, request.method(), request.headers())
}

/// A link token: 64 lowercase hex characters, or nothing.
fn token_hash(token: &str) -> Option<TokenHash> {
    (token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| TokenHash::of_secret(token.as_bytes()))
}

fn private_page(
    state: &AppState,
    t: &'static Strings,
    status: StatusCode,
    heading: &str,
    paragraphs: Vec<String>,
    body: String,
) -> Response {
    let html = render::page(&PageView {
        t,
        title: heading,
        heading,
        paragraphs,
        edit_url: None,
        body,
        home: "../",
    });
    html_response(status, html, &state.server_csp)
}

/// `GET /{lang}/confirm/{token}`: a page with a button. Touches nothing.
pub async fn confirm_page(
    State(state): State<Arc<AppState>>,
    Path((lang, token)): Path<(String, String)>,
) -> Response {
    let t = strings_for(&state, &lang);
    if token_hash(&token).is_none() {
        return refuse(&state, t, Reject::LinkUnknown, "../");
    }
    private_page(
        &state,
        t,
        StatusCode::OK,
        t.confirm_heading,
        vec![t.confirm_body.to_string()],
        render::confirm_form(t),
    )
}

/// `POST /{lang}/confirm/{token}`: confirms.
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Path((lang, token)): Path<(String, String)>,
) -> Response {
    let t = strings_for(&state, &lang);
    let Some(hash) = token_hash(&token) else {
        return refuse(&state, t, Reject::LinkUnknown, "../");
    };
    match state.store.confirm(&hash, jiff::Timestamp::now()).await {
        Ok(ConfirmOutcome::Confirmed { .. }) => private_page(
            &state,
            t,
            StatusCode::OK,
            t.confirm_heading,
            vec![t.confirmed_body.to_string()],
            String::new(),
        ),
        // A reused link: nothing to do, said plainly (and as a 4xx, since nothing changed).
        Ok(ConfirmOutcome::AlreadyConfirmed) => private_page(
            &state,
            t,
            StatusCode::CONFLICT,
            t.confirm_heading,
            vec![t.already_confirmed_body.to_string()],
            String::new(),
        ),
        Ok(ConfirmOutcome::Expired) => refuse(&state, t, Reject::LinkExpired, "../"),
        Ok(ConfirmOutcome::NotFound) => refuse(&state, t, Reject::LinkUnknown, "../"),
        Err(err) => {
            tracing::warn!(error = %err, "could not confirm a signature");
            refuse(&state, t, Reject::Unavailable, "../")
        }
    }
}

/// `GET /{lang}/edit/{token}`: the signer's current values, to change or withdraw.
pub async fn edit_page(
    State(state): State<Arc<AppState>>,
    Path((lang, token)): Path<(String, String)>,
) -> Response {
    let t = strings_for(&state, &lang);
    let Some(hash) = token_hash(&token) else {
        return refuse(&state, t, Reject::LinkUnknown, "../");
    };
    match state.store.signer_by_edit_token(&hash).await {
        Ok(Some(signer)) => {
            let body = render::edit_form(
                t,
                &EditView {
                    pending: signer.status == SignerStatus::Pending,
                    problems: &[],
                    name: signer.name.as_deref().unwrap_or(""),
                    anonymous: signer.name.is_none(),
                    affiliation: signer.affiliation.as_deref().unwrap_or(""),
                    country: signer.country.as_deref().unwrap_or(""),
                },
            );
            private_page(
                &state,
                t,
                StatusCode::OK,
                t.edit_heading,
                vec![t.edit_intro.to_string()],
                body,
            )
        }
        Ok(None) => refuse(&state, t, Reject::LinkUnknown, "../"),
        Err(err) => {
            tracing::warn!(error = %err, "could not read a signer for the edit page");
            refuse(&state, t, Reject::Unavailable, "../")
        }
    }
}

/// `POST /{lang}/edit/{token}`: `action=update` with the public fields, or `action=withdraw`.
pub async fn edit(
    State(state): State<Arc<AppState>>,
    Path((lang, token)): Path<(String, String)>,
    request: Request,
) -> Response {
    let t = strings_for(&state, &lang);
    let Some(hash) = token_hash(&token) else {
        return refuse(&state, t, Reject::LinkUnknown, "../");
    };
    let (parts, body) = request.into_parts();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return refuse(&state, t, Reject::ContentType, "../");
    }
    let bytes = match read_body(body, &parts.headers, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(reject) => return refuse(&state, t, reject, "../"),
    };
    let fields = match Fields::parse(&bytes) {
        Ok(fields) => fields,
        Err(DecodeError::BadEncoding) => return refuse(&state, t, Reject::BadEncoding, "../"),
        Err(DecodeError::RepeatedField(_)) => return refuse(&state, t, Reject::BadRequest, "../"),
    };
    match fields.get("action") {
        Some("withdraw") => match state.store.withdraw(&hash).await {
            Ok(()) => private_page(
                &state,
                t,
                StatusCode::OK,
                t.edit_heading,
                vec![t.withdrawn_body.to_string()],
                String::new(),
            ),
            Err(StoreError::NotFound) => refuse(&state, t, Reject::LinkUnknown, "../"),
            Err(err) => {
                tracing::warn!(error = %err, "could not withdraw a signature");
                refuse(&state, t, Reject::Unavailable, "../")
            }
        },
        Some("update") => {
            let entry = match form::validate_update(&fields) {
                Ok(entry) => entry,
                Err(problems) => {
                    let draft = form::Draft::from_fields(&fields);
                    let body = render::edit_form(
                        t,
                        &EditView {
                            pending: false,
                            problems: &problems,
                            name: &draft.name,
                            anonymous: draft.anonymous,
                            affiliation: &draft.affiliation,
                            country: &draft.country,
                        },
                    );
                    let mut response = private_page(
                        &state,
                        t,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        t.edit_heading,
                        vec![t.error_heading.to_string()],
                        body,
                    );
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    return response;
                }
            };
            let update = SignerUpdate {
                name: entry.name.clone(),
                affiliation: entry.affiliation.clone(),
                country: entry.country.clone(),
            };
            match state.store.update_signer(&hash, &update).await {
                Ok(()) => {
                    let body = render::edit_form(
                        t,
                        &EditView {
                            pending: false,
                            problems: &[],
                            name: entry.name.as_deref().unwrap_or(""),
                            anonymous: entry.name.is_none(),
                            affiliation: entry.affiliation.as_deref().unwrap_or(""),
                            country: entry.country.as_deref().unwrap_or(""),
                        },
                    );
                    private_page(
                        &state,
                        t,
                        StatusCode::OK,
                        t.edit_heading,
                        vec![t.saved_body.to_string()],
                        body,
                    )
                }
                Err(StoreError::NotFound) => refuse(&state, t, Reject::LinkUnknown, "../"),
                Err(err) => {
                    tracing::warn!(error = %err, "could not update a signature");
                    refuse(&state, t, Reject::Unavailable, "../")
                }
            }
        }
        _ => refuse(&state, t, Reject::BadRequest, "../"),
    }
}
