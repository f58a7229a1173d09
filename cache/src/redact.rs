//! Connection URLs made safe to show: the one [`redact_url`] of the workspace, used wherever a
//! URL reaches `Debug` output, an error, a log line or `dal status`: Redis URLs here, database
//! URLs in `repository` (which re-exports it), and `app`'s configuration.
//!
//! It lives in this crate because `cache` depends on no other crate of ours, so every crate of
//! the workspace can reach it.
//!
//! - The password is replaced by `***`; so is the value of every query parameter whose name says
//!   it holds a secret (`password`, `sslpassword`, `token`, `secret`, `auth`, `apikey`, …).
//! - Text that does not parse as a URL is shown as `<unparseable>`, never as given: a password
//!   with an unescaped `#`, `/` or `?` breaks parsing, and the text would carry the password.
//! - A URL that parses but only by reading part of a password as a port
//!   (`postgres://u:12/34@h/db`) is treated as unparseable too.
//!
//! ```
//! use cache::redact_url;
//!
//! assert_eq!(redact_url("postgres://dal:s3cret@db:5432/dal"), "postgres://dal:***@db:5432/dal");
//! assert_eq!(redact_url("postgres://u:pa#ss@h/db"), "<unparseable>");
//! assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
//! ```

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// What a URL that cannot be shown safely is replaced with.
pub const UNPARSEABLE: &str = "<unparseable>";

/// Words that mark a query parameter as holding a secret (matched case-insensitively anywhere
/// in its name: `password`, `sslpassword`, `sentinelPassword`, `access_token`, `apiKey`, …).
const SECRET_PARAM_WORDS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "auth",
    "credential",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "private_key",
];

/// `url` made safe to log, print or put in an error: the password and every secret-looking
/// query value replaced by [`MASK`], any fragment masked too, and [`UNPARSEABLE`] for text that
/// does not parse as a URL or whose password could have been misread (see the module docs).
///
/// The result is for people only: never connect with it.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return UNPARSEABLE.to_owned();
    };
    if password_may_be_misread(url) {
        return UNPARSEABLE.to_owned();
    }
    if parsed.password().is_some() && parsed.set_password(Some(MASK)).is_err() {
        return UNPARSEABLE.to_owned();
    }
    if parsed.query_pairs().any(|(name, _)| is_secret_param(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_param(&name) {
                    MASK.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // A connection URL has no use for a fragment; one here is most likely the tail of a
    // password with an unescaped `#`.
    if parsed.fragment().is_some() {
        parsed.set_fragment(Some(MASK));
    }
    parsed.to_string()
}

/// Whether the query parameter `name` holds a secret.
fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAM_WORDS.iter().any(|word| name.contains(word))
}

/// Whether the text after the authority holds an `@` while the authority could hold
/// credentials or a port: then the parser may have split a password with an unescaped `/`, `?`
/// or `#` (`postgres://u:12/34@h/db` parses as host `u`, port 12) and what it calls the path
/// would carry the rest of the password. Without an authority (`u:secret@host`, read as the
/// scheme `u`), any `@` is suspect.
fn password_may_be_misread(url: &str) -> bool {
    let Some((_, rest)) = url.trim().split_once(':') else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return rest.contains('@');
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    authority.contains([':', '@']) && after.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every password below must be absent from the redacted text.
    fn hides(url: &str, secret: &str) -> String {
        let shown = redact_url(url);
        assert!(!shown.contains(secret), "{url} -> {shown}");
        shown
    }

    #[test]
    fn passwords_are_masked_and_the_rest_is_kept() {
        assert_eq!(
            hides("postgres://dal:s3cret@db.internal:5432/dal", "s3cret"),
            "postgres://dal:***@db.internal:5432/dal"
        );
        assert_eq!(
            hides(
                "postgresql://dal:s3cret@127.0.0.1/dal?sslmode=require",
                "s3cret"
            ),
            "postgresql://dal:***@127.0.0.1/dal?sslmode=require"
        );
        assert_eq!(
            hides("redis://:s3cret@127.0.0.1:6379/0", "s3cret"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            hides("rediss://default:s3cret@cache:6380", "s3cret"),
            "rediss://default:***@cache:6380"
        );
        assert_eq!(
            hides(
                "redis-cluster://u:s3cret@10.0.0.1:7000?node=10.0.0.2:7000&node=10.0.0.3:7000",
                "s3cret"
            ),
            "redis-cluster://u:***@10.0.0.1:7000?node=10.0.0.2:7000&node=10.0.0.3:7000"
        );
        assert_eq!(
            hides("rediss-cluster://u:s3cret@10.0.0.1:7000", "s3cret"),
            "rediss-cluster://u:***@10.0.0.1:7000"
        );
        assert_eq!(
            hides("valkey://u:s3cret@valkey:6379/2", "s3cret"),
            "valkey://u:***@valkey:6379/2"
        );
        assert_eq!(
            hides("valkeys://u:s3cret@valkey:6379", "s3cret"),
            "valkeys://u:***@valkey:6379"
        );
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "sqlite:///srv/app/data/dal.sqlite3",
            "sqlite://data/dal.sqlite3?mode=rwc",
            "sqlite::memory:",
            "postgres://dal@127.0.0.1:5432/dal",
            "postgres:///dal?host=/var/run/postgresql",
            "redis://127.0.0.1:6379/0",
            "redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn passwords_with_reserved_characters() {
        // `@` inside the password: the last `@` ends the user info, all of it is masked.
        assert_eq!(
            hides("postgres://u:p@ss@h/db", "p@ss"),
            "postgres://u:***@h/db"
        );
        // `%` (invalid or valid escapes) stays inside the password.
        assert_eq!(
            hides("postgres://u:100%@h/db", "100%"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            hides("postgres://u:p%41ss@h/db", "p%41ss"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            hides("postgres://u:pa:ss@h/db", "pa:ss"),
            "postgres://u:***@h/db"
        );
        // `#`, `/`, `?` cut the authority short: unparseable, or a misread port.
        for (url, secret) in [
            ("postgres://u:pa#ss@h/db", "pa#ss"),
            ("postgres://u:pa/ss@h/db", "ss@h"),
            ("postgres://u:pa?ss@h/db", "ss@h"),
            ("postgres://u:12/34@h/db", "34"),
            ("postgres://u:12?34@h/db", "34"),
            ("postgres://u:12#34@h/db", "34"),
            ("redis://:12/34@h:6379", "34"),
            ("postgres://u:pa@ss/x@h/db", "ss/x"),
        ] {
            assert_eq!(hides(url, secret), UNPARSEABLE, "{url}");
        }
    }

    #[test]
    fn unparseable_text_is_never_echoed() {
        for text in [
            "redis://user:pa ss@@::bad",
            "not a url",
            "u:secret@host/db",
            "",
            "postgres://u:secret@[::1/db",
        ] {
            assert_eq!(redact_url(text), UNPARSEABLE, "{text}");
        }
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        assert_eq!(
            hides(
                "postgres://u@h/db?password=s3cret&sslmode=require",
                "s3cret"
            ),
            "postgres://u@h/db?password=***&sslmode=require"
        );
        assert_eq!(
            hides("postgres://u@h/db?sslpassword=s3cret", "s3cret"),
            "postgres://u@h/db?sslpassword=***"
        );
        assert_eq!(
            hides(
                "redis-sentinel://h:26379?sentinelServiceName=m&sentinelPassword=s3cret",
                "s3cret"
            ),
            "redis-sentinel://h:26379?sentinelServiceName=m&sentinelPassword=***"
        );
        hides(
            "https://api.example.org/v1?access_token=s3cret&apiKey=k3y",
            "s3cret",
        );
        hides(
            "https://api.example.org/v1?access_token=s3cret&apiKey=k3y",
            "k3y",
        );
    }

    #[test]
    fn fragments_are_masked() {
        assert_eq!(
            hides("postgres://u@h/db#s3cret", "s3cret"),
            "postgres://u@h/db#***"
        );
    }
}
