//! The page's own words, in the letter's language. Every language a letter can be published in
//! (see `missive_core::lang`) has an entry here.

/// Words around the letter on its page and in the bundle's index.
#[derive(Debug)]
pub struct Strings {
    pub open_letter: &'static str,
    pub released: &'static str,
    pub other_languages: &'static str,
    pub short_code: &'static str,
    pub short_code_help: &'static str,
    /// `{k}` and `{n}` are replaced.
    pub signed_by: &'static str,
    pub fingerprint: &'static str,
    pub how_to_verify: &'static str,
    pub verify_with_missive: &'static str,
    pub verify_with_minisign: &'static str,
    pub compare_fingerprints: &'static str,
    pub files: &'static str,
    pub signed_text_file: &'static str,
    pub keys_file: &'static str,
    pub draft: &'static str,
    pub no_trace: &'static str,
    pub choose_language: &'static str,
}

const KO: Strings = Strings {
    open_letter: "공개 서한",
    released: "발표",
    other_languages: "다른 언어",
    short_code: "확인 코드",
    short_code_help: "본문에서 계산한 코드라 한 글자만 바뀌어도 달라집니다. 연대가 웹사이트나 라디오로 알리는 코드와 비교하십시오.",
    signed_by: "서명한 단체 ({k}/{n})",
    fingerprint: "키 지문",
    how_to_verify: "이 편지가 진짜인지 확인하는 방법",
    verify_with_missive: "letter.txt를 저장하고, 이 사본이 아닌 믿을 수 있는 곳에서 받은 roster.toml로 확인:",
    verify_with_minisign: "단체별로는 minisign으로:",
    compare_fingerprints: "키 지문을 각 단체가 직접 공개한 지문과 비교하십시오. 사본에 든 키만으로는 증명되지 않습니다.",
    files: "파일",
    signed_text_file: "서명된 본문",
    keys_file: "단체 목록과 공개 키",
    draft: "서명되지 않은 초안입니다. 모든 회원 단체가 승인한 글이 아닙니다.",
    no_trace: "이 페이지는 쿠키를 남기지 않으며, 다른 사이트에서 아무것도 불러오지 않습니다.",
    choose_language: "언어를 선택하십시오",
};

const EN: Strings = Strings {
    open_letter: "Open letter",
    released: "Released",
    other_languages: "Other languages",
    short_code: "Short code",
    short_code_help: "Computed from the exact text: if one letter changes, the code changes. Compare it with the code the coalition announces on its own website or radio.",
    signed_by: "Signed by ({k} of {n})",
    fingerprint: "Key fingerprint",
    how_to_verify: "How to check that this letter is genuine",
    verify_with_missive: "Save letter.txt and, with a roster.toml from a source you trust (not from this copy), run:",
    verify_with_minisign: "or, per organization, with minisign:",
    compare_fingerprints: "Compare the fingerprints with those the organizations publish themselves: keys inside a copy prove nothing alone.",
    files: "Files",
    signed_text_file: "Signed text",
    keys_file: "Members and public keys",
    draft: "UNSIGNED DRAFT. This text has not been approved by every member organization.",
    no_trace: "This page sets no cookies and loads nothing from any other site.",
    choose_language: "Choose a language",
};

const RU: Strings = Strings {
    open_letter: "Открытое письмо",
    released: "Опубликовано",
    other_languages: "Другие языки",
    short_code: "Код проверки",
    short_code_help: "Код вычислен из точного текста: изменится одна буква — изменится код. Сравните его с кодом, который коалиция объявляет на своём сайте или по радио.",
    signed_by: "Подписали ({k} из {n})",
    fingerprint: "Отпечаток ключа",
    how_to_verify: "Как проверить подлинность письма",
    verify_with_missive: "Сохраните letter.txt и с roster.toml из надёжного источника (не из этой копии) выполните:",
    verify_with_minisign: "или по каждой организации через minisign:",
    compare_fingerprints: "Сравните отпечатки с теми, что организации публикуют сами: ключи внутри копии ничего не доказывают.",
    files: "Файлы",
    signed_text_file: "Подписанный текст",
    keys_file: "Участники и открытые ключи",
    draft: "НЕПОДПИСАННЫЙ ЧЕРНОВИК. Этот текст одобрили не все организации-участницы.",
    no_trace: "Эта страница не сохраняет cookie и ничего не загружает с других сайтов.",
    choose_language: "Выберите язык",
};

const UK: Strings = Strings {
    open_letter: "Відкритий лист",
    released: "Оприлюднено",
    other_languages: "Інші мови",
    short_code: "Код перевірки",
    short_code_help: "Код обчислено з точного тексту: зміниться одна літера — зміниться код. Порівняйте його з кодом, який коаліція оголошує на своєму сайті чи по радіо.",
    signed_by: "Підписали ({k} з {n})",
    fingerprint: "Відбиток ключа",
    how_to_verify: "Як перевірити справжність листа",
    verify_with_missive: "Збережіть letter.txt і з roster.toml із надійного джерела (не з цієї копії) виконайте:",
    verify_with_minisign: "або для кожної організації через minisign:",
    compare_fingerprints: "Порівняйте відбитки з тими, що організації публікують самі: ключі всередині копії нічого не доводять.",
    files: "Файли",
    signed_text_file: "Підписаний текст",
    keys_file: "Учасники та відкриті ключі",
    draft: "НЕПІДПИСАНА ЧЕРНЕТКА. Цей текст схвалили не всі організації-учасниці.",
    no_trace: "Ця сторінка не зберігає cookie і нічого не завантажує з інших сайтів.",
    choose_language: "Оберіть мову",
};

/// The strings for a language tag's primary language (English when unknown).
pub fn for_language(primary: &str) -> &'static Strings {
    match primary {
        "ko" => &KO,
        "ru" => &RU,
        "uk" => &UK,
        _ => &EN,
    }
}
