//! Reading a posted signature form: strict `application/x-www-form-urlencoded` decoding (broken
//! UTF-8 is refused, never replaced) and validation of each field. Names that carry links,
//! control characters or spreadsheet-formula prefixes are refused, so the public list and the
//! coalition's CSV export cannot be used to spread links or attack a spreadsheet.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// Longest values accepted, in characters.
pub const MAX_NAME: usize = 100;
pub const MAX_AFFILIATION: usize = 120;
pub const MAX_COUNTRY: usize = 60;
pub const MAX_EMAIL: usize = 254;

/// Why a body could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    BadEncoding,
    RepeatedField(String),
}

/// The decoded fields of a form body. Each name may appear once.
#[derive(Debug, Default)]
pub struct Fields(HashMap<String, String>);

impl Fields {
    /// Decodes a urlencoded body; any invalid UTF-8 (raw or percent-encoded) is an error.
    pub fn parse(body: &[u8]) -> Result<Fields, DecodeError> {
        let mut map = HashMap::new();
        for pair in body.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let key = decode_component(key)?;
            let value = decode_component(value)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(DecodeError::RepeatedField(key));
            }
        }
        Ok(Fields(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A field's value trimmed; `None` when absent or blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A checkbox: present with any non-empty value.
    pub fn checked(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }
}

fn decode_component(raw: &[u8]) -> Result<String, DecodeError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| DecodeError::BadEncoding)
}

/// Which field a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Affiliation,
    Country,
    Email,
    Consent,
}

/// Why a field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NameRequired,
    TooLong { field: Field, max: usize },
    Url(Field),
    Control(Field),
    Formula(Field),
    EmailInvalid,
    EmailRequired,
    Consent,
}

impl Problem {
    pub fn field(&self) -> Field {
        match self {
            Problem::NameRequired => Field::Name,
            Problem::TooLong { field, .. }
            | Problem::Url(field)
            | Problem::Control(field)
            | Problem::Formula(field) => *field,
            Problem::EmailInvalid | Problem::EmailRequired => Field::Email,
            Problem::Consent => Field::Consent,
        }
    }
}

/// A signature as entered, after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// `None`: count only.
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
}

/// What the signer typed, kept to fill the form again after a refusal.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub name: String,
    pub anonymous: bool,
    pub affiliation: String,
    pub country: String,
    pub email: String,
    pub consent: bool,
}

impl Draft {
    pub fn from_fields(fields: &Fields) -> Self {
        let keep = |key: &str, max: usize| -> String {
            fields
                .get(key)
                .unwrap_or("")
                .chars()
                .take(max + 20)
                .collect()
        };
        Draft {
            name: keep("name", MAX_NAME),
            anonymous: fields.checked("anonymous"),
            affiliation: keep("affiliation", MAX_AFFILIATION),
            country: keep("country", MAX_COUNTRY),
            email: keep("email", MAX_EMAIL),
            consent: fields.checked("consent"),
        }
    }
}

/// Validates every field; returns all problems at once so the signer fixes them in one go.
pub fn validate(fields: &Fields, email_required: bool) -> Result<Entry, Vec<Problem>> {
    let mut problems = Vec::new();
    let anonymous = fields.checked("anonymous");
    let name = fields.text("name").map(|s| s.nfc().collect::<String>());
    let name = match (name, anonymous) {
        (_, true) => None,
        (None, false) => {
            problems.push(Problem::NameRequired);
            None
        }
        (Some(n), false) => {
            check_public_text(&n, Field::Name, MAX_NAME, &mut problems).then_some(n)
        }
    };
    let mut optional = |key: &str, field: Field, max: usize| {
        fields
            .text(key)
            .map(|s| s.nfc().collect::<String>())
            .filter(|s| check_public_text(s, field, max, &mut problems))
    };
    let affiliation = optional("affiliation", Field::Affiliation, MAX_AFFILIATION);
    let country = optional("country", Field::Country, MAX_COUNTRY);
    let email = match fields.text("email") {
        None if email_required => {
            problems.push(Problem::EmailRequired);
            None
        }
        None => None,
        Some(e) if e.chars().count() > MAX_EMAIL || !looks_like_email(e) => {
            problems.push(Problem::EmailInvalid);
            None
        }
        Some(e) => Some(e.to_string()),
    };
    if !fields.checked("consent") {
        problems.push(Problem::Consent);
    }
    if problems.is_empty() {
        Ok(Entry {
            name,
            affiliation,
            country,
            email,
        })
    } else {
        Err(problems)
    }
}

/// Validates the edit form: the public fields only (no consent, no email).
pub fn validate_update(fields: &Fields) -> Result<Entry, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = if fields.checked("anonymous") {
        None
    } else {
        match fields.text("name").map(|s| s.nfc().collect::<String>()) {
            None => {
                problems.push(Problem::NameRequired);
                None
            }
            Some(n) => check_public_text(&n, Field::Name, MAX_NAME, &mut problems).then_some(n),
        }
    };
    let mut optional = |key: &str, field: Field, max: usize| {
        fields
            .text(key)
            .map(|s| s.nfc().collect::<String>())
            .filter(|s| check_public_text(s, field, max, &mut problems))
    };
    let affiliation = optional("affiliation", Field::Affiliation, MAX_AFFILIATION);
    let country = optional("country", Field::Country, MAX_COUNTRY);
    if problems.is_empty() {
        Ok(Entry {
            name,
            affiliation,
            country,
            email: None,
        })
    } else {
        Err(problems)
    }
}

/// Checks a text that will be shown publicly and exported. Returns whether it passed.
fn check_public_text(value: &str, field: Field, max: usize, problems: &mut Vec<Problem>) -> bool {
    let before = problems.len();
    if value.chars().count() > max {
        problems.push(Problem::TooLong { field, max });
    }
    if value.chars().any(is_forbidden_char) {
        problems.push(Problem::Control(field));
    }
    if starts_like_formula(value) {
        problems.push(Problem::Formula(field));
    }
    if contains_address(value) {
        problems.push(Problem::Url(field));
    }
    problems.len() == before
}

/// Control characters, and the invisible characters that reorder or hide text (bidi controls,
/// BOM). Zero-width joiners stay allowed: several scripts need them.
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{00AD}')
}

/// Leading characters spreadsheets treat as a formula (OWASP CSV injection), in ASCII and
/// full-width forms.
fn starts_like_formula(value: &str) -> bool {
    value.chars().next().is_some_and(|c| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠' | '\t' | '\r'
        )
    })
}

/// Top-level domains that show up in link spam; `word.tld` with one of these is a link.
const LINK_TLDS: &[&str] = &[
    "com", "org", "net", "info", "biz", "io", "co", "me", "ru", "su", "ua", "kr", "cn", "xyz",
    "top", "site", "online", "club", "app", "dev", "link", "ly", "to", "gg", "tk", "ml", "ga",
    "cf", "gq", "tv", "cc", "us", "uk", "de", "fr", "shop", "store", "live", "pro", "icu", "vip",
    "win", "bet", "fun", "space", "website", "click", "onion", "рф",
];

/// Whether a text carries a web or email address.
fn contains_address(value: &str) -> bool {
    let lower = value.to_lowercase();
    if lower.contains("://")
        || lower.contains("www.")
        || lower.contains("xn--")
        || lower.contains('@')
    {
        return true;
    }
    lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .any(|word| {
            let word = word.trim_end_matches(['.', '/', '!', '?', ';', ':']);
            let Some((host, tld)) = word.rsplit_once('.') else {
                return false;
            };
            let tld = tld.split('/').next().unwrap_or(tld);
            let host_label = host.rsplit('.').next().unwrap_or(host);
            host_label.chars().count() >= 2
                && host_label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && LINK_TLDS.contains(&tld)
        })
}

/// A light syntax check; the store's `email::normalize` decides the duplicate key.
fn looks_like_email(e: &str) -> bool {
    if e.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
    {
        return false;
    }
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && missive_store::email::normalize(e).is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fields(body: &str) -> Fields {
        Fields::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn decoding_is_strict_about_utf8() {
        assert_eq!(fields("name=Kim+Ji-woo&x=%ED%95%9C").get("x"), Some("한"));
        assert_eq!(
            Fields::parse(b"name=%FF%FE").unwrap_err(),
            DecodeError::BadEncoding
        );
        assert_eq!(
            Fields::parse(b"name=\xff").unwrap_err(),
            DecodeError::BadEncoding
        );
        assert!(matches!(
            Fields::parse(b"a=1&a=2"),
            Err(DecodeError::RepeatedField(_))
        ));
    }

    #[test]
    fn a_plain_signature_passes() {
        let entry = validate(
            &fields("name=Kim+Ji-woo&affiliation=Teacher&country=Korea&consent=1"),
            false,
        )
        .unwrap();
        assert_eq!(entry.name.as_deref(), Some("Kim Ji-woo"));
        assert_eq!(entry.country.as_deref(), Some("Korea"));
        let entry = validate(&fields("name=&anonymous=1&consent=1"), false).unwrap();
        assert_eq!(entry.name, None);
        for ok in [
            "J.R.R. Tolkien",
            "Dr. Jane Doe",
            "O'Brien",
            "Анна-Мария",
            "김지우",
            "Mr.Kim",
        ] {
            let body = format!("name={}&consent=1", ok.replace(' ', "+"));
            assert!(validate(&fields(&body), false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn links_formulas_and_controls_are_refused() {
        for (name, want) in [
            ("http://spam.example", Problem::Url(Field::Name)),
            ("buy at cheap.ru", Problem::Url(Field::Name)),
            ("www.x", Problem::Url(Field::Name)),
            ("me@example.org", Problem::Url(Field::Name)),
            ("=HYPERLINK(1)", Problem::Formula(Field::Name)),
            ("%2B1", Problem::Formula(Field::Name)),
            ("-2", Problem::Formula(Field::Name)),
            ("a%07b", Problem::Control(Field::Name)),
            ("a%E2%80%AEb", Problem::Control(Field::Name)),
        ] {
            let body = format!("name={}&consent=1", name.replace(' ', "+"));
            let problems = validate(&fields(&body), false).unwrap_err();
            assert!(problems.contains(&want), "{name}: {problems:?}");
        }
    }

    #[test]
    fn missing_pieces_are_all_reported() {
        let problems = validate(&fields("name="), true).unwrap_err();
        assert!(problems.contains(&Problem::NameRequired));
        assert!(problems.contains(&Problem::EmailRequired));
        assert!(problems.contains(&Problem::Consent));
        let long = "a".repeat(MAX_NAME + 1);
        let problems = validate(&fields(&format!("name={long}&consent=1")), false).unwrap_err();
        assert_eq!(
            problems,
            vec![Problem::TooLong {
                field: Field::Name,
                max: MAX_NAME
            }]
        );
        let problems = validate(&fields("name=A&email=nope&consent=1"), false).unwrap_err();
        assert_eq!(problems, vec![Problem::EmailInvalid]);
    }
}
