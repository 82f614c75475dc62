//! Loads every real-world `/etc/ha.d` under `shared/examples/` (see its README.md) and broken
//! variants of them, asserting the exact `file:line:column: message` of each error.

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hb_config::haresources::{parse_haresources, ScriptPath};
use hb_config::{
    AutoFailback, Config, ConfigError, LoadOptions, Medium, ResourceKind, ScriptRoots,
};

fn shared() -> PathBuf {
    std::env::var_os("HB_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn example(name: &str) -> PathBuf {
    shared().join("examples").join(name)
}

/// A copy of an example in a temporary directory, `authkeys` mode 0600, and resource roots
/// holding an executable stub for every script its haresources names (or the example's own
/// `init.d/` when it has one). `edit` may change the files before loading.
struct Staged {
    dir: tempfile::TempDir,
    opts: LoadOptions,
}

impl Staged {
    fn new(name: &str) -> Staged {
        let src = example(name);
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["ha.cf", "haresources", "authkeys"] {
            let text = std::fs::read(src.join(f)).expect("example file");
            std::fs::write(dir.path().join(f), text).expect("copy");
        }
        chmod(&dir.path().join("authkeys"), 0o600);
        let resource_d = dir.path().join("resource.d");
        std::fs::create_dir(&resource_d).expect("mkdir");
        let own_init_d = src.join("init.d");
        let init_d = if own_init_d.is_dir() { own_init_d } else { dir.path().join("init.d") };
        if !init_d.is_dir() {
            std::fs::create_dir(&init_d).expect("mkdir");
            let text = std::fs::read_to_string(src.join("haresources")).expect("haresources");
            let hr = parse_haresources(Path::new("haresources"), &text).expect("example syntax");
            for r in hr.groups.iter().flat_map(|g| &g.resources) {
                if let ResourceKind::Script { name, .. } = &r.kind {
                    stub(&resource_d.join(name));
                }
            }
        }
        let mut opts = LoadOptions::for_dir(dir.path());
        opts.roots = ScriptRoots { resource_d, init_d, ocf: dir.path().join("ocf") };
        opts.default_udp_port = Some(694);
        Staged { dir, opts }
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    fn replace(&self, f: &str, from: &str, to: &str) -> &Self {
        let p = self.path(f);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{f} lacks {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
        self
    }

    fn load(&self) -> Result<Config, ConfigError> {
        Config::load_with(&self.opts)
    }

    fn error(&self) -> String {
        match self.load() {
            Ok(_) => panic!("broken variant accepted in {}", self.dir.path().display()),
            Err(e) => e.to_string(),
        }
    }

    /// The message of an error in file `f`, with the temporary directory replaced by `f`'s name.
    fn error_in(&self, f: &str) -> String {
        let prefix = format!("{}:", self.path(f).display());
        let e = self.error();
        match e.strip_prefix(&prefix) {
            Some(rest) => format!("{f}:{rest}"),
            None => panic!("error not in {f}: {e}"),
        }
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn stub(p: &Path) {
    std::fs::write(p, "#!/bin/sh\nexit 0\n").expect("stub");
    chmod(p, 0o755);
}

fn load(name: &str) -> Config {
    match Staged::new(name).load() {
        Ok(c) => c,
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn every_example_folder_loads() {
    let mut names: Vec<String> = std::fs::read_dir(shared().join("examples"))
        .expect("examples dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let c = load(name);
        assert!(!c.haresources.groups.is_empty(), "{name}");
        for r in c.haresources.groups.iter().flat_map(|g| &g.resources) {
            assert_ne!(r.script, ScriptPath::Unchecked, "{name}: {}", r.spec);
        }
    }
}

#[test]
fn cookbook_puppet() {
    let c = load("cookbook-puppet");
    assert_eq!(c.hacf.nodes, vec!["cookbook", "cookbook2"]);
    assert_eq!(c.hacf.media.len(), 2, "both ucast lines kept; the daemon skips its own address");
    assert_eq!(c.hacf.timers.warntime, Duration::from_secs(5));
    assert_eq!(c.hacf.timers.initdead, Duration::from_secs(20), "deadtime 10 → 2 × deadtime");
    assert_eq!(c.hacf.auto_failback, AutoFailback::On);
    assert!(c.hacf.logging.use_logd);
    let g = &c.haresources.groups[0];
    match &g.resources[0].kind {
        ResourceKind::IpAddr { spec, .. } => {
            assert_eq!(spec.address, std::net::IpAddr::from(Ipv4Addr::new(10, 0, 2, 100)));
            assert_eq!(spec.prefix, Some(24));
            assert_eq!(spec.interface.as_deref(), Some("eth0:1"));
        }
        k => panic!("{k:?}"),
    }
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn tutorial_apache_serial_udp_is_bcast() {
    let s = Staged::new("tutorial-apache-serial");
    let c = s.load().expect("loads");
    assert_eq!(
        c.hacf.media,
        vec![
            Medium::Serial { device: "/dev/ttyS0".into(), baud: 19200 },
            Medium::Bcast { interface: "eth1".into(), port: 694 },
        ]
    );
    assert_eq!(c.hacf.timers.deadtime, Duration::from_secs(5));
    assert_eq!(c.hacf.timers.initdead, Duration::from_secs(30));
    let w: Vec<String> = c.warnings.iter().map(|w| w.message.clone()).collect();
    assert!(w.iter().any(|m| m.starts_with("`udp` is the pre-2.0 name of `bcast`")), "{w:?}");
    let g = &c.haresources.groups[0];
    assert_eq!(g.key(), "192.168.2.3");
    assert_eq!(g.resources[1].script, ScriptPath::Found(s.opts.roots.resource_d.join("httpd")));
}

#[test]
fn do_reserved_ip_uses_code_defaults_and_own_init_d() {
    let c = load("do-reserved-ip");
    assert_eq!(c.hacf.nodes, vec!["primary", "secondary"]);
    assert_eq!(c.hacf.timers, hb_config::Timers::default());
    assert_eq!(c.hacf.auto_failback, AutoFailback::Legacy);
    let script = &c.haresources.groups[0].resources[0].script;
    assert_eq!(script, &ScriptPath::Found(example("do-reserved-ip").join("init.d/floatip")));
}

#[test]
fn mysql_pair_mcast_two_groups() {
    let c = load("mysql-pair-mcast");
    assert_eq!(
        c.hacf.media,
        vec![Medium::Mcast {
            interface: "eth2".into(),
            group: Ipv4Addr::new(225, 0, 0, 64),
            port: 694,
            ttl: 1,
            loopback: false
        }]
    );
    let prefs: Vec<&str> = c.haresources.groups.iter().map(|g| g.preferred_node.as_str()).collect();
    assert_eq!(prefs, vec!["mysql-master", "mysql-backup"]);
    assert_eq!(c.hacf.logging.facility.as_deref(), Some("local1"));
    assert!(!c.hacf.logging.use_logd);
}

#[test]
fn mysql_pair_web_skips_commented_line() {
    let c = load("mysql-pair-web");
    assert_eq!(c.haresources.groups.len(), 2);
    assert_eq!(c.haresources.groups[1].location.line, 3);
}

#[test]
fn drbd_nfs_missing_scripts_are_named_and_syntax_only_passes() {
    let s = Staged::new("drbd-nfs");
    let c = s.load().expect("stubs present");
    assert_eq!(c.haresources.groups[0].resources.len(), 4);
    std::fs::remove_file(s.opts.roots.resource_d.join("drbddisk")).expect("rm");
    let e = s.error_in("haresources");
    assert_eq!(
        e,
        format!(
            "haresources:1:36: unknown resource script `drbddisk`: not found in {} or {}; expected a script there, IPaddr/IPaddr2, MailTo, or an ocf:PROVIDER:AGENT",
            s.opts.roots.resource_d.display(),
            s.opts.roots.init_d.display()
        )
    );
    let mut opts = s.opts.clone();
    opts.check_scripts = false;
    assert!(Config::load_with(&opts).is_ok());
}

#[test]
fn authkeys_from_a_checkout_is_refused_until_chmod() {
    let s = Staged::new("cookbook-puppet");
    chmod(&s.path("authkeys"), 0o644);
    let e = s.load().expect_err("0644 refused");
    assert!(matches!(e, ConfigError::AuthkeysPermissions { mode: 0o644, .. }));
    let p = s.path("authkeys");
    assert_eq!(
        e.to_string(),
        format!("{}: mode 0644 lets group or others access the keys; run `chmod 600 {}` (heartbeat refuses such a file)", p.display(), p.display())
    );
    chmod(&p, 0o600);
    assert!(s.load().is_ok());
}

#[test]
fn broken_variants_name_file_line_column() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("cookbook-puppet", "ha.cf", "deadtime 10", "deadtime 2", "ha.cf:5:1: deadtime (2 s) must be greater than twice keepalive (2 × 1 s); expected deadtime above 2 s"),
        ("cookbook-puppet", "ha.cf", "ucast eth0 10.0.2.16", "ucast eth0 10.0.2.300", "ha.cf:3:12: invalid peer `10.0.2.300`; expected an IP address or host name"),
        ("cookbook-puppet", "haresources", "/24/", "/40/", "haresources:1:29: invalid prefix length `40`; expected 0–32"),
        ("mysql-pair-mcast", "haresources", "mysql-master", "mysql-mastr", "haresources:1:1: preferred node `mysql-mastr` is not a node of ha.cf; expected one of: mysql-master, mysql-backup"),
        ("mysql-pair-mcast", "ha.cf", "crm     no", "crm     respawn", "ha.cf:16:9: `crm respawn` asks for Pacemaker (CRM) mode; heartbeat-rs supports only v1 mode (haresources): use `crm no` or remove the line"),
        ("mysql-pair-web", "ha.cf", "225.0.0.64 694 1 0", "225.0.0.64 694 9 0", "ha.cf:11:27: invalid value `9`; expected a TTL 0–4 (heartbeat's mcast plugin limit)"),
        ("mysql-pair-web", "ha.cf", "initdead 60", "initdead 20", "ha.cf:8:1: initdead (20 s) is smaller than deadtime (30 s); expected initdead ≥ deadtime"),
        ("drbd-nfs", "ha.cf", "logfacility     local1", "logfacility     local9", "ha.cf:3:17: invalid logfacility `local9`; expected a syslog facility such as daemon, local0…local7, or none"),
        ("tutorial-apache-serial", "ha.cf", "udpport 694", "udpprt 694", "ha.cf:9:1: unknown directive `udpprt`; expected an ha.cf directive such as node, keepalive, deadtime, bcast, ucast, mcast, auto_failback (see ha.cf(5))"),
        ("tutorial-apache-serial", "ha.cf", "keepalive 1", "keepalive 1x", "ha.cf:6:11: invalid time value `1x`; expected seconds (`2`, `1.5`) or a number with `ms` or `us` (`1500ms`)"),
        ("do-reserved-ip", "authkeys", "1 sha1 d1e6557e2fcb30ff8d4d3ae65b50345fa46a2faa", "1 sha256 d1e6557e2fcb30ff8d4d3ae65b50345fa46a2faa", "authkeys:2:3: unknown method `sha256`; expected crc, md5 or sha1"),
        ("do-reserved-ip", "authkeys", "1 sha1 d1e6557e2fcb30ff8d4d3ae65b50345fa46a2faa", "1 sha1", "authkeys:2:7: method sha1 requires a key; expected `1 sha1 KEY`"),
        ("do-reserved-ip", "haresources", "primary floatip", "primary floatip 10.0.0.1/24/eth0/x", "haresources:1:34: invalid broadcast address `x`; expected IP[/prefix[/interface[/broadcast]]] with an IPv4 address"),
    ];
    for (name, file, from, to, want) in cases {
        let s = Staged::new(name);
        s.replace(file, from, to);
        assert_eq!(s.error_in(file), *want, "{name}: {from} → {to}");
    }
}

#[test]
fn no_medium_is_reported_at_end_of_file() {
    let s = Staged::new("do-reserved-ip");
    s.replace("ha.cf", "ucast eth0 104.236.6.11", "#ucast eth0 104.236.6.11");
    s.replace("ha.cf", "\nucast eth0 104.236.6.22", "\n#ucast eth0 104.236.6.22");
    // Four lines and a final newline: the end of the file is line 5.
    assert_eq!(
        s.error_in("ha.cf"),
        "ha.cf:5:1: no heartbeat medium; expected at least one bcast, mcast, mcast6, ucast, ucast6 or serial line"
    );
}
