//! The content hash of a document chunk, exactly as seed 001's `generate_content_hash` computes
//! it, so that rows written by the seed's Python code and by this crate deduplicate together:
//!
//! ```python
//! hashlib.sha256(json.dumps({'content': content.strip().lower(),
//!                            'metadata': {'source_url': source_url, 'doc_type': doc_type}},
//!                           sort_keys=True).encode()).hexdigest()
//! ```
//!
//! Byte for byte, that is:
//! - `str.strip()` removes Python's white space: Unicode `White_Space` plus the separators
//!   U+001C–U+001F (bidirectional class B/S), which Rust's `char::is_whitespace` leaves out;
//! - `str.lower()` is Unicode's full lowercase mapping with the final-sigma rule (`ΑΣ` → `ας`,
//!   `İ` → `i̇`), which is also what Rust's `str::to_lowercase` does. Both follow their own
//!   Unicode version: for every code point of Unicode 14 (Python 3.11) they agree (the tests
//!   compare every one). The capitals added in Unicode 16 and 17 (U+1C89, U+A7CB, U+A7CC,
//!   U+A7CE, U+A7D2, U+A7D4, U+A7DA, U+A7DC, U+10D50–U+10D65, U+16EA0–U+16EB8) are lowercased
//!   here, as a Python with those Unicode tables does, and left as they are by Python 3.11;
//! - `json.dumps` with `sort_keys=True` writes `{"content": …, "metadata": {"doc_type": …,
//!   "source_url": …}}` with `", "` and `": "` as separators and `ensure_ascii`: `"` and `\`
//!   escaped, `\b \f \n \r \t` short, every other character below U+0020 and every one from
//!   U+007F up as `\uxxxx` (lowercase hex), characters beyond U+FFFF as a surrogate pair.

use std::fmt::Write as _;

use crate::types::ContentHash;

/// Python's `str.isspace()`: what `str.strip()` removes.
#[must_use]
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `json.dumps` of a string with `ensure_ascii=True`, quotes included, appended to `out`.
fn push_json_ascii(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// The text the seed hashes: `json.dumps({'content': content.strip().lower(), 'metadata':
/// {'source_url': source_url, 'doc_type': doc_type}}, sort_keys=True)`.
#[must_use]
pub fn content_hash_input(content: &str, source_url: &str, doc_type: &str) -> String {
    let normalized = content.trim_matches(is_python_space).to_lowercase();
    let mut out = String::with_capacity(normalized.len() + source_url.len() + 64);
    out.push_str("{\"content\": ");
    push_json_ascii(&mut out, &normalized);
    out.push_str(", \"metadata\": {\"doc_type\": ");
    push_json_ascii(&mut out, doc_type);
    out.push_str(", \"source_url\": ");
    push_json_ascii(&mut out, source_url);
    out.push_str("}}");
    out
}

/// The seed's `generate_content_hash(content, {'source_url': source_url, 'doc_type':
/// doc_type})`: the SHA-256 of [`content_hash_input`], as 64 lowercase hex digits.
#[must_use]
pub fn content_hash(content: &str, source_url: &str, doc_type: &str) -> ContentHash {
    ContentHash::digest(content_hash_input(content, source_url, doc_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python() {
        assert_eq!(
            content_hash_input(" A\"\\\u{7f}é😀\u{1} ", "u", "react"),
            r#"{"content": "a\"\\\u007f\u00e9\ud83d\ude00\u0001", "metadata": {"doc_type": "react", "source_url": "u"}}"#
        );
        assert_eq!(
            content_hash("Hello, World!", "https://react.dev/learn", "react").as_str(),
            "c06075d6f1f0752d0ff319ff0fc1597eb8df81e6efb72f70910dcc02b64640c8"
        );
    }
}
