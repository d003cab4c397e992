//! Renditions of a realistic four-language letter (the demo letter's text, seven signers):
//! files and their names, QR codes read back out of the PNG cards and the rasterized PDF
//! leaflet, the leaflet's extractable Korean text, PNG chunks, determinism, the Telegram
//! limit and escaping, and bad input that must degrade with a warning instead of failing.
//!
//! Needs Debian's poppler-utils (`pdftoppm`, `pdftotext`); the tests fail loudly without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use missive_publish::renditions::{
    OfflineItem, Paper, RenderedFile, RenditionError, RenditionInput, RenditionKind,
    RenditionOptions, SignerLine, Warning, decode_qr_image, offline_folder,
    parse_reference_payload, reference_payload, render_feeds, render_translation,
};
use sha2::{Digest, Sha256};

// The demo letter's text, as blocks of canonical text (Markdown emphasis and heading marks
// removed, list items kept with their "- " marker).
const KO_BLOCKS: &[&str] = &[
    "젊은 군인 여러분께",
    "우리는 일곱 개의 인권 단체입니다. 서로 다른 곳에서, 서로 다른 언어로 일해 왔지만 오늘은 한목소리로 여러분에게 이 편지를 씁니다. 여러분은 집에서 멀리 떨어진 낯선 땅으로 보내졌습니다. 많은 분이 이제 스무 살 남짓이고, 어떤 분은 왜 이곳에 와 있는지 제대로 설명을 듣지 못했을 것입니다. 우리는 여러분을 탓하려고 이 글을 쓰는 것이 아닙니다. 여러분이 살아서 가족에게 돌아가기를 바라기 때문에 씁니다.",
    "무엇보다 살아남으십시오",
    "여러분의 목숨은 그 무엇보다 소중합니다. 어떤 명령도, 어떤 구호도 한 사람의 생명보다 무겁지 않습니다. 고향에서는 부모님과 형제자매, 친구들이 날마다 여러분의 소식을 기다리고 있습니다. 그분들이 바라는 것은 훈장이 아니라 여러분이 무사히 문을 열고 들어오는 바로 그날입니다.",
    "그리고 간곡히 부탁드립니다. 어떤 상황에서도 범죄에 가담하지 마십시오. 민간인을 해치라는 명령, 포로를 학대하라는 명령, 집과 병원을 약탈하고 파괴하라는 명령은 따르지 말아야 할 명령입니다. 그런 행위는 국제법이 금지하는 전쟁범죄이며, 명령을 받았다는 이유만으로 책임이 사라지지 않습니다. 양심을 지키는 일은 곧 여러분 자신을 지키는 일입니다.",
    "여러분에게는 다른 길도 있습니다. 무기를 내려놓고 항복하는 것은 부끄러운 일이 아닙니다. 그것은 국제인도법이 인정하고 보호하는 정당한 선택입니다. 제네바 협약에 따라 항복한 군인과 포로는 다음과 같은 보호를 받습니다.",
    "- 항복할 뜻을 분명히 밝힌 사람을 공격해서는 안 됩니다.",
    "- 포로는 언제나 인도적으로 대우받아야 하며, 폭행이나 고문, 모욕을 당해서는 안 됩니다.",
    "- 포로에게는 충분한 음식과 물, 필요한 치료를 받을 권리가 있습니다.",
    "- 국제적십자위원회를 통해 가족에게 소식을 전하고 편지를 주고받을 수 있습니다.",
    "이것은 어느 한쪽이 베푸는 호의가 아니라 세계 거의 모든 나라가 지키겠다고 약속한 규범입니다. 포로를 보호할 의무는 전쟁 중에도 멈추지 않습니다.",
    "여러분의 가족도 잊히지 않았습니다. 우리는 아들과 형제의 소식을 애타게 찾는 가족들을 만나고 있으며, 그분들이 외롭지 않도록 곁을 지키겠습니다. 행방을 알 수 없는 군인의 이름을 찾고, 포로가 된 이들의 안부를 확인하여 가족에게 전하는 일을 멈추지 않겠습니다.",
    "여러분은 혼자가 아닙니다. 전선 가까이에도, 국경 너머에도 여러분을 돕고자 하는 사람들이 있습니다. 먼저 그 길을 걸어간 이들과 법률가, 의사, 자원봉사자들이 여러분이 안전한 곳에 닿을 수 있도록 기다리고 있습니다. 두렵고 막막할 때에도 이 사실만은 꼭 기억해 주십시오.",
    "이 편지는 누구의 명령도 아니고, 누구를 위한 선전도 아닙니다. 사람의 생명과 존엄을 지키는 일을 해 온 우리가 여러분 한 사람 한 사람을 걱정하며 보내는 진심입니다. 이 글을 의심하셔도 괜찮습니다. 편지에 담긴 일곱 단체의 서명을 직접 확인해 보시고, 믿을 수 있는 사람과 함께 읽어 보십시오.",
    "부디 살아서 돌아가십시오. 여러분을 기다리는 사람들 곁으로.",
    "— 연대에 함께한 일곱 인권 단체",
];

const EN_BLOCKS: &[&str] = &[
    "To the young soldiers,",
    "We are seven human-rights organizations. We work in different places and in different languages, but today we write to you with one voice. You were sent to a strange land far from home. Many of you are barely twenty, and some of you were never properly told why you are here. We are not writing to blame you. We are writing because we want you to return alive to your families.",
    "Above all, stay alive",
    "Your life is more precious than anything else. No order and no slogan weighs more than a human life. At home, your parents, your brothers and sisters, and your friends wait for news of you every day. What they hope for is not a medal, but the day you walk safely through the door.",
    "And we ask you earnestly: whatever happens, do not take part in crimes. An order to harm civilians, an order to abuse prisoners, an order to loot and destroy homes and hospitals: these are orders you must not follow. Such acts are war crimes forbidden by international law, and having been ordered to commit them does not take the responsibility away. Keeping your conscience is also keeping yourself.",
    "There is another path open to you. Laying down your weapons and surrendering is nothing to be ashamed of. It is a legitimate choice, recognized and protected by international humanitarian law. Under the Geneva Conventions, soldiers who surrender and prisoners of war are protected as follows.",
    "- No one who has clearly shown the intention to surrender may be attacked.",
    "- Prisoners must be treated humanely at all times, and must not be beaten, tortured or humiliated.",
    "- Prisoners have the right to enough food and water and to the medical care they need.",
    "- Through the International Committee of the Red Cross, they can send news to their families and exchange letters with them.",
    "This is not a favor granted by one side; these are rules that nearly every country in the world has promised to keep. The duty to protect prisoners holds even in the middle of a war.",
    "Your families are not forgotten. We are meeting families who are desperately searching for news of their sons and brothers, and we will stand by them so that they are not alone. We will not stop looking for the names of missing soldiers, finding out whether those taken prisoner are safe, and passing that news on to their families.",
    "You are not alone. Near the front line and beyond the border, there are people who want to help you. Those who walked this path before you, along with lawyers, doctors and volunteers, are waiting to help you reach a safe place. When you are afraid and can see no way forward, please remember this.",
    "This letter is no one's order and no one's propaganda. It comes from the heart, from people who have worked to protect human life and dignity and who are worried about each one of you. It is all right to doubt these words. Check the signatures of the seven organizations on this letter for yourself, and read it together with someone you trust.",
    "Please go home alive, back to the people who are waiting for you.",
    "— The seven human-rights organizations of the coalition",
];

const RU_BLOCKS: &[&str] = &[
    "Молодые солдаты, это письмо — вам.",
    "Мы — семь правозащитных организаций. Мы работаем в разных местах и на разных языках, но сегодня обращаемся к вам единым голосом. Вас отправили на чужую землю, далеко от дома. Многим из вас едва исполнилось двадцать, а кому-то так толком и не объяснили, зачем вы здесь. Мы пишем не для того, чтобы вас обвинять. Мы пишем потому, что хотим, чтобы вы вернулись к своим семьям живыми.",
    "Прежде всего — останьтесь в живых",
    "Ваша жизнь дороже всего. Никакой приказ и никакой лозунг не весят больше, чем человеческая жизнь. Дома ваши родители, братья, сёстры и друзья каждый день ждут от вас вестей. Они ждут не медалей, а того дня, когда вы целыми и невредимыми переступите порог.",
    "И мы убедительно просим вас: что бы ни случилось, не участвуйте в преступлениях. Приказ причинять вред мирным жителям, приказ издеваться над пленными, приказ грабить и разрушать дома и больницы — это приказы, которые нельзя выполнять. Такие действия — военные преступления, запрещённые международным правом, и то, что вам так приказали, не снимает с вас ответственности. Сохраняя совесть, вы сохраняете и самих себя.",
    "У вас есть и другой путь. Сложить оружие и сдаться в плен — в этом нет ничего постыдного. Это законный выбор, который признаёт и защищает международное гуманитарное право. По Женевским конвенциям сдавшиеся солдаты и военнопленные находятся под защитой.",
    "- Нельзя нападать на того, кто ясно показал, что сдаётся.",
    "- С пленными всегда должны обращаться гуманно; их нельзя бить, пытать или унижать.",
    "- Пленные имеют право на достаточное питание и воду и на необходимую медицинскую помощь.",
    "- Через Международный комитет Красного Креста они могут сообщить о себе семье и переписываться с родными.",
    "Это не милость одной из сторон, а правила, которые пообещали соблюдать почти все государства мира. Обязанность защищать пленных действует даже в разгар войны.",
    "Ваши семьи не забыты. Мы встречаемся с родными, которые отчаянно ищут хоть какие-то вести о своих сыновьях и братьях, и будем рядом с ними, чтобы они не остались одни. Мы не перестанем искать имена пропавших без вести солдат, выяснять судьбу тех, кто попал в плен, и передавать эти вести их семьям.",
    "Вы не одни. И рядом с линией фронта, и по ту сторону границы есть люди, которые хотят вам помочь. Те, кто прошёл этот путь до вас, а также юристы, врачи и добровольцы ждут, чтобы помочь вам добраться до безопасного места. Когда вам страшно и кажется, что выхода нет, пожалуйста, помните об этом.",
    "Это письмо — не чей-то приказ и не чья-то пропаганда. Оно идёт от сердца: его написали люди, которые защищают жизнь и достоинство человека и тревожатся за каждого из вас. Вы вправе сомневаться в этих словах. Проверьте сами подписи семи организаций под этим письмом и прочитайте его вместе с тем, кому доверяете.",
    "Пожалуйста, возвращайтесь домой живыми — к тем, кто вас ждёт.",
    "— Семь правозащитных организаций коалиции",
];

const UK_BLOCKS: &[&str] = &[
    "Молоді солдати, цей лист — вам.",
    "Ми — сім правозахисних організацій. Ми працюємо в різних місцях і різними мовами, але сьогодні звертаємося до вас одним голосом. Вас відправили на чужу землю, далеко від дому. Багатьом із вас ледве виповнилося двадцять, а комусь так і не пояснили як слід, навіщо ви тут. Ми пишемо не для того, щоб вас звинувачувати. Ми пишемо, бо хочемо, щоб ви повернулися до своїх родин живими.",
    "Понад усе — залишайтеся живими",
    "Ваше життя найцінніше. Жоден наказ і жодне гасло не важать більше за людське життя. Удома ваші батьки, брати, сестри й друзі щодня чекають на звістку від вас. Вони чекають не на медалі, а на той день, коли ви цілими й неушкодженими переступите поріг.",
    "І ми щиро просимо вас: хай що станеться, не беріть участі у злочинах. Наказ завдавати шкоди цивільним, наказ знущатися з полонених, наказ грабувати й руйнувати домівки та лікарні — це накази, яких не можна виконувати. Такі дії є воєнними злочинами, забороненими міжнародним правом, і те, що вам так наказали, не знімає з вас відповідальності. Зберігаючи совість, ви зберігаєте й самих себе.",
    "У вас є й інший шлях. Скласти зброю і здатися в полон — у цьому немає нічого ганебного. Це законний вибір, який визнає і захищає міжнародне гуманітарне право. Згідно з Женевськими конвенціями, ті, хто здався, і військовополонені перебувають під захистом.",
    "- Не можна нападати на того, хто чітко показав, що здається.",
    "- З полоненими завжди мають поводитися гуманно; їх не можна бити, катувати чи принижувати.",
    "- Полонені мають право на достатнє харчування й воду та на необхідну медичну допомогу.",
    "- Через Міжнародний комітет Червоного Хреста вони можуть повідомити про себе родині й листуватися з рідними.",
    "Це не милість однієї зі сторін, а правила, яких пообіцяли дотримуватися майже всі держави світу. Обов’язок захищати полонених діє навіть у розпал війни.",
    "Ваші родини не забуті. Ми зустрічаємося з рідними, які відчайдушно шукають хоч якоїсь звістки про своїх синів і братів, і будемо поруч із ними, щоб вони не залишилися самі. Ми не припинимо шукати імена зниклих безвісти солдатів, з’ясовувати долю тих, хто потрапив у полон, і передавати ці звістки їхнім родинам.",
    "Ви не самі. І поблизу лінії фронту, і по той бік кордону є люди, які хочуть вам допомогти. Ті, хто пройшов цей шлях раніше за вас, а також юристи, лікарі й волонтери чекають, щоб допомогти вам дістатися безпечного місця. Коли вам страшно і здається, що виходу немає, будь ласка, пам’ятайте про це.",
    "Цей лист — не чийсь наказ і не чиясь пропаганда. Він іде від серця: його написали люди, які захищають життя й гідність людини і тривожаться за кожного з вас. Ви маєте право сумніватися в цих словах. Перевірте самі підписи семи організацій під цим листом і прочитайте його разом із тим, кому довіряєте.",
    "Будь ласка, повертайтеся додому живими — до тих, хто на вас чекає.",
    "— Сім правозахисних організацій коаліції",
];

const COALITION: &str = "Coalition of Seven for a Safe Return";
const MEMBERS: [&str; 7] = [
    "Bridge of Voices",
    "평화의 손길 연대",
    "돌아오는 길 인권센터",
    "Свеча у окна",
    "Світло домівки",
    "Lantern Legal Aid Network",
    "Hearthside Families Network",
];

/// Crockford base32 of the first 40 bits of the hash, as `XXXX-XXXX` (a stand-in for the
/// core's short code, which is derived the same way from the canonical hash).
fn short_code(digest: &[u8]) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits: u64 = 0;
    for b in &digest[..5] {
        bits = (bits << 8) | u64::from(*b);
    }
    let chars: String = (0..8)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

fn make_input(
    lang: &str,
    language_name: &str,
    title: &str,
    blocks: &[&str],
    signers: &[&str],
) -> RenditionInput {
    let mut canonical = format!("{title}\n");
    for block in blocks {
        canonical.push('\n');
        canonical.push_str(block);
        canonical.push('\n');
    }
    let digest = Sha256::digest(canonical.as_bytes());
    let sha256_hex = hex::encode(digest);
    let signers: Vec<SignerLine> = signers
        .iter()
        .map(|name| {
            let id = hex::encode_upper(&Sha256::digest(name.as_bytes())[..8]);
            SignerLine {
                name: (*name).to_string(),
                fingerprint: id
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect();
    let mut signed = canonical.clone();
    signed.push_str("-----BEGIN MISSIVE SIGNATURES-----\n");
    for s in &signers {
        signed.push_str(&format!(
            "org: {}\nkey: RWQ{}\nuntrusted comment: signature from {}\n{}\ntrusted comment: letter=letter-to-soldiers version=1 lang={lang} sha256={sha256_hex}\n{}\n",
            s.name,
            "A".repeat(53),
            s.name,
            "R".repeat(100),
            "G".repeat(88)
        ));
    }
    signed.push_str("-----END MISSIVE SIGNATURES-----\n");
    RenditionInput {
        letter_id: "letter-to-soldiers".to_string(),
        version: 1,
        lang: lang.to_string(),
        language_name: language_name.to_string(),
        title: title.to_string(),
        paragraphs: blocks.iter().map(|b| (*b).to_string()).collect(),
        canonical_text: canonical,
        signed_text: signed,
        sha256_hex,
        short_code: short_code(&digest),
        coalition: COALITION.to_string(),
        signers,
        page_url: Some(format!("https://letter.example.org/{lang}/")),
        draft: false,
        release_date: "2026-12-10".to_string(),
    }
}

fn korean() -> RenditionInput {
    make_input("ko", "한국어", KO_TITLE, KO_BLOCKS, &MEMBERS)
}

fn four_languages() -> Vec<RenditionInput> {
    vec![
        korean(),
        make_input("en", "English", EN_TITLE, EN_BLOCKS, &MEMBERS),
        make_input("ru", "Русский", RU_TITLE, RU_BLOCKS, &MEMBERS),
        make_input("uk", "Українська", UK_TITLE, UK_BLOCKS, &MEMBERS),
    ]
}

/// A letter short enough for its signed text to fit one QR code.
fn short_letter() -> RenditionInput {
    make_input(
        "ko",
        "한국어",
        "짧은 편지",
        &[
            "부디 살아서 돌아가십시오. 여러분을 기다리는 사람들 곁으로.",
            "— 일곱 인권 단체",
        ],
        &MEMBERS[..1],
    )
}

const KO_TITLE: &str = "젊은 군인들에게: 살아서 돌아가십시오";
const EN_TITLE: &str = "To the Young Soldiers: Go Home Alive";
const RU_TITLE: &str = "Молодым солдатам: возвращайтесь живыми";
const UK_TITLE: &str = "Молодим солдатам: повертайтеся живими";

fn render(input: &RenditionInput) -> (Vec<RenderedFile>, Vec<Warning>) {
    render_translation(input, &RenditionOptions::default()).expect("renders")
}

fn get<'a>(files: &'a [RenderedFile], path: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            panic!(
                "{path} missing; have {:?}",
                files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
        .bytes
}

fn text(files: &[RenderedFile], path: &str) -> String {
    String::from_utf8(get(files, path).to_vec()).expect("UTF-8")
}

/// PNG chunk types in order, and the IHDR width and height.
fn png_chunks(bytes: &[u8]) -> (Vec<String>, u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut chunks = Vec::new();
    let mut at = 8;
    let (mut w, mut h) = (0, 0);
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned();
        if kind == "IHDR" {
            w = u32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap());
            h = u32::from_be_bytes(bytes[at + 12..at + 16].try_into().unwrap());
        }
        chunks.push(kind);
        at += 12 + len;
    }
    assert_eq!(at, bytes.len(), "no bytes after IEND");
    (chunks, w, h)
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(
        probe.is_ok(),
        "`{name}` is missing: install Debian's poppler-utils (listed in .ci/packages.txt)"
    );
    Command::new(name)
}

/// Rasterizes every page of a PDF and returns the PNG bytes of each.
fn rasterize(pdf: &[u8], dpi: u32) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("leaflet.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = tool("pdftoppm")
        .args(["-png", "-r", &dpi.to_string()])
        .arg(&input)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed");
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// The QR payloads of a leaflet: its check block (both codes) is kept on one page, the
/// last one that has codes, so pages are read from the end until codes are found.
fn leaflet_qr_payloads(pdf: &[u8], dpi: u32) -> Vec<String> {
    rasterize(pdf, dpi)
        .iter()
        .rev()
        .find_map(|page| decode_qr_image(page).ok())
        .unwrap_or_default()
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("leaflet.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = tool("pdftotext").arg(&input).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).expect("pdftotext gives UTF-8")
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_translation_gets_every_file() {
    for input in four_languages() {
        let (files, _) = render(&input);
        let names: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let lang = &input.lang;
        for name in [
            "card.png",
            "card-portrait.png",
            "leaflet.pdf",
            "qr-offline.svg",
            "qr-offline.png",
            "qr-url.svg",
            "qr-url.png",
            "telegram.txt",
            "telegram-html.txt",
            "radio.txt",
        ] {
            assert!(
                names.contains(format!("{lang}/{name}").as_str()),
                "{lang}/{name}"
            );
        }
        assert_eq!(names.len(), 10, "{names:?}");
    }
}

#[test]
fn cards_have_the_right_size_and_no_metadata() {
    let (files, _) = render(&korean());
    for (path, w, h) in [
        ("ko/card.png", 1200, 630),
        ("ko/card-portrait.png", 1080, 1350),
    ] {
        let (chunks, width, height) = png_chunks(get(&files, path));
        assert_eq!((width, height), (w, h), "{path}");
        for chunk in &chunks {
            assert!(
                ["IHDR", "PLTE", "IDAT", "IEND"].contains(&chunk.as_str()),
                "{path} has a {chunk} chunk"
            );
        }
        assert!(
            get(&files, path).len() < 200_000,
            "{path} is small enough to share"
        );
    }
    let (chunks, _, _) = png_chunks(get(&files, "ko/qr-offline.png"));
    assert!(
        chunks
            .iter()
            .all(|c| ["IHDR", "IDAT", "IEND"].contains(&c.as_str()))
    );
}

#[test]
fn rendering_is_deterministic() {
    let input = korean();
    let (a, _) = render(&input);
    let (b, _) = render(&input);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.path, y.path);
        assert!(x.bytes == y.bytes, "{} differs between two renders", x.path);
    }
    let options = RenditionOptions::default();
    assert_eq!(
        render_feeds(std::slice::from_ref(&input), &options).unwrap(),
        render_feeds(&[input], &options).unwrap()
    );
}

#[test]
fn card_qr_codes_carry_the_reference_payload() {
    for input in four_languages() {
        let (files, _) = render(&input);
        for card in ["card.png", "card-portrait.png"] {
            let decoded = decode_qr_image(get(&files, &format!("{}/{card}", input.lang))).unwrap();
            assert_eq!(
                decoded,
                [reference_payload(&input)],
                "{} {card}",
                input.lang
            );
            let parsed = parse_reference_payload(&decoded[0]).unwrap();
            assert_eq!(parsed.sha256_hex, input.sha256_hex);
            assert_eq!(parsed.short_code, input.short_code);
            assert_eq!(parsed.lang, input.lang);
            assert_eq!(parsed.version, 1);
            assert_eq!(parsed.key_fingerprints.len(), 7);
            assert_eq!(
                parsed.key_fingerprints[0],
                input.signers[0].fingerprint.replace(' ', "")
            );
        }
    }
}

#[test]
fn a_letter_too_long_for_one_qr_gets_the_reference_payload_with_a_warning() {
    let input = korean();
    let (files, warnings) = render(&input);
    assert!(input.signed_text.len() > 2331);
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, Warning::OfflineQrIsReference { lang, .. } if lang == "ko")),
        "{warnings:?}"
    );
    let decoded = decode_qr_image(get(&files, "ko/qr-offline.png")).unwrap();
    assert_eq!(decoded, [reference_payload(&input)]);
    let svg = text(&files, "ko/qr-offline.svg");
    assert!(svg.starts_with("<svg") && svg.contains("<path") && svg.contains(&input.short_code));
    let url = decode_qr_image(get(&files, "ko/qr-url.png")).unwrap();
    assert_eq!(url, ["https://letter.example.org/ko/"]);
}

#[test]
fn a_short_letter_travels_whole_in_the_qr_of_png_and_pdf() {
    let input = short_letter();
    let (files, warnings) = render(&input);
    assert!(warnings.is_empty(), "{warnings:?}");
    let decoded = decode_qr_image(get(&files, "ko/qr-offline.png")).unwrap();
    assert_eq!(decoded, std::slice::from_ref(&input.signed_text));
    let found = leaflet_qr_payloads(get(&files, "ko/leaflet.pdf"), 200);
    assert!(
        found.contains(&input.signed_text),
        "leaflet QR codes: {found:?}"
    );
    assert!(found.contains(&"https://letter.example.org/ko/".to_string()));
}

#[test]
fn leaflet_qr_decodes_from_the_rasterized_pdf() {
    for input in four_languages() {
        let (files, _) = render(&input);
        let found = leaflet_qr_payloads(get(&files, &format!("{}/leaflet.pdf", input.lang)), 150);
        assert!(
            found.contains(&reference_payload(&input)),
            "{}: {found:?}",
            input.lang
        );
        assert!(
            found.contains(input.page_url.as_ref().unwrap()),
            "{}: {found:?}",
            input.lang
        );
    }
}

#[test]
fn leaflet_text_gives_back_the_canonical_korean_text() {
    let input = korean();
    let (files, _) = render(&input);
    let extracted = pdf_text(get(&files, "ko/leaflet.pdf"));
    // Footers (one per page) interrupt paragraphs that run across pages: drop them.
    let body: String = extracted
        .lines()
        .filter(|l| {
            !l.starts_with("letter-to-soldiers ·") && !l.trim().starts_with(char::is_numeric)
        })
        .collect::<Vec<_>>()
        .join("\n");
    // List items are set with a bullet where the canonical text has "- ".
    let want = squash(&input.canonical_text)
        .replace("-항복", "항복")
        .replace("-포로", "포로")
        .replace("-국제", "국제");
    let got = squash(&body).replace('•', "");
    assert!(
        got.contains(&want),
        "canonical text not found in:\n{extracted}"
    );
    // The footer names language, version and short code on every page.
    let pages = extracted.matches('\u{c}').count().max(1);
    let footer = format!(
        "letter-to-soldiers · 한국어 · 버전 1 · 확인 코드 {}",
        input.short_code
    );
    assert!(
        extracted.matches(&footer).count() >= pages,
        "{footer} on every page"
    );
    for signer in MEMBERS {
        assert!(extracted.contains(signer), "{signer}");
    }
}

#[test]
fn leaflet_paper_sizes() {
    let input = korean();
    for (paper, width_pt) in [(Paper::A4, 595), (Paper::A5, 420), (Paper::A6, 298)] {
        let options = RenditionOptions {
            only: Some(vec![RenditionKind::Leaflet]),
            paper,
            base_url: None,
        };
        let (files, _) = render_translation(&input, &options).unwrap();
        assert_eq!(files.len(), 1);
        let pdf = &files[0].bytes;
        assert!(pdf.starts_with(b"%PDF-"));
        let pages = rasterize(pdf, 20);
        let (_, w, _) = png_chunks(&pages[0]);
        let expect = (width_pt as f32 * 20.0 / 72.0).round() as u32;
        assert!(
            w.abs_diff(expect) <= 1,
            "{paper}: {w} px wide at 20 dpi, want {expect}"
        );
        assert!(pdf.len() < 300_000, "{paper}: {} bytes", pdf.len());
    }
}

#[test]
fn text_renditions_name_language_version_and_short_code() {
    for input in four_languages() {
        let (files, _) = render(&input);
        let lang = &input.lang;
        for name in ["telegram.txt", "telegram-html.txt", "radio.txt"] {
            let t = text(&files, &format!("{lang}/{name}"));
            assert!(t.contains(&input.language_name), "{lang}/{name}: language");
            assert!(t.contains(&input.short_code), "{lang}/{name}: short code");
            let version = match lang.as_str() {
                "ko" => "버전 1",
                "en" => "ersion 1",
                "ru" => "ерсия 1",
                _ => "ерсія 1",
            };
            assert!(t.contains(version), "{lang}/{name}: version");
        }
        let svg = text(&files, &format!("{lang}/qr-offline.svg"));
        assert!(svg.contains(&format!("· {lang} · v1 · {}", input.short_code)));
    }
    let feeds = render_feeds(&four_languages(), &RenditionOptions::default()).unwrap();
    let atom = text(&feeds, "feed.atom");
    for input in four_languages() {
        assert!(atom.contains(&format!("xml:lang=\"{}\"", input.lang)));
        assert!(atom.contains(&input.short_code));
    }
}

#[test]
fn telegram_posts_stay_within_the_limit_and_escape_html() {
    for input in four_languages() {
        let (files, warnings) = render(&input);
        assert!(
            !warnings
                .iter()
                .any(|w| matches!(w, Warning::TelegramCut { .. })),
            "{} fits",
            input.lang
        );
        let plain = text(&files, &format!("{}/telegram.txt", input.lang));
        assert!(plain.encode_utf16().count() <= 4096);
        assert!(plain.contains(&input.paragraphs[input.paragraphs.len() - 1]));
        assert!(plain.contains("https://letter.example.org/"));
    }
    let mut input = make_input(
        "en",
        "English",
        "Fish & <Chips>",
        &["Tom & Jerry <script>alert(1)</script> \"quoted\"."],
        &["A <b>bold</b> & daring org"],
    );
    input.page_url = Some("https://e.org/?a=1&b=2".to_string());
    let (files, _) = render(&input);
    let html = text(&files, "en/telegram-html.txt");
    assert!(html.contains("<b>Fish &amp; &lt;Chips&gt;</b>"), "{html}");
    assert!(
        html.contains("Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;.")
    );
    assert!(html.contains("A &lt;b&gt;bold&lt;/b&gt; &amp; daring org"));
    assert!(html.contains("<a href=\"https://e.org/?a=1&amp;b=2\">"));
    assert!(!html.contains("<script>") && !html.contains("& "));
    let plain = text(&files, "en/telegram.txt");
    assert!(
        plain.contains("Fish & <Chips>"),
        "the paste version is not escaped"
    );
}

#[test]
fn a_letter_too_long_for_telegram_is_cut_at_a_paragraph_with_the_link() {
    let paragraphs: Vec<String> = (1..=30)
        .map(|n| format!("Paragraph {n}. {}", "Стойте за жизнь. ".repeat(14)))
        .collect();
    let blocks: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let input = make_input("ru", "Русский", RU_TITLE, &blocks, &MEMBERS);
    let (files, warnings) = render(&input);
    let kept = warnings
        .iter()
        .find_map(|w| match w {
            Warning::TelegramCut { kept, total, .. } => Some((*kept, *total)),
            _ => None,
        })
        .expect("a TelegramCut warning");
    assert!(kept.0 > 3 && kept.0 < 30 && kept.1 == 30, "{kept:?}");
    for name in ["telegram.txt", "telegram-html.txt"] {
        let post = text(&files, &format!("ru/{name}"));
        let visible = if name.ends_with("html.txt") {
            post.replace("<b>", "")
                .replace("</b>", "")
                .replace("<i>", "")
                .replace("</i>", "")
        } else {
            post.clone()
        };
        assert!(visible.encode_utf16().count() <= 4096, "{name}");
        assert!(
            post.contains(&paragraphs[kept.0 - 1]),
            "last kept paragraph whole"
        );
        assert!(
            !post.contains(&format!("Paragraph {}.", kept.0 + 1)),
            "cut at a paragraph"
        );
        assert!(
            post.contains("https://letter.example.org/ru/"),
            "with the link"
        );
        assert!(post.contains(&input.short_code));
    }
}

#[test]
fn radio_script_spells_the_short_code() {
    let mut input = korean();
    input.short_code = "K7QM-3XE2".to_string();
    let (files, _) = render(&input);
    let script = text(&files, "ko/radio.txt");
    assert!(
        script.contains("앞 네 자리, 킬로, 칠, 퀘벡, 마이크. 뒤 네 자리, 삼, 엑스레이, 에코, 이.")
    );
    assert_eq!(script.matches("킬로, 칠").count(), 2, "spelled twice");
    assert!(
        !script.contains("- 항복"),
        "list markers are not read aloud"
    );
    for signer in MEMBERS {
        assert!(script.contains(signer));
    }
}

#[test]
fn a_language_the_font_cannot_draw_gets_no_card_but_everything_else() {
    let input = make_input(
        "ar",
        "العربية",
        "إلى الجنود الشباب: عودوا أحياء",
        &[
            "نحن سبع منظمات لحقوق الإنسان. نكتب إليكم بصوت واحد.",
            "عودوا إلى عائلاتكم سالمين.",
        ],
        &MEMBERS[..2],
    );
    let (files, warnings) = render(&input);
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, Warning::NoFontCoverage { lang, .. } if lang == "ar")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, Warning::RadioSpelledInEnglish { .. }))
    );
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert!(
        !names.contains(&"ar/card.png") && !names.contains(&"ar/leaflet.pdf"),
        "{names:?}"
    );
    assert!(names.contains(&"ar/telegram.txt") && names.contains(&"ar/qr-offline.png"));
    assert!(warnings.iter().all(|w| !w.to_string().is_empty()));
}

#[test]
fn a_few_missing_glyphs_are_a_warning_not_a_failure() {
    let input = make_input("ko", "한국어", "평화(平和)를 위하여", KO_BLOCKS, &MEMBERS);
    let (files, warnings) = render(&input);
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, Warning::MissingGlyphs { chars, .. } if chars.contains('平'))),
        "{warnings:?}"
    );
    assert!(
        pdf_text(get(&files, "ko/leaflet.pdf")).contains("평화("),
        "the rest of the title is set"
    );
    assert!(
        text(&files, "ko/telegram.txt").contains("평화(平和)"),
        "text renditions keep them"
    );
    let (_, w, h) = png_chunks(get(&files, "ko/card.png"));
    assert_eq!((w, h), (1200, 630));
}

#[test]
fn a_title_too_long_for_the_card_is_shortened_with_an_ellipsis() {
    let title = "젊은 군인들에게 보내는 일곱 인권 단체의 공동 편지: ".repeat(8);
    let input = make_input("ko", "한국어", title.trim(), KO_BLOCKS, &MEMBERS);
    let (files, warnings) = render(&input);
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, Warning::TitleShortened { .. })),
        "{warnings:?}"
    );
    let (_, w, h) = png_chunks(get(&files, "ko/card.png"));
    assert_eq!((w, h), (1200, 630));
    assert_eq!(
        decode_qr_image(get(&files, "ko/card.png")).unwrap(),
        [reference_payload(&input)]
    );
    // The leaflet keeps the whole title.
    assert!(squash(&pdf_text(get(&files, "ko/leaflet.pdf"))).contains(&squash(title.trim())));
}

#[test]
fn bad_short_codes_and_empty_letters_are_specific_errors() {
    let mut input = korean();
    input.short_code = "K7QM-3XPI".to_string();
    let err = render_translation(&input, &RenditionOptions::default()).unwrap_err();
    assert!(
        matches!(err, RenditionError::InvalidShortCode { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("K7QM-3XPI"));
    let mut input = korean();
    input.canonical_text = "\n".to_string();
    let err = render_translation(&input, &RenditionOptions::default()).unwrap_err();
    assert!(matches!(err, RenditionError::InvalidInput { .. }), "{err}");
}

#[test]
fn only_renders_what_was_asked() {
    let options = RenditionOptions {
        only: Some(RenditionKind::parse_list("telegram, radio").unwrap()),
        ..RenditionOptions::default()
    };
    let (files, _) = render_translation(&korean(), &options).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        ["ko/telegram.txt", "ko/telegram-html.txt", "ko/radio.txt"]
    );
    assert!(render_feeds(&[korean()], &options).unwrap().is_empty());
    assert!(RenditionKind::parse_list("card,poster").is_err());
    assert_eq!(
        "Leaflets".parse::<RenditionKind>().unwrap(),
        RenditionKind::Leaflet
    );
    assert_eq!(
        RenditionKind::all().map(|k| k.to_string()).join(","),
        "card,leaflet,qr,telegram,feed,radio"
    );
}

#[test]
fn feeds_list_every_translation() {
    let inputs = four_languages();
    let options = RenditionOptions {
        base_url: Some("https://letter.example.org/".to_string()),
        ..RenditionOptions::default()
    };
    let feeds = render_feeds(&inputs, &options).unwrap();
    let json: serde_json::Value = serde_json::from_slice(get(&feeds, "feed.json")).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], "https://letter.example.org/feed.json");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["language"], "ko");
    assert_eq!(items[0]["url"], "https://letter.example.org/ko/");
    assert!(
        items[0]["content_text"]
            .as_str()
            .unwrap()
            .starts_with(KO_TITLE)
    );
    let ids: BTreeSet<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    let atom = text(&feeds, "feed.atom");
    assert!(atom.starts_with("<?xml") && atom.ends_with("</feed>\n"));
    assert_eq!(atom.matches("<entry").count(), 4);
    assert!(atom.contains("<link rel=\"self\" type=\"application/atom+xml\" href=\"https://letter.example.org/feed.atom\"/>"));
}

#[test]
fn the_offline_folder_is_neutral_and_byte_identical() {
    let inputs = four_languages();
    let rendered: Vec<(Vec<RenderedFile>, Vec<Warning>)> = inputs.iter().map(render).collect();
    let build = || {
        let items: Vec<OfflineItem<'_>> = inputs
            .iter()
            .zip(&rendered)
            .map(|(input, (files, _))| OfflineItem {
                input,
                page_html: b"<!doctype html><title>page</title>",
                card_png: Some(get(files, &format!("{}/card.png", input.lang))),
                leaflet_pdf: Some(get(files, &format!("{}/leaflet.pdf", input.lang))),
            })
            .collect();
        offline_folder(&items)
    };
    let a = build();
    assert_eq!(a, build());
    let names: Vec<&str> = a.iter().map(|f| f.path.as_str()).collect();
    for name in [
        "읽어보세요.txt",
        "READ-ME.txt",
        "ПРОЧТИТЕ.txt",
        "ПРОЧИТАЙТЕ.txt",
        "ko/letter.html",
        "uk/card.png",
        "ru/leaflet.pdf",
        "SHA256SUMS",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(get(&a, "읽어보세요.txt"), inputs[0].signed_text.as_bytes());
    let sums = text(&a, "SHA256SUMS");
    assert_eq!(
        sums.lines().count(),
        a.len() - 1,
        "every other file is listed"
    );
    assert!(sums.contains(&format!(
        "{}  READ-ME.txt",
        hex::encode(Sha256::digest(inputs[1].signed_text.as_bytes()))
    )));
}

#[test]
fn decode_qr_image_refuses_what_is_not_a_qr_image() {
    assert!(matches!(
        decode_qr_image(b"not an image"),
        Err(RenditionError::ImageDecode(_))
    ));
    let (files, _) = render_translation(
        &korean(),
        &RenditionOptions {
            only: Some(vec![RenditionKind::Qr]),
            ..RenditionOptions::default()
        },
    )
    .unwrap();
    // A blank image of the same kind: decodes as an image, holds no code.
    let mut blank = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut blank, 64, 64);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[255u8; 64 * 64]).unwrap();
    }
    assert!(matches!(
        decode_qr_image(&blank),
        Err(RenditionError::NoQrCode)
    ));
    assert!(!files.is_empty());
}

/// Regenerates the snapshots under docs/img (run by hand after a visual change):
/// `cargo test -p missive-publish --test it -- --ignored write_docs_snapshots`
#[test]
#[ignore = "writes docs/img; run by hand after a visual change"]
fn write_docs_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/img");
    std::fs::create_dir_all(&root).unwrap();
    for input in four_languages() {
        let (files, _) = render(&input);
        let lang = &input.lang;
        for (name, scale) in [("card.png", 3), ("card-portrait.png", 4)] {
            let png = downscale(get(&files, &format!("{lang}/{name}")), scale);
            std::fs::write(root.join(format!("{lang}-{name}")), png).unwrap();
        }
        let pages = rasterize_gray(get(&files, &format!("{lang}/leaflet.pdf")), 60);
        std::fs::write(root.join(format!("{lang}-leaflet-page1.png")), &pages[0]).unwrap();
        // The check block (QR codes, short code) is on the last page; one language shows it.
        if let Some(last) = pages.last().filter(|_| pages.len() > 1 && lang == "ko") {
            std::fs::write(root.join(format!("{lang}-leaflet-last.png")), last).unwrap();
        }
    }
}

/// Like [`rasterize`], in grey (snapshots only: a third of the size).
fn rasterize_gray(pdf: &[u8], dpi: u32) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("leaflet.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = tool("pdftoppm")
        .args(["-png", "-gray", "-r", &dpi.to_string()])
        .arg(&input)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed");
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    pages.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Box-filters an RGB PNG by an integer factor (snapshots only; keeps docs/img small).
fn downscale(png_bytes: &[u8], factor: usize) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let (nw, nh) = (w / factor, h / factor);
    let mut out = vec![0u8; nw * nh * 3];
    for y in 0..nh {
        for x in 0..nw {
            for c in 0..3 {
                let mut sum = 0usize;
                for dy in 0..factor {
                    for dx in 0..factor {
                        sum += buf[((y * factor + dy) * w + x * factor + dx) * 3 + c] as usize;
                    }
                }
                out[(y * nw + x) * 3 + c] = (sum / (factor * factor)) as u8;
            }
        }
    }
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, nw as u32, nh as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_compression(png::Compression::High);
    let mut writer = enc.write_header().unwrap();
    writer.write_image_data(&out).unwrap();
    writer.finish().unwrap();
    bytes
}
