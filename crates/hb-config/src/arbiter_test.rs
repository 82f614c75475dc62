use std::path::Path;
use std::time::Duration;

use super::*;

fn parse(text: &str) -> Result<ArbiterConf, String> {
    parse_arbiter_conf(Path::new("arbiter.conf"), text).map_err(|e| e.to_string())
}

#[test]
fn defaults_and_every_setting() {
    let c = parse("endpoints 10.99.1.1:2379 # one\n").unwrap();
    assert_eq!(c.endpoints, ["http://10.99.1.1:2379"]);
    assert_eq!(c.prefix, "/heartbeat-rs");
    assert_eq!(c.cluster, "default");
    assert_eq!(c.unreachable, Unreachable::Keep);
    assert_eq!(c.lease_ttl, None);
    assert_eq!(c.timeout, Duration::from_secs(2));
    assert!(!c.tls());
    assert_eq!(c.group_key("10.0.0.1"), "/heartbeat-rs/default/groups/10.0.0.1");
    // Derived TTL: deadtime, at least 2 s, whole seconds.
    assert_eq!(c.lease_ttl_for(Duration::from_millis(500)), Duration::from_secs(2));
    assert_eq!(c.lease_ttl_for(Duration::from_millis(2500)), Duration::from_secs(3));
    assert_eq!(c.lease_ttl_for(Duration::from_secs(30)), Duration::from_secs(30));
    assert_eq!(c.grace_for(Duration::from_secs(10)), Duration::from_secs(3));
    assert_eq!(c.grace_for(Duration::from_secs(2)), Duration::ZERO);

    let c = parse(
        "# full\nendpoints 10.99.1.1:2379 https://10.99.1.2:2379/\nendpoint etcd3:2379\n\
         ca_file /etc/ha.d/ca.pem\ncert_file /etc/ha.d/c.pem\nkey_file /etc/ha.d/c.key\n\
         prefix /ha/rs/\ncluster web-1\nlease_ttl 5\nunreachable release\ngrace 3\n\
         timeout 500ms\n",
    )
    .unwrap();
    assert_eq!(
        c.endpoints,
        ["https://10.99.1.1:2379", "https://10.99.1.2:2379", "https://etcd3:2379"]
    );
    assert_eq!(c.ca_file.as_deref(), Some(Path::new("/etc/ha.d/ca.pem")));
    assert_eq!(c.key_file.as_deref(), Some(Path::new("/etc/ha.d/c.key")));
    assert_eq!(c.group_key("g"), "/ha/rs/web-1/groups/g");
    assert_eq!(c.lease_ttl_for(Duration::from_secs(30)), Duration::from_secs(5));
    assert_eq!(c.unreachable, Unreachable::Release);
    assert_eq!(c.grace_for(Duration::from_secs(30)), Duration::from_secs(3));
    assert_eq!(c.timeout, Duration::from_millis(500));
    assert!(c.tls());
}

#[test]
fn errors_name_the_place() {
    let cases: &[(&str, &str)] = &[
        ("", "arbiter.conf:1:1: no etcd endpoint; expected `endpoints HOST:PORT…`"),
        ("endpoints\n", "arbiter.conf:1:1: `endpoints` needs a value; expected `endpoints VALUE`"),
        (
            "endpoints a:1\nfoo 1\n",
            "arbiter.conf:2:1: unknown setting `foo`; expected endpoints, ca_file, cert_file, \
             key_file, prefix, cluster, lease_ttl, unreachable, grace or timeout",
        ),
        (
            "endpoints a:1 ftp://b:2\n",
            "arbiter.conf:1:15: unknown scheme `ftp`; expected http or https",
        ),
        (
            "endpoints a:99999\n",
            "arbiter.conf:1:11: invalid endpoint `a:99999`; expected [http(s)://]HOST:PORT",
        ),
        ("endpoints a:1\nlease_ttl 1\n", "arbiter.conf:2:11: `lease_ttl`: expected at least 2 s"),
        (
            "endpoints a:1\nunreachable maybe\n",
            "arbiter.conf:2:13: `unreachable`: expected keep or release",
        ),
        (
            "endpoints a:1\ngrace 3\n",
            "arbiter.conf:2:1: `grace` only applies with `unreachable release`",
        ),
        ("endpoints a:1\nprefix x\n", "arbiter.conf:2:8: `prefix`: invalid prefix `x`"),
        ("endpoints a:1\ncluster a/b\n", "arbiter.conf:2:9: `cluster`: invalid name `a/b`"),
        (
            "endpoints a:1\nca_file rel.pem\n",
            "arbiter.conf:2:9: `ca_file`: `rel.pem` is not an absolute path",
        ),
        (
            "endpoints https://a:1\nkey_file /k\n",
            "arbiter.conf:1:1: `cert_file` and `key_file` go together",
        ),
        (
            "endpoints a:1\ncert_file /c\nkey_file /k\n",
            "arbiter.conf:1:1: a client certificate needs TLS",
        ),
        ("endpoints a:1\ntimeout 0\n", "arbiter.conf:2:9: `timeout`: expected a time above zero"),
        ("endpoints a:1\ncluster a b\n", "arbiter.conf:2:11: unexpected `b`"),
    ];
    for (text, want) in cases {
        let got = parse(text).unwrap_err();
        assert!(got.starts_with(want), "{text:?}: got {got:?}, want {want:?}");
    }
    println!("{} malformed arbiter.conf texts refused with their place", cases.len());
    assert!(!cases.is_empty());
}

#[test]
fn file_modes_are_enforced_and_a_missing_file_turns_it_off() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arbiter.conf");
    assert_eq!(load_arbiter_conf(&path).unwrap(), None);
    let key = dir.path().join("client.key");
    std::fs::write(&key, "k").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text =
        format!("endpoints https://10.99.1.1:2379\ncert_file {0}\nkey_file {0}\n", key.display());
    std::fs::write(&path, &text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = load_arbiter_conf(&path).unwrap_err();
    assert!(matches!(e, ConfigError::SecretPermissions { mode: 0o644, .. }), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = load_arbiter_conf(&path).unwrap_err();
    assert!(
        matches!(&e, ConfigError::SecretPermissions { path, .. } if *path == key),
        "the key file is checked too: {e}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = load_arbiter_conf(&path).unwrap().unwrap();
    assert_eq!(c.key_file.as_deref(), Some(key.as_path()));
}
