//! What readers see at one moment: a loaded bundle, its pages rendered with the signature form
//! and the public count, and `count.json`. A `Site` is immutable; the maintainer builds the next
//! one (new count, or a re-published bundle) and swaps it in whole, so a request always sees
//! one consistent version and never an error during the swap.

use std::collections::HashMap;
use std::sync::Arc;

use crate::asset::{Asset, CachePolicy};
use crate::bundle::Bundle;
use crate::form::Draft;
use crate::headers::page_csp;
use crate::i18n;
use crate::render::{self, CountView, FORM_CSS, FormView};

/// Brotli quality for pages re-rendered at every count change: fast, and still far smaller
/// than gzip. Static files use the configured quality once at load.
const PAGE_BROTLI_QUALITY: u32 = 9;

/// The public count at one moment.
#[derive(Debug, Clone, Copy)]
pub struct CountSnapshot {
    pub count: u64,
    pub as_of: jiff::Timestamp,
}

/// Readers' view of the server.
#[derive(Debug)]
pub struct Site {
    pub bundle: Arc<Bundle>,
    /// Rendered language pages by language tag.
    pub pages: HashMap<String, Arc<Asset>>,
    /// The count shown on the pages (changes only when the number does).
    pub page_count: CountSnapshot,
    /// The latest count, in `count.json`.
    pub count: CountSnapshot,
    pub count_json: Arc<Asset>,
}

/// What the page renderer needs besides the bundle and the count.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    pub email_required: bool,
    pub script_name: String,
    pub count_refresh_ms: u64,
}

impl Site {
    /// Renders every page of a bundle with a count. CPU work: run on a blocking thread.
    pub fn build(bundle: Arc<Bundle>, count: CountSnapshot, settings: &RenderSettings) -> Site {
        let pages = render_pages(&bundle, count, settings);
        let count_json = Arc::new(count_asset(&bundle, count, settings.count_refresh_ms));
        Site {
            bundle,
            pages,
            page_count: count,
            count,
            count_json,
        }
    }

    /// The same pages with a fresher `count.json` (the number did not change).
    pub fn with_fresh_json(&self, count: CountSnapshot, refresh_ms: u64) -> Site {
        Site {
            bundle: self.bundle.clone(),
            pages: self.pages.clone(),
            page_count: self.page_count,
            count,
            count_json: Arc::new(count_asset(&self.bundle, count, refresh_ms)),
        }
    }

    pub fn letter(&self) -> &str {
        &self.bundle.manifest.letter
    }

    pub fn has_language(&self, lang: &str) -> bool {
        self.pages.contains_key(lang)
    }
}

fn render_pages(
    bundle: &Bundle,
    count: CountSnapshot,
    settings: &RenderSettings,
) -> HashMap<String, Arc<Asset>> {
    let form_style = render::css_source(FORM_CSS);
    let draft = Draft::default();
    bundle
        .pages
        .iter()
        .map(|template| {
            let t = i18n::strings(&template.lang);
            let view = CountView::new(t, count.count, count.as_of);
            let form = render::sign_form(&FormView {
                t,
                letter: &bundle.manifest.letter,
                count: Some(&view),
                count_refresh_ms: settings.count_refresh_ms,
                token: None,
                draft: &draft,
                problems: &[],
                email_required: settings.email_required,
                script_name: &settings.script_name,
            });
            let mut html = String::with_capacity(
                template.before.len() + form.len() + template.after.len() + 1,
            );
            html.push_str(&template.before);
            html.push_str(&form);
            html.push('\n');
            html.push_str(&template.after);
            let mut styles = template.style_sources.clone();
            if !styles.iter().any(|s| s == "'unsafe-inline'") {
                styles.push(form_style.clone());
            }
            let csp = page_csp(&styles, &template.script_sources);
            let asset = Asset::new(
                html.into_bytes(),
                "text/html; charset=utf-8",
                CachePolicy::Page,
                Some(csp),
                PAGE_BROTLI_QUALITY,
            );
            (template.lang.clone(), Arc::new(asset))
        })
        .collect()
}

fn count_asset(bundle: &Bundle, count: CountSnapshot, refresh_ms: u64) -> Asset {
    let body = serde_json::json!({
        "letter": bundle.manifest.letter,
        "version": bundle.manifest.version,
        "count": count.count,
        "as_of": count.as_of.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    let secs = (refresh_ms / 1000).max(1);
    Asset::new(
        body.to_string().into_bytes(),
        "application/json",
        CachePolicy::Count(secs),
        None,
        0,
    )
}
