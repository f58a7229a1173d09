//! PostgreSQL TLS as `DatabaseManager` connects: a local URL without `sslmode` (as users write
//! it) does not negotiate TLS; an explicit `sslmode` is respected: `require` is encrypted on the
//! server of `DAL_TEST_DATABASE_URL`, and `verify-full` checks the certificate chain and the
//! host name against a private server with its own CA (made here with rcgen).

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use repository::{DatabaseManager, DbConfig};
use tests::pg_server::PgServer;

/// A manager for `url` that gives up quickly on a refused handshake.
fn config(url: &str) -> DbConfig {
    let mut config = DbConfig::new(url);
    config.connect_timeout = Duration::from_secs(3);
    config.acquire_timeout = Duration::from_secs(3);
    config
}

/// Whether the session opened for `url` is encrypted, as the server sees it (`pg_stat_ssl`).
async fn session_encrypted(url: &str) -> bool {
    let db = DatabaseManager::connect_with(config(url))
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", repository::redact_url(url)));
    let row = db
        .fetch_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            vec![],
        )
        .await
        .expect("pg_stat_ssl")
        .expect("a row for this session");
    db.disconnect().await.ok();
    row["ssl"].as_bool().expect("ssl is a boolean")
}

/// `url` without any `sslmode`, and with `extra` query parameters.
fn with_params(url: &str, extra: &[(&str, &str)]) -> String {
    let mut parsed = url::Url::parse(url).expect("test URL");
    let mut pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "sslmode" && k != "ssl-mode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    if pairs.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[tokio::test]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn local_url_without_sslmode_is_plain_and_explicit_modes_are_respected() {
    tests::init_tracing();
    let admin = tests::postgres_url();
    let plain = with_params(&admin, &[]);
    let host = url::Url::parse(&plain)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if ["127.0.0.1", "localhost", "[::1]"].contains(&host.as_str()) {
        assert!(
            !session_encrypted(&plain).await,
            "no sslmode on loopback: no TLS"
        );
    } else {
        eprintln!("DAL_TEST_DATABASE_URL is not on loopback: the default case is not checked");
    }

    let db = DatabaseManager::connect_with(config(&plain))
        .await
        .expect("connect");
    let server_ssl = db
        .fetch_one("SELECT current_setting('ssl') AS ssl", vec![])
        .await
        .expect("SHOW ssl")
        .and_then(|row| row["ssl"].as_str().map(str::to_owned))
        .unwrap_or_default();
    db.disconnect().await.ok();
    if server_ssl != "on" {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the PostgreSQL of DAL_TEST_DATABASE_URL has ssl = {server_ssl:?} (scripts/test turns it on with Debian's snakeoil certificate)"
        );
        eprintln!("the test server has ssl = {server_ssl:?}: skipping sslmode=require");
        return;
    }
    assert!(session_encrypted(&with_params(&admin, &[("sslmode", "require")])).await);
    assert!(session_encrypted(&with_params(&admin, &[("sslmode", "prefer")])).await);
    assert!(!session_encrypted(&with_params(&admin, &[("sslmode", "disable")])).await);
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by it, as PEM:
/// (CA certificate, server certificate, server key).
fn certificates() -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "dal test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

#[tokio::test]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn verify_full_against_a_private_server_with_its_own_ca() {
    tests::init_tracing();
    let Some(server) = PgServer::init() else {
        return;
    };
    let (ca, cert, key) = certificates();
    let (other_ca, _, _) = certificates();
    let cert_path = server.write_private("server.crt", &cert);
    let key_path = server.write_private("server.key", &key);
    let ca_path = server.dir().join("ca.crt");
    std::fs::write(&ca_path, ca).expect("write CA");
    let other_ca_path = server.dir().join("other-ca.crt");
    std::fs::write(&other_ca_path, other_ca).expect("write other CA");
    server.start(
        "127.0.0.1,127.0.0.2",
        &[
            "ssl = on".to_owned(),
            format!("ssl_cert_file = '{}'", cert_path.display()),
            format!("ssl_key_file = '{}'", key_path.display()),
        ],
    );
    let url = |host: &str, mode: &str, root: &std::path::Path| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={mode}&sslrootcert={}",
            server.port,
            root.display()
        )
    };

    // The right CA and a name in the certificate: encrypted, by name and by address.
    assert!(session_encrypted(&url("localhost", "verify-full", &ca_path)).await);
    assert!(session_encrypted(&url("127.0.0.1", "verify-full", &ca_path)).await);
    // `require` on loopback is encrypted too (an explicit mode is never lowered).
    assert!(session_encrypted(&url("127.0.0.1", "require", &ca_path)).await);

    // Another CA: refused.
    let refused =
        DatabaseManager::connect_with(config(&url("localhost", "verify-full", &other_ca_path)))
            .await;
    assert!(
        refused.is_err(),
        "a certificate from another CA was accepted"
    );

    // An address that is not in the certificate: verify-full refuses, verify-ca accepts.
    let refused =
        DatabaseManager::connect_with(config(&url("127.0.0.2", "verify-full", &ca_path))).await;
    assert!(
        refused.is_err(),
        "a host name not in the certificate was accepted"
    );
    assert!(session_encrypted(&url("127.0.0.2", "verify-ca", &ca_path)).await);
}
