//! HTML the server writes itself: the signature form put into each letter page, and the small
//! pages answering a signer (review, thanks, refusals, confirmation, edit, public list).
//! Templates are askama's, so every value is HTML-escaped unless marked as a trusted fragment.

use askama::Template;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::form::{Draft, Field, Problem};
use crate::i18n::{self, Strings, fill};

/// The form's stylesheet, inlined into each page and allowed by hash.
pub const FORM_CSS: &str = include_str!("../assets/form.css");
/// The stylesheet of the server's own pages.
pub const PAGE_CSS: &str = include_str!("../assets/page.css");
/// The signing script: proof-of-work and sending without leaving the page.
pub const SIGN_JS: &str = include_str!("../assets/sign.js");

/// `'sha256-…'` of a stylesheet, for a Content-Security-Policy.
pub fn css_source(css: &str) -> String {
    use base64::Engine as _;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()))
    )
}

/// The script's file name, with its content hash so it can be cached forever.
pub fn script_name() -> String {
    format!(
        "sign.{}.js",
        &hex::encode(Sha256::digest(SIGN_JS.as_bytes()))[..16]
    )
}

/// The policy of the server's own pages.
pub fn server_page_csp() -> HeaderValue {
    crate::headers::page_csp(&[css_source(PAGE_CSS), css_source(FORM_CSS)], &[])
}

/// The public count as shown on a page.
#[derive(Debug, Clone)]
pub struct CountView {
    pub line: String,
    pub as_of: String,
    pub datetime: String,
}

impl CountView {
    pub fn new(t: &Strings, count: u64, as_of: jiff::Timestamp) -> Self {
        let time = as_of.strftime("%H:%M:%S UTC").to_string();
        CountView {
            line: fill(
                t.count_line,
                &[("count", &i18n::group_digits(count, t.thousands))],
            ),
            as_of: fill(t.as_of, &[("time", &time)]),
            datetime: as_of.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }
}

/// Which inputs to mark as invalid.
#[derive(Debug, Default)]
pub struct Invalid {
    pub name: bool,
    pub affiliation: bool,
    pub country: bool,
    pub email: bool,
    pub consent: bool,
}

impl Invalid {
    fn from(problems: &[Problem]) -> Self {
        let mut invalid = Invalid::default();
        for p in problems {
            match p.field() {
                Field::Name => invalid.name = true,
                Field::Affiliation => invalid.affiliation = true,
                Field::Country => invalid.country = true,
                Field::Email => invalid.email = true,
                Field::Consent => invalid.consent = true,
            }
        }
        invalid
    }
}

#[derive(Template)]
#[template(path = "sign_form.html")]
struct SignForm<'a> {
    t: &'a Strings,
    css: &'a str,
    base: &'a str,
    letter: &'a str,
    count: Option<&'a CountView>,
    count_refresh_ms: u64,
    token: Option<&'a str>,
    draft: &'a Draft,
    problems: Vec<String>,
    invalid: Invalid,
    email_required: bool,
    script_name: &'a str,
}

/// What goes into one rendering of the form.
#[derive(Debug)]
pub struct FormView<'a> {
    pub t: &'static Strings,
    pub letter: &'a str,
    pub count: Option<&'a CountView>,
    pub count_refresh_ms: u64,
    pub token: Option<&'a str>,
    pub draft: &'a Draft,
    pub problems: &'a [Problem],
    pub email_required: bool,
    pub script_name: &'a str,
}

/// The form fragment (with its own `<style>` and `<script src>`).
pub fn sign_form(view: &FormView<'_>) -> String {
    let form = SignForm {
        t: view.t,
        css: FORM_CSS,
        base: "",
        letter: view.letter,
        count: view.count,
        count_refresh_ms: view.count_refresh_ms,
        token: view.token,
        draft: view.draft,
        problems: view
            .problems
            .iter()
            .map(|p| problem_message(view.t, p))
            .collect(),
        invalid: Invalid::from(view.problems),
        email_required: view.email_required,
        script_name: view.script_name,
    };
    form.render().unwrap_or_else(|err| {
        tracing::error!(%err, "rendering the signature form failed");
        String::new()
    })
}

/// A refusal in the signer's language.
pub fn problem_message(t: &Strings, problem: &Problem) -> String {
    let field = |f: &Field| match f {
        Field::Name => t.field_name,
        Field::Affiliation => t.field_affiliation,
        Field::Country => t.field_country,
        Field::Email => t.email_label_required,
        Field::Consent => "",
    };
    match problem {
        Problem::NameRequired => t.err_name_required.to_string(),
        Problem::TooLong { field: f, max } => fill(
            t.err_too_long,
            &[("field", field(f)), ("max", &max.to_string())],
        ),
        Problem::Url(f) => fill(t.err_url, &[("field", field(f))]),
        Problem::Control(f) => fill(t.err_control, &[("field", field(f))]),
        Problem::Formula(f) => fill(t.err_formula, &[("field", field(f))]),
        Problem::EmailInvalid => t.err_email_invalid.to_string(),
        Problem::EmailRequired => t.err_email_required.to_string(),
        Problem::Consent => t.err_consent.to_string(),
    }
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    t: &'a Strings,
    css: &'a str,
    title: &'a str,
    heading: &'a str,
    paragraphs: &'a [String],
    edit_url: Option<&'a str>,
    body: &'a str,
    home: &'a str,
}

/// A page the server writes to one person.
#[derive(Debug)]
pub struct PageView<'a> {
    pub t: &'static Strings,
    pub title: &'a str,
    pub heading: &'a str,
    pub paragraphs: Vec<String>,
    pub edit_url: Option<&'a str>,
    /// Trusted HTML (rendered by this module's templates).
    pub body: String,
    /// Relative link back to the letter page.
    pub home: &'a str,
}

pub fn page(view: &PageView<'_>) -> String {
    let page = PageTemplate {
        t: view.t,
        css: PAGE_CSS,
        title: view.title,
        heading: view.heading,
        paragraphs: &view.paragraphs,
        edit_url: view.edit_url,
        body: &view.body,
        home: view.home,
    };
    page.render().unwrap_or_else(|err| {
        tracing::error!(%err, "rendering a page failed");
        String::from("<!DOCTYPE html><title>Error</title><p>Error</p>")
    })
}

#[derive(Template)]
#[template(path = "confirm_form.html")]
struct ConfirmForm<'a> {
    t: &'a Strings,
}

pub fn confirm_form(t: &'static Strings) -> String {
    ConfirmForm { t }.render().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "edit_form.html")]
struct EditForm<'a> {
    t: &'a Strings,
    pending: bool,
    problems: Vec<String>,
    name: &'a str,
    anonymous: bool,
    affiliation: &'a str,
    country: &'a str,
}

/// The edit form, filled with the signer's current values.
#[derive(Debug)]
pub struct EditView<'a> {
    pub pending: bool,
    pub problems: &'a [Problem],
    pub name: &'a str,
    pub anonymous: bool,
    pub affiliation: &'a str,
    pub country: &'a str,
}

pub fn edit_form(t: &'static Strings, view: &EditView<'_>) -> String {
    EditForm {
        t,
        pending: view.pending,
        problems: view
            .problems
            .iter()
            .map(|p| problem_message(t, p))
            .collect(),
        name: view.name,
        anonymous: view.anonymous,
        affiliation: view.affiliation,
        country: view.country,
    }
    .render()
    .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "signers.html")]
struct SignersList<'a> {
    t: &'a Strings,
    count_line: &'a str,
    signers: &'a [missive_store::PublicSigner],
    first_number: u64,
    prev_page: Option<u64>,
    next_page: Option<u64>,
}

/// One page of the public list of names.
#[derive(Debug)]
pub struct SignersView<'a> {
    pub count_line: &'a str,
    pub signers: &'a [missive_store::PublicSigner],
    pub first_number: u64,
    pub prev_page: Option<u64>,
    pub next_page: Option<u64>,
}

pub fn signers_list(t: &'static Strings, view: &SignersView<'_>) -> String {
    SignersList {
        t,
        count_line: view.count_line,
        signers: view.signers,
        first_number: view.first_number,
        prev_page: view.prev_page,
        next_page: view.next_page,
    }
    .render()
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_what_the_signer_typed() {
        let draft = Draft {
            name: "<script>alert(1)</script>\"".into(),
            ..Draft::default()
        };
        let html = sign_form(&FormView {
            t: i18n::strings("en"),
            letter: "l",
            count: None,
            count_refresh_ms: 1000,
            token: Some("abc"),
            draft: &draft,
            problems: &[Problem::Consent],
            email_required: false,
            script_name: "sign.x.js",
        });
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
            "{html}"
        );
        assert!(html.contains("name=\"form_token\" value=\"abc\""));
        assert!(html.contains("role=\"alert\""));
        // The style element is exactly the hashed stylesheet.
        assert!(html.contains(&format!("<style>{FORM_CSS}</style>")));
    }
}
