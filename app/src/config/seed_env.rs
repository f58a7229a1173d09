//! The seed's environment (seed 004's `.env`): `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_DB`,
//! `POSTGRES_USER`, `POSTGRES_PASSWORD` and `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`,
//! `REDIS_DB`, `REDIS_SSL`, turned into the `DATABASE_URL` / `REDIS_URL` they stand for.
//!
//! [`super::Config`] uses them only when no URL is given (`DATABASE_URL` / `REDIS_URL` in the
//! environment or `.env`, `database_url` / `redis_url` in the config file, or a flag): an explicit
//! URL always wins.
//!
//! - PostgreSQL is built when any of `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_DB`,
//!   `POSTGRES_USER` is set (a password alone says nothing about where): host `localhost`, port
//!   5432, user `postgres`, database named like the user (libpq's defaults) unless given. A host
//!   starting with `/` is a Unix socket directory.
//! - Redis is built when `REDIS_HOST` or `REDIS_PORT` is set: host `localhost`, port 6379,
//!   database 0, no password (an empty `REDIS_PASSWORD`, as in the seed, means none),
//!   `REDIS_SSL=true` for `rediss://`.
//!
//! User, password, database and socket directory are percent-encoded, so any character works.
//! A value that cannot be used is a [`ConfigError`] naming the variable; no message ever holds
//! the password.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::ConfigError;

/// Everything but unreserved characters (RFC 3986) is encoded in user info and paths.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The variables that make [`database_url`] build a URL.
pub const POSTGRES_TRIGGERS: &[&str] = &[
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "POSTGRES_USER",
];

/// The variables that make [`redis_url`] build a URL.
pub const REDIS_TRIGGERS: &[&str] = &["REDIS_HOST", "REDIS_PORT"];

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

fn port_of(value: Option<String>, name: &str, default: u16) -> Result<u16, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(ConfigError::new(
                name,
                format!("expected a port number (1-65535), got {text:?}"),
            )),
        },
    }
}

/// A host name or IP address for a URL (IPv6 in brackets), or an error naming `name`.
fn host_of(host: &str, name: &str) -> Result<String, ConfigError> {
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        return Ok(format!("[{ip}]"));
    }
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if plain {
        Ok(host.to_owned())
    } else {
        Err(ConfigError::new(
            name,
            format!("expected a host name or IP address, got {host:?}"),
        ))
    }
}

/// The PostgreSQL URL the `POSTGRES_*` variables stand for, or `None` when none of
/// [`POSTGRES_TRIGGERS`] is set. `var` reads a variable (trimmed, empty as unset).
///
/// # Errors
/// A [`ConfigError`] naming the variable with an unusable value (port, host).
pub fn database_url(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    if !POSTGRES_TRIGGERS.iter().any(|name| var(name).is_some()) {
        return Ok(None);
    }
    let port = port_of(var("POSTGRES_PORT"), "POSTGRES_PORT", 5432)?;
    let user = var("POSTGRES_USER").unwrap_or_else(|| "postgres".to_owned());
    let database = var("POSTGRES_DB").unwrap_or_else(|| user.clone());
    let host = var("POSTGRES_HOST").unwrap_or_else(|| "localhost".to_owned());
    // A socket directory is given as an encoded host, which sqlx decodes.
    let host = if host.starts_with('/') {
        encode(&host)
    } else {
        host_of(&host, "POSTGRES_HOST")?
    };
    let credentials = match var("POSTGRES_PASSWORD") {
        Some(password) => format!("{}:{}", encode(&user), encode(&password)),
        None => encode(&user),
    };
    Ok(Some(format!(
        "postgres://{credentials}@{host}:{port}/{}",
        encode(&database)
    )))
}

/// The Redis URL the `REDIS_*` variables stand for, or `None` when none of
/// [`REDIS_TRIGGERS`] is set. `var` reads a variable (trimmed, empty as unset).
///
/// # Errors
/// A [`ConfigError`] naming the variable with an unusable value (port, host, database number,
/// `REDIS_SSL` other than true/false/1/0/yes/no).
pub fn redis_url(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    if !REDIS_TRIGGERS.iter().any(|name| var(name).is_some()) {
        return Ok(None);
    }
    let host = host_of(
        &var("REDIS_HOST").unwrap_or_else(|| "localhost".to_owned()),
        "REDIS_HOST",
    )?;
    let port = port_of(var("REDIS_PORT"), "REDIS_PORT", 6379)?;
    let db = match var("REDIS_DB") {
        None => 0,
        Some(text) => text.parse::<u32>().map_err(|_| {
            ConfigError::new(
                "REDIS_DB",
                format!("expected a database number, got {text:?}"),
            )
        })?,
    };
    let tls = match var("REDIS_SSL").map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no" | "off") => false,
        Some("true" | "1" | "yes" | "on") => true,
        Some(other) => {
            return Err(ConfigError::new(
                "REDIS_SSL",
                format!("expected true or false, got {other:?}"),
            ));
        }
    };
    let scheme = if tls { "rediss" } else { "redis" };
    let credentials = var("REDIS_PASSWORD")
        .map(|password| format!(":{}@", encode(&password)))
        .unwrap_or_default();
    Ok(Some(format!("{scheme}://{credentials}{host}:{port}/{db}")))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn reader(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name: &str| {
            map.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        }
    }

    #[test]
    fn postgres_parts_make_a_url() {
        let var = reader(&[
            ("POSTGRES_HOST", "db.internal"),
            ("POSTGRES_PORT", "6543"),
            ("POSTGRES_DB", "ai_company_db"),
            ("POSTGRES_USER", "app user"),
            ("POSTGRES_PASSWORD", "p@ss:w/rd?#%41"),
        ]);
        let url = database_url(&var).expect("ok").expect("built");
        assert_eq!(
            url,
            "postgres://app%20user:p%40ss%3Aw%2Frd%3F%23%2541@db.internal:6543/ai_company_db"
        );
        let parsed = url::Url::parse(&url).expect("parses");
        let password = percent_encoding::percent_decode_str(parsed.password().expect("pw"))
            .decode_utf8()
            .expect("utf-8");
        assert_eq!(password, "p@ss:w/rd?#%41");
        assert_eq!(cache::redact_url(&url).matches("***").count(), 1);
    }

    #[test]
    fn postgres_defaults_and_triggers() {
        assert_eq!(database_url(&reader(&[])).expect("ok"), None);
        // A password alone builds nothing.
        assert_eq!(
            database_url(&reader(&[("POSTGRES_PASSWORD", "x")])).expect("ok"),
            None
        );
        assert_eq!(
            database_url(&reader(&[("POSTGRES_DB", "dal")])).expect("ok"),
            Some("postgres://postgres@localhost:5432/dal".to_owned())
        );
        assert_eq!(
            database_url(&reader(&[
                ("POSTGRES_USER", "dal"),
                ("POSTGRES_HOST", "::1")
            ]))
            .expect("ok"),
            Some("postgres://dal@[::1]:5432/dal".to_owned())
        );
        assert_eq!(
            database_url(&reader(&[("POSTGRES_HOST", "/var/run/postgresql")])).expect("ok"),
            Some("postgres://postgres@%2Fvar%2Frun%2Fpostgresql:5432/postgres".to_owned())
        );
    }

    #[test]
    fn redis_parts_make_a_url() {
        assert_eq!(redis_url(&reader(&[])).expect("ok"), None);
        // The seed's `.env`: an empty password is none.
        let seed = reader(&[
            ("REDIS_HOST", "localhost"),
            ("REDIS_PORT", "6379"),
            ("REDIS_PASSWORD", ""),
            ("REDIS_DB", "0"),
            ("REDIS_SSL", "false"),
        ]);
        assert_eq!(
            redis_url(&seed).expect("ok").as_deref(),
            Some("redis://localhost:6379/0")
        );
        let tls = reader(&[
            ("REDIS_HOST", "cache.internal"),
            ("REDIS_PASSWORD", "s3cr@t/#"),
            ("REDIS_DB", "2"),
            ("REDIS_SSL", "TRUE"),
        ]);
        assert_eq!(
            redis_url(&tls).expect("ok").as_deref(),
            Some("rediss://:s3cr%40t%2F%23@cache.internal:6379/2")
        );
    }

    #[test]
    fn bad_parts_are_named_without_the_password() {
        for (pairs, name) in [
            (
                &[("POSTGRES_PORT", "54x"), ("POSTGRES_PASSWORD", "s3cret")][..],
                "POSTGRES_PORT",
            ),
            (
                &[("POSTGRES_HOST", "h@st/x"), ("POSTGRES_PASSWORD", "s3cret")][..],
                "POSTGRES_HOST",
            ),
        ] {
            let err = database_url(&reader(pairs)).expect_err("refused");
            assert_eq!(err.name, name);
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
        for (pairs, name) in [
            (
                &[("REDIS_PORT", "0"), ("REDIS_PASSWORD", "s3cret")][..],
                "REDIS_PORT",
            ),
            (
                &[
                    ("REDIS_HOST", "h"),
                    ("REDIS_DB", "-1"),
                    ("REDIS_PASSWORD", "s3cret"),
                ][..],
                "REDIS_DB",
            ),
            (
                &[
                    ("REDIS_HOST", "h"),
                    ("REDIS_SSL", "maybe"),
                    ("REDIS_PASSWORD", "s3cret"),
                ][..],
                "REDIS_SSL",
            ),
        ] {
            let err = redis_url(&reader(pairs)).expect_err("refused");
            assert_eq!(err.name, name);
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }
}
