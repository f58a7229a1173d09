#!/usr/bin/env python3
"""Expected values for `repository::chat::content_hash`, computed with Python itself.

Writes `cases.json` next to this file (run: `python3 generate.py`; not part of the build):

- `cases`: inputs and the seed's `generate_content_hash` digest (seed 001), with the
  `json.dumps` text that was hashed, so a mismatch shows where the texts differ;
- `lower`: every code point whose `str.lower()` is not itself, with its lowercase (the
  whole Unicode database of this Python, so the Rust side is checked exhaustively);
- `space`: every code point `str.strip()` removes (`str.isspace()`);
- `python` / `unicode`: the versions used.
"""
import hashlib
import json
import pathlib
import sys
import unicodedata


def generate_content_hash(content, metadata=None):
    """The seed's function, verbatim."""
    normalized_content = content.strip().lower()
    hash_data = {'content': normalized_content, 'metadata': metadata or {}}
    hash_input = json.dumps(hash_data, sort_keys=True)
    return hashlib.sha256(hash_input.encode()).hexdigest(), hash_input


INPUTS = [
    ("ascii", "Hello, World!", "https://react.dev/learn", "react"),
    ("ascii padded", "  \t\nUse State Hooks\r\n  ", "https://react.dev/reference/react/useState", "react"),
    ("empty", "", "https://docs.python.org/3/", "python"),
    ("whitespace only", " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2000\u3000 ", "https://docs.python.org/3/", "python"),
    ("accented", "Crème Brûlée À LA CARTE, Ça Été", "https://fastapi.tiangolo.com/fr/", "fastapi"),
    ("cjk", "中文文档：使用 FastAPI 构建 API。日本語のテキスト", "https://fastapi.tiangolo.com/zh/", "fastapi"),
    ("emoji", "Ship it 🚀😀 👩‍💻 🇫🇷", "https://react.dev/blog", "react"),
    ("greek final sigma", "ΟΔΥΣΣΕΥΣ ΣΟΦΟΣ Σ ΑΣ.", "https://docs.python.org/3/library/stdtypes.html", "python"),
    ("turkish dotted i", "İSTANBUL ıI İi", "https://docs.python.org/3/library/stdtypes.html#str.lower", "python"),
    ("german and ligatures", "STRASSE Straße ẞ ﬁ Ǆ ǅ", "https://docs.python.org/3/", "python"),
    ("control chars", "a\x00b\x01c\x07d\x08e\x0cf\x1bg\x7fh", "https://react.dev/", "react"),
    ("quotes and backslashes", 'He said "hi" \\ C:\\path\\to /slash/ \'single\'', "https://react.dev/?q=\"x\"&y=\\z", "react"),
    ("unicode in url and type", "Content", "https://例え.jp/パス?q=é", "pythön"),
    ("line and paragraph separators", "x\u2028y\u2029z\u2028", "https://react.dev/", "react"),
    ("astral letters", "𐐀𐐁 DESERET 𞤀 ADLAM", "https://react.dev/", "react"),
    ("mixed scripts", "  Καλημέρα Привет МИР Ωmega \u212a\u212b  ", "https://docs.python.org/", "python"),
]


def main():
    cases = []
    for name, content, source_url, doc_type in INPUTS:
        digest, hashed = generate_content_hash(
            content, {'source_url': source_url, 'doc_type': doc_type})
        cases.append({"name": name, "content": content, "source_url": source_url,
                      "doc_type": doc_type, "json": hashed, "sha256": digest})
    lower = []
    space = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if c.lower() != c:
            lower.append([cp, c.lower()])
        if c.isspace():
            space.append(cp)
    out = {
        "python": sys.version.split()[0],
        "unicode": unicodedata.unidata_version,
        "cases": cases,
        "lower": lower,
        "space": space,
    }
    path = pathlib.Path(__file__).with_name("cases.json")
    path.write_text(json.dumps(out, ensure_ascii=True, indent=1) + "\n")


if __name__ == "__main__":
    main()
