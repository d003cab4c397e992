//! Export formats for the coalition: CSV that a spreadsheet opens without running anything a
//! signer typed, and JSON. Both carry every field of [`Signer`], timestamps in RFC 3339 (UTC).

use std::borrow::Cow;
use std::io::{self, Write};

use crate::{Signer, SignerStatus};

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 10] = [
    "id",
    "letter",
    "lang",
    "status",
    "name",
    "affiliation",
    "country",
    "email_given",
    "created_at",
    "confirmed_at",
];

/// A cell a spreadsheet would read as a formula (or whose leading tab / carriage return some
/// importers strip before doing so) gets a leading `'`, which spreadsheets show as text.
/// OWASP "CSV injection": `=`, `+`, `-`, `@`, tab, carriage return.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Write signers as CSV (RFC 4180 quoting, header first), every cell made formula-safe.
pub fn write_csv<W: Write>(out: W, signers: &[Signer]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for signer in signers {
        let id = signer.id.to_string();
        let status = match signer.status {
            SignerStatus::Pending => "pending",
            SignerStatus::Confirmed => "confirmed",
        };
        let created_at = signer.created_at.to_string();
        let confirmed_at = signer
            .confirmed_at
            .map(|t| t.to_string())
            .unwrap_or_default();
        let cells: [&str; 10] = [
            &id,
            &signer.letter,
            &signer.lang,
            status,
            signer.name.as_deref().unwrap_or(""),
            signer.affiliation.as_deref().unwrap_or(""),
            signer.country.as_deref().unwrap_or(""),
            if signer.email_given { "yes" } else { "no" },
            &created_at,
            &confirmed_at,
        ];
        writer.write_record(cells.iter().map(|cell| csv_safe(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// Write signers as a pretty-printed JSON array (`null` for absent fields).
pub fn write_json<W: Write>(mut out: W, signers: &[Signer]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, signers)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    fn signer(name: &str) -> Signer {
        Signer {
            id: 7,
            letter: "letter".into(),
            lang: "en".into(),
            name: Some(name.into()),
            affiliation: Some("-Org".into()),
            country: Some("@SUM(A1)".into()),
            email_given: true,
            status: SignerStatus::Confirmed,
            created_at: jiff::Timestamp::from_millisecond(1_700_000_000_123).expect("valid"),
            confirmed_at: Some(
                jiff::Timestamp::from_millisecond(1_700_000_000_123).expect("valid"),
            ),
        }
    }

    #[test]
    fn formula_prefixes_are_neutralized() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        for fine in ["Ann", "", "1-1", "a=b", "'quoted"] {
            assert_eq!(csv_safe(fine), fine);
        }
    }

    #[test]
    fn csv_quotes_and_neutralizes_every_cell() {
        let mut out = Vec::new();
        write_csv(&mut out, &[signer("=HYPERLINK(\"http://x\",\"y\")")]).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "id,letter,lang,status,name,affiliation,country,email_given,created_at,confirmed_at"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "7,letter,en,confirmed,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'-Org,'@SUM(A1),yes,\
                 2023-11-14T22:13:20.123Z,2023-11-14T22:13:20.123Z"
            )
        );
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn json_is_an_array_with_rfc3339_times() {
        let mut out = Vec::new();
        write_json(&mut out, &[signer("Ann")]).expect("write");
        let value: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(value[0]["name"], "Ann");
        assert_eq!(value[0]["status"], "confirmed");
        assert_eq!(
            value[0]["country"], "@SUM(A1)",
            "JSON is data, not a spreadsheet"
        );
        assert_eq!(value[0]["email_given"], true);
        assert!(value[0].get("email").is_none(), "no address is exported");
        assert_eq!(value[0]["created_at"], "2023-11-14T22:13:20.123Z");
    }
}
