//! Entry points shared by the fuzz targets (`fuzz/`) and the corpus replay test: each feeds
//! arbitrary bytes to one parser and checks the invariants its result promises. They panic
//! only when an invariant is broken (that is the bug a fuzzer should find).

use std::path::Path;

use crate::authkeys::parse_authkeys;
use crate::hacf::{parse_hacf, HacfOptions};
use crate::haresources::{parse_haresources, ResourceKind};

/// Parses `data` as `ha.cf`; on success checks the timer relations heartbeat enforces.
pub fn hacf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((h, _)) = parse_hacf(Path::new("ha.cf"), text, &HacfOptions::default()) {
        let t = h.timers;
        assert!(t.deadtime > t.keepalive * 2, "deadtime rule broken: {t:?}");
        assert!(t.initdead >= t.deadtime, "initdead rule broken: {t:?}");
        assert!(!t.warntime.is_zero(), "warntime 0");
        assert!(!h.nodes.is_empty() && !h.media.is_empty());
        assert!(h.nodes.iter().all(|n| *n == n.to_ascii_lowercase()));
    }
}

/// Parses `data` as `haresources`; on success checks groups are non-empty and IP specs
/// print back to themselves.
pub fn haresources(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(h) = parse_haresources(Path::new("haresources"), text) {
        for g in &h.groups {
            assert!(!g.resources.is_empty(), "empty group");
            for r in &g.resources {
                if let ResourceKind::IpAddr { spec, .. } = &r.kind {
                    let again = super::haresources::parse_ip_spec_for_fuzz(&spec.to_string());
                    assert_eq!(again.as_ref(), Ok(spec), "IP spec does not round-trip");
                }
            }
        }
    }
}

/// Parses `data` as `authkeys`; on success checks the printed form parses back equal.
pub fn authkeys(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((k, _)) = parse_authkeys(Path::new("authkeys"), text) {
        let again = parse_authkeys(Path::new("authkeys"), &k.to_file_text()).map(|(k, _)| k);
        assert_eq!(again.ok().as_ref(), Some(&k), "authkeys do not round-trip");
    }
}

/// Parses `data` as `cloud.conf` (a `token_file` reads as a fixed token); on success checks
/// every section has a usable token that its `Debug` and `Display` never show.
pub fn cloud_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let read = |_: &Path| Ok("fuzz_token_from_file_0123".to_owned());
    if let Ok(c) = crate::cloud::parse_cloud_conf(Path::new("cloud.conf"), text, &read) {
        assert!(!c.providers.is_empty(), "no provider");
        for p in &c.providers {
            let t = p.token.expose();
            assert!(!t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()), "bad token");
            assert!(!p.api_url.ends_with('/'), "api_url keeps its slash");
            // (Other fields may legitimately repeat the token's text, e.g. in a URL.)
            let shown = format!("{:?} {}", p.token, p.token);
            assert_eq!(shown, "<redacted> <redacted>", "token shown");
        }
    }
}

/// Parses `data` as keepalived.conf (includes not followed); on success checks every kept
/// instance is one keepalived would run and every script has a command.
pub fn keepalived(data: &[u8]) {
    use crate::keepalived::{parse_keepalived_no_include, Auth};
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = parse_keepalived_no_include(Path::new("keepalived.conf"), text) {
        for i in &c.instances {
            assert!(i.vrid >= 1 && i.priority >= 1, "vrid/priority 0: {i:?}");
            assert!(!i.interface.is_empty(), "no interface: {i:?}");
            assert!(matches!(i.version, 2 | 3), "version {}", i.version);
            assert!(!i.advert_int.is_zero(), "advert_int 0");
            if i.version == 2 {
                assert_eq!(i.advert_int.subsec_nanos(), 0, "v2 advert_int not whole seconds");
            }
            if let Some(Auth::Pass(p)) = &i.auth {
                assert!(p.len() <= 8, "auth_pass longer than 8 bytes kept");
            }
        }
        assert!(c.scripts.iter().all(|s| !s.command.argv.is_empty()), "script without command");
        assert!(c.findings.iter().all(|f| f.location.line >= 1), "finding without line");
    }
}

/// Parses `data` as `arbiter.conf`; on success checks the endpoints are URLs, the key layout
/// and the lease TTL's lower bound.
pub fn arbiter_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = crate::arbiter::parse_arbiter_conf(Path::new("arbiter.conf"), text) {
        assert!(!c.endpoints.is_empty(), "no endpoint");
        for e in &c.endpoints {
            assert!(e.starts_with("http://") || e.starts_with("https://"), "endpoint {e:?}");
        }
        assert!(c.prefix.starts_with('/') && !c.prefix.ends_with('/'), "prefix {:?}", c.prefix);
        assert!(!c.cluster.is_empty() && !c.cluster.contains('/'), "cluster {:?}", c.cluster);
        let ttl = c.lease_ttl_for(std::time::Duration::ZERO);
        assert!(ttl >= crate::arbiter::MIN_LEASE_TTL && ttl.subsec_nanos() == 0, "ttl {ttl:?}");
        assert!(c.cert_file.is_some() == c.key_file.is_some(), "cert without key");
    }
}
