//! The shared health-check runner against real programs and loopback servers (no root needed,
//! except the `run_as` case which checks for it).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hb_platform::check::{
    CheckEvent, CheckId, CheckKind, CheckRunner, CheckSpec, Health, HttpTarget, ProbeOutcome,
};
use hb_platform::script::{ScriptDirs, DEFAULT_PATH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc::Receiver;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    let root = std::env::temp_dir().join(format!("hb-checks-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("resource.d")).expect("create test dir");
    Dir(root)
}

fn script(path: &Path, body: &str) -> PathBuf {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod script");
    path.to_path_buf()
}

fn runner(root: &Path) -> (CheckRunner, Receiver<CheckEvent>) {
    let dirs = ScriptDirs {
        resource_d: root.join("resource.d"),
        init_d: root.join("init.d"),
        ocf_root: root.join("ocf"),
    };
    CheckRunner::new(dirs, vec![("PATH".into(), DEFAULT_PATH.into())])
}

fn spec(name: &str, kind: CheckKind, interval_ms: u64, timeout_ms: u64) -> CheckSpec {
    let mut s = CheckSpec::new(name, kind);
    s.interval = Duration::from_millis(interval_ms);
    s.timeout = Duration::from_millis(timeout_ms);
    s
}

fn exec(program: PathBuf) -> CheckKind {
    CheckKind::Exec { program, args: vec![] }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Next event, with a generous limit so a broken runner fails instead of hanging.
async fn next(rx: &mut Receiver<CheckEvent>) -> CheckEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no check event within 10 s")
        .expect("runner channel closed")
}

/// Events until one changes the health (at most `limit`).
async fn until_change(rx: &mut Receiver<CheckEvent>, limit: usize) -> (CheckEvent, usize) {
    for seen in 1..=limit {
        let e = next(rx).await;
        if e.changed {
            return (e, seen);
        }
    }
    panic!("no health change within {limit} probes");
}

fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| !r.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn read_pids(path: &Path) -> Vec<i32> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[test]
fn exec_check_falls_after_fall_failures_and_rises_after_rise_passes() {
    let d = dir("fall");
    let flag = d.0.join("down");
    let prog = script(&d.0.join("chk"), &format!("test ! -e {}", flag.display()));
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        let mut s = spec("chk", exec(prog), 20, 1000);
        s.fall = 3;
        s.rise = 2;
        let inst = r.start(CheckId(7), s).unwrap();
        let e = next(&mut rx).await;
        assert_eq!(
            (e.id, e.instance, &e.outcome, e.health),
            (CheckId(7), inst, &ProbeOutcome::Pass, Health::Up)
        );
        assert!(r.is_current(&e));
        fs::write(&flag, "").unwrap();
        let (down, _) = until_change(&mut rx, 50).await;
        assert_eq!(down.health, Health::Down);
        assert!(
            matches!(&down.outcome, ProbeOutcome::Fail(reason) if reason.contains("exit 1")),
            "{down:?}"
        );
        assert_eq!(down.counters.downs, 1);
        assert!(down.counters.failures >= 3, "fall=3 needs three failures: {:?}", down.counters);
        fs::remove_file(&flag).unwrap();
        let (up, _) = until_change(&mut rx, 50).await;
        assert_eq!(up.health, Health::Up);
        assert!(up.counters.passes >= 3);
        let st = r.status(CheckId(7)).unwrap();
        assert_eq!((st.name.as_str(), st.counters.ups), ("chk", 1));
        println!("checked {} probes", st.counters.runs);
    });
}

#[test]
fn hanging_check_is_killed_with_its_group_at_the_timeout_and_counts_as_failed() {
    let d = dir("hang");
    let pids = d.0.join("pids");
    let prog = script(
        &d.0.join("hang"),
        &format!("sleep 30 & echo $! >> {p}; echo $$ >> {p}; sleep 30", p = pids.display()),
    );
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        r.start(CheckId(1), spec("hang", exec(prog), 50, 200)).unwrap();
        let e = next(&mut rx).await;
        assert_eq!(e.outcome, ProbeOutcome::TimedOut);
        assert_eq!(e.health, Health::Down, "fall=1: one hung probe is a failure");
        assert_eq!((e.counters.timeouts, e.counters.failures), (1, 0));
        assert!(e.elapsed >= Duration::from_millis(200) && e.elapsed < Duration::from_secs(5));
        // The overrun (200 ms probe, 50 ms interval) is counted; runs stay one at a time.
        assert_eq!(e.counters.overruns, 1);
        r.stop_all();
    });
    let seen = read_pids(&pids);
    assert!(seen.len() >= 2, "script did not record its pids: {seen:?}");
    std::thread::sleep(Duration::from_millis(200));
    for pid in seen {
        assert!(!alive(pid), "pid {pid} of a timed-out check survived");
    }
}

#[test]
fn runs_of_one_check_never_overlap() {
    let d = dir("overlap");
    let lock = d.0.join("lock");
    let clash = d.0.join("clash");
    let prog = script(
        &d.0.join("slow"),
        &format!(
            "mkdir {l} 2>/dev/null || {{ touch {c}; exit 1; }}; sleep 0.1; rmdir {l}",
            l = lock.display(),
            c = clash.display()
        ),
    );
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        r.start(CheckId(1), spec("slow", exec(prog), 20, 2000)).unwrap();
        let mut last = None;
        for _ in 0..6 {
            last = Some(next(&mut rx).await);
        }
        let e = last.unwrap();
        assert_eq!(e.counters.runs, 6);
        assert_eq!(e.counters.passes, 6, "a run saw another in progress: {:?}", e.counters);
        assert!(e.counters.overruns >= 5, "100 ms runs at a 20 ms interval: {:?}", e.counters);
    });
    assert!(!clash.exists());
}

#[test]
fn stopping_a_check_kills_its_running_probe() {
    let d = dir("stop");
    let pids = d.0.join("pids");
    // A helper in the background: only a process-group kill reaches it.
    let prog = script(
        &d.0.join("hang"),
        &format!("sleep 30 & echo $! >> {p}; echo $$ >> {p}; wait", p = pids.display()),
    );
    rt().block_on(async {
        let (mut r, _rx) = runner(&d.0);
        r.start(CheckId(1), spec("hang", exec(prog), 1000, 60_000)).unwrap();
        for _ in 0..100 {
            if read_pids(&pids).len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(r.stop(CheckId(1)));
        assert!(!r.stop(CheckId(1)), "already stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    let seen = read_pids(&pids);
    assert_eq!(seen.len(), 2);
    for pid in seen {
        assert!(!alive(pid), "pid {pid} of a stopped check's probe still runs");
    }
}

#[test]
fn resource_status_check_uses_heartbeat_text_rules() {
    let d = dir("status");
    let flag = d.0.join("running");
    script(
        &d.0.join("resource.d/websrv"),
        &format!(
            "case $1 in status) if [ -e {f} ]; then echo 'websrv is running'; else echo 'websrv is not running'; fi;; esac",
            f = flag.display()
        ),
    );
    fs::write(&flag, "").unwrap();
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        let kind = CheckKind::Resource("websrv".parse().unwrap());
        r.start(CheckId(1), spec("websrv status", kind, 20, 1000)).unwrap();
        assert_eq!(next(&mut rx).await.outcome, ProbeOutcome::Pass);
        fs::remove_file(&flag).unwrap();
        let (e, _) = until_change(&mut rx, 50).await;
        // Exit 0 but "not running": the text wins, as in heartbeat.
        assert_eq!(e.outcome, ProbeOutcome::Fail("not running".into()));
        let missing = CheckKind::Resource("nosuch".parse().unwrap());
        r.start(CheckId(2), spec("nosuch", missing, 20, 1000)).unwrap();
        loop {
            let e = next(&mut rx).await;
            if e.id == CheckId(2) {
                assert!(
                    matches!(&e.outcome, ProbeOutcome::Fail(m) if m.contains("no resource script")),
                    "{e:?}"
                );
                break;
            }
        }
    });
}

#[test]
fn tcp_check_follows_the_listener() {
    let d = dir("tcp");
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mut r, mut rx) = runner(&d.0);
        let mut s = spec("tcp", CheckKind::Tcp { host: "127.0.0.1".into(), port }, 20, 500);
        s.fall = 2;
        r.start(CheckId(3), s).unwrap();
        assert_eq!(next(&mut rx).await.outcome, ProbeOutcome::Pass);
        drop(listener);
        let (e, seen) = until_change(&mut rx, 50).await;
        assert_eq!(e.health, Health::Down);
        assert!(matches!(&e.outcome, ProbeOutcome::Fail(m) if m.contains("refused")), "{e:?}");
        assert!(seen >= 2, "fall=2 went down after {seen} probes");
    });
}

/// A one-connection-at-a-time HTTP server answering with the status in `code` (0 = accept
/// and never answer).
async fn http_server(listener: TcpListener, code: std::sync::Arc<std::sync::atomic::AtomicU16>) {
    let mut held = Vec::new();
    loop {
        let Ok((mut sock, _)) = listener.accept().await else { return };
        let mut buf = [0u8; 1024];
        let _ = sock.read(&mut buf).await;
        let c = code.load(std::sync::atomic::Ordering::SeqCst);
        if c == 0 {
            held.push(sock);
            continue;
        }
        let _ =
            sock.write_all(format!("HTTP/1.1 {c} X\r\nContent-Length: 0\r\n\r\n").as_bytes()).await;
    }
}

#[test]
fn http_check_wants_the_expected_status_and_times_out_on_silence() {
    use std::sync::atomic::{AtomicU16, Ordering};
    use std::sync::Arc;
    let d = dir("http");
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let code = Arc::new(AtomicU16::new(200));
        tokio::spawn(http_server(listener, Arc::clone(&code)));
        let target = HttpTarget::parse(&format!("http://127.0.0.1:{port}/health"), 200).unwrap();
        let (mut r, mut rx) = runner(&d.0);
        r.start(CheckId(4), spec("http", CheckKind::Http(target), 20, 150)).unwrap();
        assert_eq!(next(&mut rx).await.outcome, ProbeOutcome::Pass);
        code.store(503, Ordering::SeqCst);
        let (e, _) = until_change(&mut rx, 50).await;
        assert_eq!(e.outcome, ProbeOutcome::Fail("status 503, expected 200".into()));
        code.store(200, Ordering::SeqCst);
        let (e, _) = until_change(&mut rx, 50).await;
        assert_eq!(e.health, Health::Up);
        code.store(0, Ordering::SeqCst);
        let (e, _) = until_change(&mut rx, 50).await;
        assert_eq!(e.outcome, ProbeOutcome::TimedOut);
        assert!(e.elapsed >= Duration::from_millis(150));
    });
}

#[test]
fn restart_gives_a_new_instance_and_fresh_counters() {
    let d = dir("restart");
    let prog = script(&d.0.join("ok"), "exit 0");
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        let first = r.start(CheckId(1), spec("ok", exec(prog.clone()), 20, 1000)).unwrap();
        let old = next(&mut rx).await;
        let second = r.start(CheckId(1), spec("ok", exec(prog), 20, 1000)).unwrap();
        assert_ne!(first, second);
        assert!(!r.is_current(&old), "an event of the replaced instance looks current");
        loop {
            let e = next(&mut rx).await;
            if e.instance == second {
                assert_eq!(e.counters.runs, 1);
                assert!(r.is_current(&e));
                break;
            }
        }
        let mut bad = spec("bad", CheckKind::Tcp { host: "h".into(), port: 1 }, 1, 1000);
        assert!(r.start(CheckId(2), bad.clone()).is_err(), "1 ms interval accepted");
        bad.interval = Duration::from_millis(100);
        bad.fall = 0;
        assert!(r.start(CheckId(2), bad).is_err(), "fall 0 accepted");
        assert_eq!(r.ids(), vec![CheckId(1)]);
    });
}

#[test]
fn run_as_switches_user() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: needs root to switch user");
        return;
    }
    let d = dir("user");
    fs::set_permissions(&d.0, fs::Permissions::from_mode(0o755)).unwrap();
    let prog = script(&d.0.join("who"), "test \"$(id -u)\" = 65534");
    rt().block_on(async {
        let (mut r, mut rx) = runner(&d.0);
        let mut s = spec("who", exec(prog.clone()), 50, 1000);
        s.run_as = Some((65534, 65534));
        r.start(CheckId(1), s).unwrap();
        assert_eq!(next(&mut rx).await.outcome, ProbeOutcome::Pass);
        r.start(CheckId(2), spec("who-root", exec(prog), 50, 1000)).unwrap();
        loop {
            let e = next(&mut rx).await;
            if e.id == CheckId(2) {
                assert!(!e.outcome.passed(), "root ran as 65534?");
                break;
            }
        }
    });
}
