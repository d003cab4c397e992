//! Word-level differences between an authentic text and a copy, for showing a reader exactly
//! what a forger changed — including changes invisible to the eye, such as a Cyrillic `а`
//! standing in for a Latin `a`.

use std::fmt;

use similar::{DiffTag, TextDiff};

/// Words of context shown on each side of a change.
const CONTEXT_WORDS: usize = 6;

/// One change: what the authentic text says and what the copy says instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub context_before: String,
    pub authentic: String,
    pub copy: String,
    pub context_after: String,
    /// Characters that differ where the two sides look alike, e.g. `'a' U+0061 → 'а' U+0430`.
    pub lookalikes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WordDiff {
    pub changes: Vec<Change>,
}

impl WordDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// How alike two texts are, word by word, from 0 (nothing shared) to 1 (identical).
pub fn similarity(a: &str, b: &str) -> f32 {
    TextDiff::from_words(a, b).ratio()
}

/// The word-level changes that turn `authentic` into `copy`.
pub fn word_diff(authentic: &str, copy: &str) -> WordDiff {
    let diff = TextDiff::from_words(authentic, copy);
    let old: Vec<&str> = diff.iter_old_slices().collect();
    let new: Vec<&str> = diff.iter_new_slices().collect();
    let ops = diff.ops();
    let mut changes = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        if ops[i].tag() == DiffTag::Equal {
            i += 1;
            continue;
        }
        // Merge changes separated only by whitespace.
        let start = i;
        let mut end = i;
        while end + 2 < ops.len()
            && ops[end + 1].tag() == DiffTag::Equal
            && old[ops[end + 1].old_range()]
                .iter()
                .all(|t| t.trim().is_empty())
            && ops[end + 2].tag() != DiffTag::Equal
        {
            end += 2;
        }
        let old_range = ops[start].old_range().start..ops[end].old_range().end;
        let new_range = ops[start].new_range().start..ops[end].new_range().end;
        let authentic_part = old[old_range.clone()].concat();
        let copy_part = new[new_range.clone()].concat();
        let before = tail_words(&old[..old_range.start], CONTEXT_WORDS);
        let after = head_words(&old[old_range.end..], CONTEXT_WORDS);
        changes.push(Change {
            lookalikes: lookalikes(authentic_part.trim(), copy_part.trim()),
            context_before: before,
            authentic: authentic_part.trim().to_owned(),
            copy: copy_part.trim().to_owned(),
            context_after: after,
        });
        i = end + 1;
    }
    WordDiff { changes }
}

fn tail_words(tokens: &[&str], n: usize) -> String {
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| !t.trim().is_empty())
        .copied()
        .collect();
    words[words.len().saturating_sub(n)..].join(" ")
}

fn head_words(tokens: &[&str], n: usize) -> String {
    tokens
        .iter()
        .filter(|t| !t.trim().is_empty())
        .take(n)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// When two sides have the same length, the characters that differ: these are the changes a
/// reader cannot see.
fn lookalikes(authentic: &str, copy: &str) -> Vec<String> {
    let a: Vec<char> = authentic.chars().collect();
    let b: Vec<char> = copy.chars().collect();
    if a.len() != b.len() || a.is_empty() {
        return Vec::new();
    }
    let differing: Vec<(char, char)> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    // Only a few characters changed: likely a look-alike swap rather than a rewrite.
    if differing.len() > 3 {
        return Vec::new();
    }
    differing
        .into_iter()
        .map(|(x, y)| {
            format!(
                "'{x}' U+{:04X} → '{y}' U+{:04X}",
                u32::from(x),
                u32::from(y)
            )
        })
        .collect()
}

impl fmt::Display for WordDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            let before = if change.context_before.is_empty() {
                String::new()
            } else {
                format!("…{} ", change.context_before)
            };
            let after = if change.context_after.is_empty() {
                String::new()
            } else {
                format!(" {}…", change.context_after)
            };
            let removed = if change.authentic.is_empty() {
                String::new()
            } else {
                format!("[-{}-]", change.authentic)
            };
            let added = if change.copy.is_empty() {
                String::new()
            } else {
                format!("{{+{}+}}", change.copy)
            };
            writeln!(f, "  {before}{removed}{added}{after}")?;
            for note in &change.lookalikes {
                writeln!(f, "      look-alike character: {note}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_changed_word_with_context() {
        let diff = word_diff(
            "Lay down your arms and go home alive.\n",
            "Lay down your arms and fight on.\n",
        );
        assert_eq!(diff.changes.len(), 1);
        let change = &diff.changes[0];
        assert_eq!(change.authentic, "go home alive.");
        assert_eq!(change.copy, "fight on.");
        assert_eq!(change.context_before, "Lay down your arms and");
        let shown = diff.to_string();
        assert!(shown.contains("[-go home alive.-]{+fight on.+}"), "{shown}");
    }

    #[test]
    fn names_lookalike_characters() {
        let diff = word_diff("peace now\n", "pеace now\n");
        assert_eq!(diff.changes[0].lookalikes, vec!["'e' U+0065 → 'е' U+0435"]);
    }

    #[test]
    fn identical_texts_have_no_changes() {
        assert!(word_diff("a b c\n", "a b c\n").is_empty());
        assert!(similarity("a b c d", "a b c x") > 0.5);
    }
}
