//! The published bundle's manifest, `bundle.toml`: what marks a folder as a Missive bundle and
//! names its letter, version and translations. Written by `missive publish`, read by
//! `missive verify` and `missive serve`.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub const MANIFEST: &str = "bundle.toml";
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    pub format: u32,
    pub letter: String,
    pub version: u32,
    pub coalition: String,
    /// RFC 3339, UTC.
    pub release_at: String,
    /// True when any translation was published without every member's signature.
    pub draft: bool,
    #[serde(rename = "translation")]
    pub translations: Vec<BundleTranslation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleTranslation {
    pub lang: String,
    pub language_name: String,
    pub title: String,
    pub sha256: String,
    pub short_code: String,
    /// How many roster members signed this translation.
    pub signed_by: usize,
    pub draft: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "{dir} is not a Missive bundle: it has no {MANIFEST}. Give a published bundle folder, \
         or a file from one (LANG/letter.txt)"
    )]
    NotABundle { dir: std::path::PathBuf },
    #[error("could not read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is damaged: {message}")]
    Malformed {
        path: std::path::PathBuf,
        message: String,
    },
}

impl BundleManifest {
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    pub fn read(dir: &Path) -> Result<Self, BundleError> {
        let path = dir.join(MANIFEST);
        if !path.is_file() {
            return Err(BundleError::NotABundle {
                dir: dir.to_owned(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| BundleError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest: Self = toml::from_str(&text).map_err(|err| BundleError::Malformed {
            path: path.clone(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        if manifest.format != FORMAT {
            return Err(BundleError::Malformed {
                path,
                message: format!(
                    "bundle format {} is not one this Missive reads ({FORMAT})",
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }
}
