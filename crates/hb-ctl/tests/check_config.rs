//! `hbctl check-config` on every shared example and on broken variants: exit status, the
//! effective settings on stdout, warnings and `file:line:column: message` errors on stderr.

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use hb_config::haresources::parse_haresources;
use hb_config::ResourceKind;

fn shared() -> PathBuf {
    std::env::var_os("HB_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// A temporary copy of an example as an /etc/ha.d: authkeys 0600, a stub in `resource.d/`
/// for every script its haresources names (unless the example ships its own `init.d/`).
struct Staged {
    dir: PathBuf,
    init_d: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Staged {
    fn new(name: &str, stubs: bool) -> Staged {
        let src = shared().join("examples").join(name);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("hbctl-check-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("resource.d")).unwrap();
        for f in ["ha.cf", "haresources", "authkeys"] {
            std::fs::write(dir.join(f), std::fs::read(src.join(f)).unwrap()).unwrap();
        }
        chmod(&dir.join("authkeys"), 0o600);
        let init_d =
            if src.join("init.d").is_dir() { src.join("init.d") } else { dir.join("init.d") };
        std::fs::create_dir_all(&init_d).unwrap();
        if stubs && !src.join("init.d").is_dir() {
            let text = std::fs::read_to_string(src.join("haresources")).unwrap();
            let hr = parse_haresources(Path::new("haresources"), &text).unwrap();
            for r in hr.groups.iter().flat_map(|g| &g.resources) {
                if let ResourceKind::Script { name, .. } = &r.kind {
                    let p = dir.join("resource.d").join(name);
                    std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
                    chmod(&p, 0o755);
                }
            }
        }
        Staged { dir, init_d }
    }

    fn run(&self, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hbctl"))
            .arg("check-config")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--init-d")
            .arg(&self.init_d)
            .arg("--ocf-root")
            .arg(self.dir.join("ocf"))
            .args(extra)
            .output()
            .unwrap()
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let p = self.dir.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from));
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_example_passes_and_prints_settings() {
    let mut names: Vec<String> = std::fs::read_dir(shared().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6);
    for name in &names {
        let s = Staged::new(name, true);
        let o = s.run(&[]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let out = stdout(&o);
        for key in [
            "node ",
            "keepalive ",
            "deadtime ",
            "warntime ",
            "initdead ",
            "auto_failback ",
            "auth ",
            "group ",
        ] {
            assert!(out.lines().any(|l| l.starts_with(key)), "{name}: no `{key}` line in\n{out}");
        }
        assert!(!out.contains("[not checked]"), "{name}");
    }
}

#[test]
fn derived_defaults_are_printed() {
    let s = Staged::new("do-reserved-ip", true);
    let o = s.run(&[]);
    let out = stdout(&o);
    for line in [
        "node primary",
        "node secondary",
        "keepalive 1",
        "deadtime 30",
        "warntime 15",
        "initdead 30",
        "deadping 30",
        "ucast eth0 104.236.6.11 port=694",
        "auto_failback legacy",
        "use_logd yes",
        "apiauth ipfail uid=hacluster  # built-in default",
        "auth 1",
        "key 1 sha1 (secret not shown)",
    ] {
        assert!(out.lines().any(|l| l == line), "missing `{line}` in\n{out}");
    }
    assert!(!out.contains("d1e6557e"), "secret printed");
    let floatip = shared().join("examples/do-reserved-ip/init.d/floatip");
    assert!(out.contains(&format!("group primary floatip[{}]", floatip.display())), "{out}");
    assert!(stderr(&o).contains("ha.cf:5:1: warning: auto_failback legacy"), "{}", stderr(&o));
}

#[test]
fn tutorial_warns_about_udp() {
    let s = Staged::new("tutorial-apache-serial", true);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).lines().any(|l| l == "bcast eth1 port=694"));
    assert!(stdout(&o).lines().any(|l| l == "serial /dev/ttyS0 baud=19200"));
    let err = stderr(&o);
    let want = format!(
        "{}:8:1: warning: `udp` is the pre-2.0 name of `bcast`",
        s.dir.join("ha.cf").display()
    );
    assert!(err.contains(&want), "{err}");
}

#[test]
fn broken_variants_exit_1_with_location() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("cookbook-puppet", "ha.cf", "deadtime 10", "deadtime 2", "ha.cf:5:1: deadtime (2 s) must be greater than twice keepalive (2 × 1 s); expected deadtime above 2 s"),
        ("mysql-pair-mcast", "haresources", "mysql-backup IPaddr", "mysql-slave IPaddr", "haresources:2:1: preferred node `mysql-slave` is not a node of ha.cf; expected one of: mysql-master, mysql-backup"),
        ("drbd-nfs", "ha.cf", "crm     no", "crm     yes", "ha.cf:16:9: `crm yes` asks for Pacemaker (CRM) mode; heartbeat-rs supports only v1 mode (haresources): use `crm no` or remove the line"),
        ("mysql-pair-web", "authkeys", "auth 1", "auth 2", "authkeys:1:1: auth 2: key 2 is not defined; expected a line `2 METHOD [KEY]`"),
    ];
    for (name, file, from, to, want) in cases {
        let s = Staged::new(name, true);
        s.edit(file, from, to);
        let o = s.run(&[]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert_eq!(stderr(&o), format!("{}/{want}\n", s.dir.display()), "{name}");
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn missing_script_fails_unless_syntax_only() {
    let s = Staged::new("drbd-nfs", false);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let want = format!(
        "{}/haresources:1:36: unknown resource script `drbddisk`: not found in {} or {}",
        s.dir.display(),
        s.dir.join("resource.d").display(),
        s.init_d.display()
    );
    assert!(stderr(&o).starts_with(&want), "{}", stderr(&o));
    let o = s.run(&["--syntax-only"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("drbddisk::data[not checked]"));
}

#[test]
fn world_readable_authkeys_is_refused() {
    let s = Staged::new("cookbook-puppet", true);
    chmod(&s.dir.join("authkeys"), 0o644);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let p = s.dir.join("authkeys");
    assert_eq!(
        stderr(&o),
        format!("{}: mode 0644 lets group or others access the keys; run `chmod 600 {}` (heartbeat refuses such a file)\n", p.display(), p.display())
    );
}

/// The seed's DigitalOcean pair with the `floatip` script replaced by the built-in resource:
/// `cloud.conf` and its token file are checked (mode 0600) and shown without the token.
#[test]
fn reserved_ip_needs_a_private_cloud_conf() {
    const TOKEN: &str = "dop_v1_check_config_secret";
    let s = Staged::new("do-reserved-ip", true);
    s.edit("haresources", "primary floatip", "primary ReservedIP::45.55.96.8");
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("haresources:1:9: ReservedIP::45.55.96.8 needs"), "{}", stderr(&o));
    let token = s.dir.join("do-token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    chmod(&token, 0o600);
    let conf = s.dir.join("cloud.conf");
    std::fs::write(&conf, format!("provider digitalocean\ntoken_file {}\n", token.display()))
        .unwrap();
    chmod(&conf, 0o644);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cloud.conf: mode 0644 lets group or others read the API token"));
    chmod(&conf, 0o600);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("group primary ReservedIP::45.55.96.8[built-in]"), "{out}");
    let line = out.lines().find(|l| l.starts_with("cloud digitalocean")).unwrap();
    assert!(line.contains("api_url=https://api.digitalocean.com"), "{line}");
    assert!(line.contains("instance_id=(metadata service)"), "{line}");
    assert!(line.contains("verify_interval=30 "), "{line}");
    assert!(!out.contains(TOKEN) && !stderr(&o).contains(TOKEN));
    s.edit("haresources", "45.55.96.8", "45.55.96.8::provider=hetzner");
    let o = s.run(&[]);
    assert!(stderr(&o).contains("provider `hetzner` is not configured in"), "{}", stderr(&o));
    std::fs::write(&conf, "provider digitalocean\ntoken a\nretries x\n").unwrap();
    let o = s.run(&[]);
    assert!(stderr(&o).contains("cloud.conf:3:9: `retries`: expected 0–20"), "{}", stderr(&o));
}

#[test]
fn monitors_file_is_checked_and_printed() {
    let s = Staged::new("mysql-pair-web", true);
    // Without the file: no monitor lines at all (behaviour as heartbeat 3.0.6).
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("monitor "), "{}", stdout(&o));
    std::fs::write(
        s.dir.join("monitors"),
        "# checks\nhttpd status interval=200ms timeout=150ms fall=2\n\
         httpd http://172.16.1.164/ expect=200\n\
         group IPaddr::172.16.1.164/24/eth0 restarts=3 window=5min\n",
    )
    .unwrap();
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        "monitor httpd status interval=200ms timeout=150ms fall=2 rise=1 delay=0",
        "monitor httpd http://172.16.1.164/ expect=200 interval=2 timeout=5 fall=1 rise=1 delay=0",
        "policy IPaddr::172.16.1.164/24/eth0 restarts=3 window=300",
    ] {
        assert!(out.lines().any(|l| l == line), "no `{line}` in\n{out}");
    }
    s.edit("monitors", "fall=2", "fall=two");
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let monitors = s.dir.join("monitors");
    assert_eq!(
        stderr(&o).trim(),
        format!("{}:2:43: expected a whole number from 1 to 1000, found `two`", monitors.display())
    );
    std::fs::write(&monitors, "nginx status\n").unwrap();
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with(&format!("{}:1:1: no resource `nginx`", monitors.display())));
    std::fs::write(&monitors, "httpd exec:/nonexistent/chk\n").unwrap();
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not an executable file"), "{}", stderr(&o));
    let o = s.run(&["--syntax-only"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `arbiter.conf` (the etcd lease arbiter) is optional, refused unless 0600, checked with
/// file:line:column errors, and shown with its derived lease TTL and grace.
#[test]
fn arbiter_conf_is_checked_and_printed() {
    let s = Staged::new("mysql-pair-web", true);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("arbiter"), "no file, no arbiter");
    let conf = s.dir.join("arbiter.conf");
    std::fs::write(&conf, "endpoints 10.99.1.1:2379 10.99.1.2:2379\nunreachable release\n")
        .unwrap();
    chmod(&conf, 0o640);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("arbiter.conf: mode 0640 lets group or others"), "{}", stderr(&o));
    chmod(&conf, 0o600);
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("arbiter etcd")).unwrap();
    assert!(
        line.contains("endpoints=http://10.99.1.1:2379,http://10.99.1.2:2379 tls=no"),
        "{line}"
    );
    assert!(line.contains("keys=/heartbeat-rs/default/groups/*"), "{line}");
    assert!(line.contains("unreachable=release grace="), "{line}");
    std::fs::write(&conf, "endpoints 10.99.1.1:2379\nlease_ttl 1\n").unwrap();
    let o = s.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("arbiter.conf:2:11: `lease_ttl`: expected at least 2 s"),
        "{}",
        stderr(&o)
    );
}
