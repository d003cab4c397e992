//! The one error type that knows HTTP: each refusal has a status, a stable code and a message in
//! the reader's language, shown as a small HTML page for form posts and browsers, or as JSON for
//! the script. Internal details are logged where they happen, never shown.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::form::{Field, Problem};
use crate::i18n::{Strings, fill};
use crate::render::{self, PageView};

/// Why a request was refused. Nothing was written for any of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    BodyTooLarge,
    BadEncoding,
    ContentType,
    UnknownLetter,
    NotFound,
    BadRequest,
    Method,
    Invalid(Vec<Problem>),
    Honeypot,
    Duplicate,
    RateLimited { retry_after_secs: u64, script: bool },
    TooFast,
    ProofMissing,
    ProofInvalid,
    ProofExpired,
    Replayed,
    Unavailable,
    Busy,
    LinkExpired,
    LinkUnknown,
}

impl Reject {
    pub fn status(&self) -> StatusCode {
        match self {
            Reject::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Reject::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Reject::UnknownLetter | Reject::NotFound | Reject::LinkUnknown => StatusCode::NOT_FOUND,
            Reject::Method => StatusCode::METHOD_NOT_ALLOWED,
            Reject::Invalid(_) | Reject::TooFast => StatusCode::UNPROCESSABLE_ENTITY,
            Reject::Duplicate | Reject::Replayed => StatusCode::CONFLICT,
            Reject::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Reject::Unavailable | Reject::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Reject::LinkExpired => StatusCode::GONE,
            Reject::BadEncoding
            | Reject::BadRequest
            | Reject::Honeypot
            | Reject::ProofMissing
            | Reject::ProofInvalid
            | Reject::ProofExpired => StatusCode::BAD_REQUEST,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Reject::BodyTooLarge => "body_too_large",
            Reject::BadEncoding => "bad_encoding",
            Reject::ContentType => "unsupported_content_type",
            Reject::UnknownLetter => "unknown_letter",
            Reject::NotFound => "not_found",
            Reject::BadRequest => "bad_request",
            Reject::Method => "method_not_allowed",
            Reject::Invalid(_) => "invalid_fields",
            Reject::Honeypot => "honeypot_filled",
            Reject::Duplicate => "duplicate_email",
            Reject::RateLimited { .. } => "rate_limited",
            Reject::TooFast => "too_fast",
            Reject::ProofMissing => "proof_missing",
            Reject::ProofInvalid => "proof_invalid",
            Reject::ProofExpired => "proof_expired",
            Reject::Replayed => "replayed",
            Reject::Unavailable => "unavailable",
            Reject::Busy => "busy",
            Reject::LinkExpired => "link_expired",
            Reject::LinkUnknown => "link_unknown",
        }
    }

    /// Whether the script should fetch a new challenge and send again by itself.
    pub fn retry(&self) -> bool {
        matches!(
            self,
            Reject::RateLimited { script: true, .. }
                | Reject::TooFast
                | Reject::ProofMissing
                | Reject::ProofExpired
                | Reject::ProofInvalid
        )
    }

    pub fn message(&self, t: &Strings) -> String {
        match self {
            Reject::BodyTooLarge => t.err_too_large.into(),
            Reject::BadEncoding => t.err_bad_encoding.into(),
            Reject::ContentType => t.err_content_type.into(),
            Reject::UnknownLetter => t.err_unknown_letter.into(),
            Reject::NotFound => t.err_not_found.into(),
            Reject::BadRequest => t.err_bad_request.into(),
            Reject::Method => t.err_method.into(),
            Reject::Invalid(problems) => problems
                .iter()
                .map(|p| render::problem_message(t, p))
                .collect::<Vec<_>>()
                .join(" "),
            Reject::Honeypot => t.err_honeypot.into(),
            Reject::Duplicate => t.err_duplicate.into(),
            Reject::RateLimited {
                retry_after_secs,
                script,
            } => {
                if *script {
                    t.err_rate_limited_script.into()
                } else {
                    let minutes = retry_after_secs.div_ceil(60).max(1);
                    fill(t.err_rate_limited, &[("minutes", &minutes.to_string())])
                }
            }
            Reject::TooFast => t.err_too_fast.into(),
            Reject::ProofMissing => t.err_proof_missing.into(),
            Reject::ProofInvalid => t.err_proof_invalid.into(),
            Reject::ProofExpired => t.err_proof_expired.into(),
            Reject::Replayed => t.err_replayed.into(),
            Reject::Unavailable => t.err_unavailable.into(),
            Reject::Busy => t.err_busy.into(),
            Reject::LinkExpired => t.link_expired.into(),
            Reject::LinkUnknown => t.link_unknown.into(),
        }
    }

    /// The JSON answer for the script.
    pub fn json(&self, t: &Strings) -> Response {
        let problems: Vec<serde_json::Value> = match self {
            Reject::Invalid(problems) => problems
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "field": field_name(p.field()),
                        "message": render::problem_message(t, p),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = serde_json::json!({
            "ok": false,
            "error": self.code(),
            "message": self.message(t),
            "retry": self.retry(),
            "problems": problems,
        });
        let mut response = (self.status(), Json(body)).into_response();
        self.add_headers(&mut response);
        response
    }

    /// A page with the message (and `body`, trusted HTML such as the form again).
    pub fn page(
        &self,
        t: &'static Strings,
        server_csp: &HeaderValue,
        body: String,
        home: &str,
    ) -> Response {
        let heading = match self {
            Reject::NotFound
            | Reject::UnknownLetter
            | Reject::Method
            | Reject::LinkUnknown
            | Reject::LinkExpired => t.err_not_found,
            _ => t.error_heading,
        };
        let heading = if matches!(self, Reject::LinkExpired | Reject::LinkUnknown) {
            t.confirm_heading
        } else {
            heading
        };
        let html = render::page(&PageView {
            t,
            title: heading,
            heading,
            paragraphs: vec![self.message(t)],
            edit_url: None,
            body,
            home,
        });
        let mut response = html_response(self.status(), html, server_csp);
        self.add_headers(&mut response);
        response
    }

    fn add_headers(&self, response: &mut Response) {
        let retry = match self {
            Reject::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Reject::Unavailable => Some(60),
            Reject::Busy => Some(30),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if matches!(self, Reject::Method) {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
    }
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Affiliation => "affiliation",
        Field::Country => "country",
        Field::Email => "email",
        Field::Consent => "consent",
    }
}

/// A page written for one person: never cached, never indexed.
pub fn html_response(status: StatusCode, html: String, csp: &HeaderValue) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    response
}

/// A JSON answer written for one person.
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
