//! The few words renditions add around the letter (labels, how to check, the radio
//! framing), in Korean, English, Russian and Ukrainian; other languages get English labels.
//! Also the short code's alphabet and how to spell it aloud in each language.

/// Labels in one language.
#[derive(Debug)]
pub(crate) struct Words {
    pub version: &'static str,
    pub short_code: &'static str,
    pub signed_by: &'static str,
    pub draft: &'static str,
    pub key: &'static str,
    /// One or two sentences: how a reader checks this copy.
    pub how_to_check: &'static str,
    /// The same, in one short sentence for the cards.
    pub check_short: &'static str,
    pub offline_qr: &'static str,
    pub offline_qr_reference: &'static str,
    pub url_qr: &'static str,
    pub full_text: &'static str,
    pub cut_note: &'static str,
}

const KO: Words = Words {
    version: "버전",
    short_code: "확인 코드",
    signed_by: "서명한 단체",
    draft: "초안 — 아직 서명되지 않았습니다",
    key: "키",
    how_to_check: "이 사본이 진짜인지 확인하는 법: 확인 코드를 믿을 수 있는 출처(방송, 단체 웹사이트)와 비교하십시오. 각 단체는 자기 키로 이 글에 서명했습니다. 서명된 텍스트는 `missive verify` 또는 minisign으로 누구나 검사할 수 있습니다.",
    check_short: "믿을 수 있는 출처의 확인 코드와 비교하십시오.",
    offline_qr: "이 QR 코드에는 서명된 편지 전문이 들어 있습니다. 인터넷 없이도 확인할 수 있습니다.",
    offline_qr_reference: "이 QR 코드에는 편지의 해시(SHA-256), 확인 코드, 서명 키 지문이 들어 있습니다. 가지고 있는 사본과 비교하십시오.",
    url_qr: "온라인으로 읽기",
    full_text: "전문",
    cut_note: "편지가 길어 여기까지 싣습니다.",
};

const EN: Words = Words {
    version: "Version",
    short_code: "Short code",
    signed_by: "Signed by",
    draft: "DRAFT — not yet signed",
    key: "key",
    how_to_check: "How to check this copy: compare the short code with a source you trust (a broadcast, the organizations' websites). Each organization signed this text with its own key; anyone can check the signed text with `missive verify` or minisign.",
    check_short: "Compare it with the code from a source you trust.",
    offline_qr: "This QR code holds the whole signed letter: it can be checked without the internet.",
    offline_qr_reference: "This QR code holds the letter's SHA-256 hash, short code and signing key fingerprints: compare them with your copy.",
    url_qr: "Read online",
    full_text: "Full text",
    cut_note: "The letter is too long for one post; it continues at the link.",
};

const RU: Words = Words {
    version: "Версия",
    short_code: "Код проверки",
    signed_by: "Подписали",
    draft: "ЧЕРНОВИК — ещё не подписан",
    key: "ключ",
    how_to_check: "Как проверить эту копию: сравните код проверки с источником, которому вы доверяете (эфир, сайты организаций). Каждая организация подписала этот текст своим ключом; подписанный текст любой может проверить командой `missive verify` или программой minisign.",
    check_short: "Сверьте его с кодом из надёжного источника.",
    offline_qr: "В этом QR-коде — весь подписанный текст письма: его можно проверить без интернета.",
    offline_qr_reference: "В этом QR-коде — хеш SHA-256 письма, код проверки и отпечатки ключей подписи: сравните их со своей копией.",
    url_qr: "Читать онлайн",
    full_text: "Полный текст",
    cut_note: "Письмо длиннее одного поста; продолжение — по ссылке.",
};

const UK: Words = Words {
    version: "Версія",
    short_code: "Код перевірки",
    signed_by: "Підписали",
    draft: "ЧЕРНЕТКА — ще не підписано",
    key: "ключ",
    how_to_check: "Як перевірити цю копію: порівняйте код перевірки з джерелом, якому ви довіряєте (ефір, сайти організацій). Кожна організація підписала цей текст своїм ключем; підписаний текст будь-хто може перевірити командою `missive verify` або програмою minisign.",
    check_short: "Звірте його з кодом із надійного джерела.",
    offline_qr: "У цьому QR-коді — весь підписаний текст листа: його можна перевірити без інтернету.",
    offline_qr_reference: "У цьому QR-коді — геш SHA-256 листа, код перевірки та відбитки ключів підпису: порівняйте їх зі своєю копією.",
    url_qr: "Читати онлайн",
    full_text: "Повний текст",
    cut_note: "Лист довший за один допис; продовження — за посиланням.",
};

/// The labels for `lang` (its primary subtag), English when Missive has none.
pub(crate) fn words(lang: &str) -> &'static Words {
    match primary(lang) {
        "ko" => &KO,
        "ru" => &RU,
        "uk" => &UK,
        _ => &EN,
    }
}

fn primary(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

/// "N more" in the language (`외 3개 단체`, `and 3 more`, `и ещё 3`).
pub(crate) fn more(lang: &str, n: usize) -> String {
    match primary(lang) {
        "ko" => format!("외 {n}개 단체"),
        "ru" => format!("и ещё {n}"),
        "uk" => format!("і ще {n}"),
        _ => format!("and {n} more"),
    }
}

/// The short code's 8 characters if it is `XXXX-XXXX` (or `XXXXXXXX`) in Crockford base32.
pub(crate) fn short_code_chars(code: &str) -> Option<Vec<char>> {
    let chars: Vec<char> = code.chars().filter(|&c| c != '-').collect();
    let dashes = code.chars().filter(|&c| c == '-').count();
    let dash_ok = dashes == 0 || (dashes == 1 && code.find('-') == Some(4));
    let valid = chars.len() == 8 && dash_ok && chars.iter().all(|&c| is_crockford(c));
    valid.then_some(chars)
}

/// Crockford base32, upper case: 0-9 and A-Z without I, L, O, U.
pub(crate) fn is_crockford(c: char) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, 'I' | 'L' | 'O' | 'U'))
}

/// How one character of the short code is said aloud.
///
/// Digits are said as numbers in the language; letters with the ICAO/NATO spelling
/// alphabet, transliterated. That alphabet is what radio operators and soldiers already use,
/// and none of its words sounds like a digit — which matters most in Korean, where the
/// letter E (이) and the digit 2 (이), or G and Z (지), would otherwise sound the same.
pub(crate) fn spell(lang: &str, c: char) -> Option<&'static str> {
    const EN_DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    const KO_DIGITS: [&str; 10] = ["공", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"];
    const RU_DIGITS: [&str; 10] = [
        "ноль",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ];
    const UK_DIGITS: [&str; 10] = [
        "нуль",
        "один",
        "два",
        "три",
        "чотири",
        "п’ять",
        "шість",
        "сім",
        "вісім",
        "дев’ять",
    ];
    // A..Z; I, L, O, U never occur in a short code but are kept so the index is the letter.
    const EN_LETTERS: [&str; 26] = [
        "Alfa", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India",
        "Juliett", "Kilo", "Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo",
        "Sierra", "Tango", "Uniform", "Victor", "Whiskey", "X-ray", "Yankee", "Zulu",
    ];
    const KO_LETTERS: [&str; 26] = [
        "알파",
        "브라보",
        "찰리",
        "델타",
        "에코",
        "폭스트롯",
        "골프",
        "호텔",
        "인디아",
        "줄리엣",
        "킬로",
        "리마",
        "마이크",
        "노벰버",
        "오스카",
        "파파",
        "퀘벡",
        "로미오",
        "시에라",
        "탱고",
        "유니폼",
        "빅터",
        "위스키",
        "엑스레이",
        "양키",
        "줄루",
    ];
    const RU_LETTERS: [&str; 26] = [
        "альфа",
        "браво",
        "чарли",
        "дельта",
        "эхо",
        "фокстрот",
        "гольф",
        "отель",
        "индия",
        "джульетта",
        "кило",
        "лима",
        "майк",
        "ноябрь",
        "оскар",
        "папа",
        "квебек",
        "ромео",
        "сьерра",
        "танго",
        "униформ",
        "виктор",
        "виски",
        "икс-рей",
        "янки",
        "зулу",
    ];
    const UK_LETTERS: [&str; 26] = [
        "альфа",
        "браво",
        "чарлі",
        "дельта",
        "ехо",
        "фокстрот",
        "гольф",
        "готель",
        "індія",
        "джульєтта",
        "кіло",
        "ліма",
        "майк",
        "листопад",
        "оскар",
        "папа",
        "квебек",
        "ромео",
        "сьєрра",
        "танго",
        "уніформ",
        "віктор",
        "віскі",
        "ікс-рей",
        "янкі",
        "зулу",
    ];
    let (digits, letters) = match primary(lang) {
        "ko" => (&KO_DIGITS, &KO_LETTERS),
        "ru" => (&RU_DIGITS, &RU_LETTERS),
        "uk" => (&UK_DIGITS, &UK_LETTERS),
        _ => (&EN_DIGITS, &EN_LETTERS),
    };
    if let Some(d) = c.to_digit(10) {
        return digits.get(d as usize).copied();
    }
    if c.is_ascii_uppercase() && is_crockford(c) {
        return letters.get(usize::from(c as u8 - b'A')).copied();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_are_checked() {
        assert!(short_code_chars("K7QM-3XPD").is_some());
        assert!(short_code_chars("K7QM3XPD").is_some());
        assert!(
            short_code_chars("K7QM-3XPI").is_none(),
            "I is not Crockford"
        );
        assert!(short_code_chars("K7Q-M3XPD").is_none());
        assert!(short_code_chars("k7qm-3xpd").is_none());
    }

    #[test]
    fn no_spoken_letter_sounds_like_a_digit() {
        let alphabet: Vec<char> = ('0'..='9')
            .chain('A'..='Z')
            .filter(|&c| is_crockford(c))
            .collect();
        for lang in ["ko", "en", "ru", "uk"] {
            let spoken: Vec<&str> = alphabet.iter().map(|&c| spell(lang, c).unwrap()).collect();
            let mut unique = spoken.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                spoken.len(),
                "{lang}: two characters sound alike"
            );
        }
        assert_eq!(spell("ko", '2'), Some("이"));
        assert_eq!(spell("ko", 'E'), Some("에코"));
    }
}
