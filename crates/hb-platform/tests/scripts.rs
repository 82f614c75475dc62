//! Resource script runner against real shell scripts (no root needed).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hb_platform::logging::LogTargets;
use hb_platform::script::{
    heartbeat_env, Action, ResourceRef, ResourceStatus, RunOptions, ScriptDirs, ScriptOutcome,
    ScriptRunner,
};
use hb_platform::PlatformError;

struct Fixture {
    root: PathBuf,
    runner: ScriptRunner,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn write_script(path: &Path, body: &str) {
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let _ = fs::write(path, format!("#!/bin/sh\n{body}\n"));
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o755));
}

fn fixture(tag: &str, timeout: Duration) -> Fixture {
    let root = std::env::temp_dir().join(format!("hb-scripts-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let dirs = ScriptDirs {
        resource_d: root.join("resource.d"),
        init_d: root.join("init.d"),
        ocf_root: root.join("ocf"),
    };
    let _ = fs::create_dir_all(&dirs.resource_d);
    let _ = fs::create_dir_all(&dirs.init_d);
    let log = LogTargets::default();
    let mut env =
        heartbeat_env("n1", Path::new("/etc/ha.d"), &log, &[("HA_udpport".into(), "694".into())]);
    env.push(("FIXTURE".into(), root.display().to_string()));
    let runner = ScriptRunner::new(dirs, RunOptions { timeout, output_limit: 256, env });
    Fixture { root, runner }
}

fn res(s: &str) -> ResourceRef {
    s.parse().unwrap_or_else(|e: PlatformError| panic!("{s}: {e}"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Alive = exists and is not a zombie.
fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| !r.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn read_pid(path: &Path) -> i32 {
    for _ in 0..100 {
        if let Some(p) = fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()) {
            return p;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no pid in {}", path.display())
}

#[test]
fn success_passes_args_action_and_heartbeat_env() {
    let f = fixture("ok", Duration::from_secs(5));
    write_script(
        &f.root.join("resource.d/Echoer"),
        r#"echo "args=$* host=$HA_CURHOST dir=$HA_DIR port=$HA_udpport funcs=$HA_FUNCS path=$PATH home=${HOME:-unset}""#,
    );
    let out = rt().block_on(f.runner.run(&res("Echoer::a::b"), Action::Start));
    match out {
        Ok(ScriptOutcome::Ok { output }) => {
            assert!(
                output.contains(
                    "args=a b start host=n1 dir=/etc/ha.d port=694 funcs=/etc/ha.d/shellfuncs"
                ),
                "{output}"
            );
            assert!(output.contains("path=/usr/local/sbin:"), "{output}");
            // Nothing else is inherited from the daemon's environment.
            assert!(output.contains("home=unset"), "{output}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn failure_reports_code_and_bounded_output_tail() {
    let f = fixture("fail", Duration::from_secs(5));
    write_script(
        &f.root.join("resource.d/Fails"),
        "i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done; echo boom >&2; exit 3",
    );
    match rt().block_on(f.runner.run(&res("Fails"), Action::Stop)) {
        Ok(ScriptOutcome::Failed { code: Some(3), signal: None, output_tail }) => {
            assert!(output_tail.len() <= 256);
            assert!(output_tail.ends_with("boom\n"), "{output_tail}");
            assert!(!output_tail.contains("line1\n"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let f = fixture("hang", Duration::from_millis(300));
    let pidfile = f.root.join("grandchild.pid");
    write_script(
        &f.root.join("resource.d/Hangs"),
        r#"sh -c 'sleep 60 & echo $! > "$1"; wait' x "$1" &
sleep 60"#,
    );
    let started = Instant::now();
    let out =
        rt().block_on(f.runner.run(&res(&format!("Hangs::{}", pidfile.display())), Action::Start));
    assert!(matches!(out, Ok(ScriptOutcome::TimedOut { .. })), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let grandchild = read_pid(&pidfile);
    for _ in 0..50 {
        if !alive(grandchild) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(grandchild), "grandchild {grandchild} survived the timeout");
}

#[test]
fn a_daemon_left_running_does_not_block_the_run() {
    let f = fixture("daemon", Duration::from_secs(10));
    let pidfile = f.root.join("daemon.pid");
    write_script(
        &f.root.join("init.d/Daemon"),
        r#"case "$1" in start) sleep 30 & echo $! > "$FIXTURE/daemon.pid"; echo started;; status) echo "Daemon is running";; esac"#,
    );
    let started = Instant::now();
    let out = rt().block_on(f.runner.run(&res("Daemon"), Action::Start));
    assert!(
        matches!(&out, Ok(ScriptOutcome::Ok { output }) if output.contains("started")),
        "{out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let daemon = read_pid(&pidfile);
    assert!(alive(daemon), "a successful start must not kill what it started");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    );
    // init.d is the fallback directory; status text decides.
    assert_eq!(rt().block_on(f.runner.status(&res("Daemon"))).ok(), Some(ResourceStatus::Running));
}

#[test]
fn status_text_and_missing_scripts() {
    let f = fixture("status", Duration::from_secs(5));
    write_script(&f.root.join("resource.d/Down"), r#"echo "Down is not running"; exit 0"#);
    write_script(&f.root.join("resource.d/Lsb3"), "exit 3");
    let r = rt();
    assert_eq!(r.block_on(f.runner.status(&res("Down"))).ok(), Some(ResourceStatus::Stopped));
    assert_eq!(r.block_on(f.runner.status(&res("Lsb3"))).ok(), Some(ResourceStatus::Stopped));
    assert!(matches!(
        r.block_on(f.runner.run(&res("Nope"), Action::Start)),
        Err(PlatformError::ScriptNotFound { .. })
    ));
}

#[test]
fn ocf_agent_gets_ocf_env_and_codes_map() {
    let f = fixture("ocf", Duration::from_secs(5));
    write_script(
        &f.root.join("ocf/resource.d/heartbeat/Dummy"),
        r#"echo "root=$OCF_ROOT ip=$OCF_RESKEY_ip type=$OCF_RESOURCE_TYPE action=$1"
case "$1" in start) exit 0;; monitor) exit 7;; *) exit 1;; esac"#,
    );
    let dummy = res("ocf:heartbeat:Dummy::ip=10.99.0.5");
    let r = rt();
    match r.block_on(f.runner.run(&dummy, Action::Start)) {
        Ok(ScriptOutcome::Ok { output }) => {
            let root = f.root.join("ocf");
            assert_eq!(
                output.trim(),
                format!("root={} ip=10.99.0.5 type=Dummy action=start", root.display())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.block_on(f.runner.status(&dummy)).ok(), Some(ResourceStatus::Stopped));
    assert!(matches!(
        r.block_on(f.runner.run(&dummy, Action::Stop)),
        Ok(ScriptOutcome::Failed { code: Some(1), .. })
    ));
}
