//! The radio (read-aloud) script: a short introduction, the letter as plain sentences, and
//! the short code spelled out twice — digits as numbers, letters with the ICAO/NATO spelling
//! alphabet in the language — so a listener can check a copy against what was broadcast.

use super::words::{self, spell, words};
use super::{RenditionError, RenditionInput, Warning};

/// The words around the letter, in one language.
struct Frame {
    note: fn(&RenditionInput, &str) -> String,
    intro: fn(&RenditionInput) -> String,
    code: fn(&str) -> String,
    groups: fn(&str, &str) -> String,
    again: &'static str,
    outro: fn(&str) -> String,
}

const KO: Frame = Frame {
    note: |i, code| {
        format!(
            "[라디오 원고 · {} · 버전 {} · 확인 코드 {code}]",
            i.language_name, i.version
        )
    },
    intro: |i| {
        format!(
            // No particles after names: 이/가 and 을/를 depend on the last syllable.
            "공개 편지 「{}」. 보내는 이: {}. {}판, 버전 {}.",
            i.title, i.coalition, i.language_name, i.version
        )
    },
    code: |code| format!("이 편지의 확인 코드를 불러 드립니다. 확인 코드는 {code}입니다."),
    groups: |first, last| format!("앞 네 자리, {first}. 뒤 네 자리, {last}."),
    again: "다시 한 번 불러 드립니다.",
    outro: |signers| {
        format!(
            "가지고 계신 사본의 확인 코드가 방송된 코드와 다르다면, 그 사본은 이 편지가 아닙니다. 서명한 단체: {signers}."
        )
    },
};

const EN: Frame = Frame {
    note: |i, code| {
        format!(
            "[Radio script · {} · version {} · short code {code}]",
            i.language_name, i.version
        )
    },
    intro: |i| {
        format!(
            "This is an open letter from {}: “{}”. {} text, version {}.",
            i.coalition, i.title, i.language_name, i.version
        )
    },
    code: |code| format!("The short code of this letter is {code}."),
    groups: |first, last| format!("First four: {first}. Last four: {last}."),
    again: "Once more.",
    outro: |signers| {
        format!(
            "If the short code on your copy is different, your copy is not this letter. Signed by: {signers}."
        )
    },
};

const RU: Frame = Frame {
    note: |i, code| {
        format!(
            "[Радиотекст · {} · версия {} · код проверки {code}]",
            i.language_name, i.version
        )
    },
    intro: |i| {
        format!(
            "Открытое письмо «{}». Авторы: {}. Язык: {}, версия {}.",
            i.title, i.coalition, i.language_name, i.version
        )
    },
    code: |code| format!("Код проверки этого письма: {code}. Диктую по буквам."),
    groups: |first, last| format!("Первые четыре: {first}. Последние четыре: {last}."),
    again: "Повторяю.",
    outro: |signers| {
        format!("Если код на вашей копии другой, это не то письмо. Подписали: {signers}.")
    },
};

const UK: Frame = Frame {
    note: |i, code| {
        format!(
            "[Радіотекст · {} · версія {} · код перевірки {code}]",
            i.language_name, i.version
        )
    },
    intro: |i| {
        format!(
            "Відкритий лист «{}». Автори: {}. Мова: {}, версія {}.",
            i.title, i.coalition, i.language_name, i.version
        )
    },
    code: |code| format!("Код перевірки цього листа: {code}. Диктую по літерах."),
    groups: |first, last| format!("Перші чотири: {first}. Останні чотири: {last}."),
    again: "Повторюю.",
    outro: |signers| {
        format!("Якщо код на вашій копії інший, це не той лист. Підписали: {signers}.")
    },
};

/// The short code spelled for reading aloud: `(first four, last four)`.
pub(crate) fn spell_code(lang: &str, code: &str) -> Option<(String, String)> {
    let chars = words::short_code_chars(code)?;
    let spoken: Option<Vec<&str>> = chars.iter().map(|&c| spell(lang, c)).collect();
    let spoken = spoken?;
    Some((spoken[..4].join(", "), spoken[4..].join(", ")))
}

pub(crate) fn render(input: &RenditionInput) -> Result<(String, Option<Warning>), RenditionError> {
    let lang = input.lang.as_str();
    let (frame, spelling_lang, warning) = match lang.split('-').next().unwrap_or(lang) {
        "ko" => (&KO, lang, None),
        "ru" => (&RU, lang, None),
        "uk" => (&UK, lang, None),
        "en" => (&EN, lang, None),
        _ => (
            &EN,
            "en",
            Some(Warning::RadioSpelledInEnglish {
                lang: lang.to_string(),
            }),
        ),
    };
    let code = input.short_code.as_str();
    let (first, last) =
        spell_code(spelling_lang, code).ok_or_else(|| RenditionError::InvalidShortCode {
            lang: lang.to_string(),
            code: code.to_string(),
        })?;
    let signers: Vec<&str> = input.signers.iter().map(|s| s.name.as_str()).collect();
    let signers = if signers.is_empty() {
        input.coalition.clone()
    } else {
        signers.join(", ")
    };
    let mut out = String::new();
    out.push_str(&(frame.note)(input, code));
    out.push_str("\n\n");
    if input.draft {
        out.push_str(words(lang).draft);
        out.push_str("\n\n");
    }
    // The introduction names the title; it is not read a second time.
    out.push_str(&(frame.intro)(input));
    out.push_str("\n\n");
    for paragraph in &input.paragraphs {
        out.push_str(&spoken_sentence(paragraph));
        out.push_str("\n\n");
    }
    let spelled = (frame.groups)(&first, &last);
    out.push_str(&(frame.code)(code));
    out.push(' ');
    out.push_str(&spelled);
    out.push_str("\n\n");
    out.push_str(frame.again);
    out.push(' ');
    out.push_str(&spelled);
    out.push_str("\n\n");
    out.push_str(&(frame.outro)(&signers));
    out.push('\n');
    Ok((out, warning))
}

/// A block as a sentence to read: list markers and heading marks dropped, and a full stop
/// added to a heading or list item that has none, so the reader pauses.
fn spoken_sentence(block: &str) -> String {
    let mut text = block.trim();
    for marker in ["- ", "• ", "* ", "– "] {
        if let Some(rest) = text.strip_prefix(marker) {
            text = rest.trim_start();
        }
    }
    let text = text.trim_start_matches('#').trim_start();
    if text.ends_with(['.', '!', '?', '…', ':', '»', '”', '"', ')']) || text.starts_with('—')
    {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_in_two_groups() {
        let (first, last) = spell_code("ko", "K7QM-3XE2").unwrap();
        assert_eq!(first, "킬로, 칠, 퀘벡, 마이크");
        assert_eq!(last, "삼, 엑스레이, 에코, 이");
        let (first, _) = spell_code("ru", "K7QM-3XE2").unwrap();
        assert_eq!(first, "кило, семь, квебек, майк");
    }
}
