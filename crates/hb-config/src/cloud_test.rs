use std::path::Path;
use std::time::Duration;

use super::*;

const TOKEN: &str = "dop_v1_0123456789abcdef";

fn no_file(p: &Path) -> Result<String, ConfigError> {
    Err(ConfigError::invalid(Location::new(p, 1, 1), "no token files in this test"))
}

fn parse(text: &str) -> Result<CloudConf, String> {
    parse_cloud_conf(Path::new("cloud.conf"), text, &no_file).map_err(|e| e.to_string())
}

#[test]
fn defaults_and_every_setting() {
    let c = parse(&format!("# comment\nprovider digitalocean\ntoken {TOKEN}\n")).unwrap();
    let p = &c.providers[0];
    assert_eq!(p.kind, ProviderKind::DigitalOcean);
    assert_eq!(p.token.expose(), TOKEN);
    assert_eq!(p.api_url, "https://api.digitalocean.com");
    assert_eq!(p.metadata_url, "http://169.254.169.254");
    assert_eq!(p.instance_id, None);
    assert_eq!(p.verify_interval, Duration::from_secs(30));
    assert!(!p.unassign_on_stop);
    let c = parse(&format!(
        "provider hetzner\ntoken {TOKEN}\napi_url http://10.99.0.9:8080/\n\
         metadata_url http://10.99.0.9:8080\nserver_id 42\ntimeout 500ms\naction_timeout 5\n\
         retries 3\nretry_backoff 100ms\nverify_interval 0\nunassign_on_stop yes\n\
         provider digitalocean\ntoken_x y\n"
    ));
    assert_eq!(
        c.unwrap_err(),
        "cloud.conf:13:1: unknown setting `token_x`; expected provider, token, token_file, \
         api_url, metadata_url, droplet_id, server_id, timeout, action_timeout, retries, \
         retry_backoff, verify_interval or unassign_on_stop"
    );
    let c = parse(&format!(
        "provider hetzner\ntoken {TOKEN}\napi_url http://10.99.0.9:8080/\n\
         metadata_url http://10.99.0.9:8080\nserver_id 42\ntimeout 500ms\naction_timeout 5\n\
         retries 3\nretry_backoff 100ms\nverify_interval 0\nunassign_on_stop yes\n\
         provider digitalocean\ntoken {TOKEN}\ndroplet_id 7\n"
    ))
    .unwrap();
    let h = &c.providers[0];
    assert_eq!(h.api_url, "http://10.99.0.9:8080");
    assert_eq!(h.instance_id, Some(42));
    assert_eq!(h.request_timeout, Duration::from_millis(500));
    assert_eq!(h.action_timeout, Duration::from_secs(5));
    assert_eq!((h.retries, h.retry_backoff), (3, Duration::from_millis(100)));
    assert!(h.verify_interval.is_zero() && h.unassign_on_stop);
    assert_eq!(c.provider(None).map(|p| p.kind), Some(ProviderKind::Hetzner), "first is default");
    assert_eq!(c.provider(Some("digitalocean")).and_then(|p| p.instance_id), Some(7));
    assert!(c.provider(Some("aws")).is_none());
}

#[test]
fn errors_say_where_and_what() {
    let cases = [
        ("token x\n", "cloud.conf:1:1: `token` before any `provider` line; expected `provider NAME` first"),
        ("provider aws\n", "cloud.conf:1:10: unknown provider `aws`; expected digitalocean or hetzner"),
        ("provider digitalocean\n", "cloud.conf:1:1: provider digitalocean has no `token_file` (or `token`)"),
        ("provider digitalocean\ntoken\n", "cloud.conf:2:1: `token` needs a value; expected `token VALUE`"),
        ("provider digitalocean\ntoken a b\n", "cloud.conf:2:9: unexpected `b`; expected one value after `token`"),
        ("provider digitalocean\ntoken t\nretries 99\n", "cloud.conf:3:9: `retries`: expected 0–20"),
        ("provider digitalocean\ntoken t\ntimeout 0\n", "cloud.conf:3:9: `timeout`: expected a time above zero"),
        ("provider digitalocean\ntoken t\napi_url ftp://x\n", "cloud.conf:3:9: `api_url`: invalid URL `ftp://x`; expected http(s)://HOST[:PORT][/PATH]"),
        ("provider digitalocean\ntoken t\ndroplet_id -1\n", "cloud.conf:3:12: `droplet_id`: expected a positive integer id"),
        ("provider digitalocean\ntoken t\nunassign_on_stop maybe\n", "cloud.conf:3:18: `unassign_on_stop`: expected yes or no"),
        ("provider digitalocean\ntoken t\nprovider do\n", "cloud.conf:3:10: provider digitalocean is already configured above"),
        ("# only a comment\n", "cloud.conf:1:1: no provider configured; expected `provider digitalocean` or `provider hetzner`"),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text).unwrap_err(), want, "{text:?}");
    }
}

#[test]
fn token_never_shown() {
    let c = parse(&format!("provider digitalocean\ntoken {TOKEN}\n")).unwrap();
    let shown = format!("{c:?} {}", c.providers[0].token);
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("<redacted>"));
    // A malformed token is described, never quoted.
    let e = parse("provider digitalocean\ntoken_file /t\n").unwrap_err();
    assert!(e.contains("no token files"), "{e}");
    let e = parse_cloud_conf(Path::new("c"), "provider hetzner\ntoken_file /t\n", &|_| {
        Ok("sec\u{7}ret\n".into())
    })
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "c:2:12: `token_file`: /t: the token contains spaces or non-printable characters"
    );
    assert!(!e.contains("sec"));
}

#[test]
fn files_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("hb-cloud-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("cloud.conf");
    let tok = dir.join("token");
    std::fs::write(&tok, format!("{TOKEN}\n")).unwrap();
    std::fs::write(&conf, format!("provider digitalocean\ntoken_file {}\n", tok.display()))
        .unwrap();
    let chmod = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    chmod(&tok, 0o600).unwrap();
    chmod(&conf, 0o644).unwrap();
    let e = load_cloud_conf(&conf).unwrap_err().to_string();
    assert!(e.contains("cloud.conf: mode 0644 lets group or others read the API token"), "{e}");
    chmod(&conf, 0o600).unwrap();
    chmod(&tok, 0o640).unwrap();
    let e = load_cloud_conf(&conf).unwrap_err().to_string();
    assert!(e.contains("token: mode 0640"), "{e}");
    chmod(&tok, 0o400).unwrap();
    let c = load_cloud_conf(&conf).unwrap();
    assert_eq!(c.providers[0].token.expose(), TOKEN);
    assert_eq!(c.providers[0].token_file.as_deref(), Some(tok.as_path()));
    std::fs::remove_dir_all(&dir).unwrap();
}
