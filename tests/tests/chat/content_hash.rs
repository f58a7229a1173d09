//! `repository::chat::content_hash` against the values Python computed
//! (`tests/data/content_hash/generate.py` wrote `cases.json`).

use repository::chat::hash::is_python_space;
use repository::chat::{content_hash, content_hash_input};
use serde_json::Value;

const CASES: &str = include_str!("../../data/content_hash/cases.json");

/// The capital letters Unicode assigned after version 14 (Python 3.11's): Rust's newer tables
/// lowercase them, Python 3.11 leaves them as they are (a Python of that Unicode version
/// lowercases them as Rust does). Unicode 16: U+1C89 (Cyrillic Tje), U+A7CB, U+A7CC, U+A7DA,
/// U+A7DC (Latin), U+10D50–U+10D65 (Garay); Unicode 17: U+A7CE, U+A7D2, U+A7D4 (Latin),
/// U+16EA0–U+16EB8 (Beria Erfe). Exactly these, no more: the test lists any other difference.
fn assigned_after_python(c: char) -> bool {
    matches!(
        c,
        '\u{1c89}'
            | '\u{a7cb}'
            | '\u{a7cc}'
            | '\u{a7ce}'
            | '\u{a7d2}'
            | '\u{a7d4}'
            | '\u{a7da}'
            | '\u{a7dc}'
            | '\u{10d50}'..='\u{10d65}'
            | '\u{16ea0}'..='\u{16eb8}'
    )
}

fn data() -> Value {
    serde_json::from_str(CASES).expect("cases.json")
}

#[test]
fn every_case_matches_python() {
    let data = data();
    let cases = data["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        let s = |k: &str| case[k].as_str().expect(k).to_owned();
        let (content, url, doc_type) = (s("content"), s("source_url"), s("doc_type"));
        assert_eq!(
            content_hash_input(&content, &url, &doc_type),
            s("json"),
            "{}: the hashed text",
            s("name")
        );
        assert_eq!(
            content_hash(&content, &url, &doc_type).as_str(),
            s("sha256"),
            "{}",
            s("name")
        );
    }
}

#[test]
fn lowercase_agrees_with_python_for_every_code_point() {
    let data = data();
    let mut python = std::collections::HashMap::new();
    for pair in data["lower"].as_array().expect("lower") {
        let cp = u32::try_from(pair[0].as_u64().expect("code point")).expect("u32");
        let c = char::from_u32(cp).expect("char");
        python.insert(c, pair[1].as_str().expect("lower").to_owned());
    }
    for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
        let rust = c.to_string().to_lowercase();
        match python.get(&c) {
            Some(lower) => assert_eq!(&rust, lower, "U+{:04X}", u32::from(c)),
            None if rust != c.to_string() => assert!(
                assigned_after_python(c),
                "U+{:04X}: Rust lowercases it, Python {} does not",
                u32::from(c),
                data["python"]
            ),
            None => {}
        }
    }
}

#[test]
fn strip_removes_what_python_strips() {
    let data = data();
    let space: std::collections::HashSet<u32> = data["space"]
        .as_array()
        .expect("space")
        .iter()
        .map(|v| u32::try_from(v.as_u64().expect("cp")).expect("u32"))
        .collect();
    for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
        assert_eq!(
            is_python_space(c),
            space.contains(&u32::from(c)),
            "U+{:04X}",
            u32::from(c)
        );
    }
}
