//! The operator tools against a live two-node cluster of real `heartbeat` binaries: the legacy
//! `cl_status`, `hb_standby` and `hb_takeover` (the `hbctl` binary started through symlinks of
//! those names), compared with what heartbeat 3.0.6 prints in the same state
//! (`shared/reference/CL_STATUS-OBSERVED.md`, `shared/captures/capture-notes.log`); `hbctl
//! status --json`, `hbctl events` and `hb_standby --wait`; and ha.cf `apiauth`.
//!
//! Root only ("skipped: needs root" otherwise). The tools are found as `hbctl` next to the
//! `heartbeat` binary (`cargo test --workspace` builds both there) or at `$HBCTL_BIN`; when
//! neither exists the tests say "skipped: hbctl not built …" and pass, rather than run cargo
//! from inside a test (which would wait on the build lock of the cargo that runs the test).

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

const KEYS: &str = "auth 1\n1 sha1 tools-secret\n";

/// `ucast` both ways, as in the captures (each node skips the line naming itself).
fn hacf(net: &Testnet, extra: &str) -> String {
    format!(
        "logfile {{dir}}/ha-log\nkeepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 2\n\
         udpport 694\nucast eth0 {}\nucast eth0 {}\nauto_failback on\nnode n1\nnode n2\n{extra}",
        net.node(0).ip,
        net.node(1).ip
    )
}

/// Says why a test does nothing, past libtest's capture (as `skip_or` does).
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

fn hbctl_binary() -> Option<PathBuf> {
    let path = std::env::var_os("HBCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_BIN_EXE_heartbeat")).with_file_name("hbctl"));
    if path.is_file() {
        Some(path)
    } else {
        skip(&format!(
            "hbctl not built at {} (run `cargo build -p hb-ctl` or `cargo test --workspace`, \
             or set HBCTL_BIN)",
            path.display()
        ));
        None
    }
}

/// A cluster plus a directory of `cl_status` / `hb_standby` / `hb_takeover` symlinks.
struct Setup {
    c: Cluster,
    hbctl: PathBuf,
    links: tempfile::TempDir,
    vip: Ipv4Addr,
}

fn setup(extra_hacf: &str) -> Option<Setup> {
    let hbctl = hbctl_binary()?;
    let net = skip_or(Testnet::new(2))?;
    let vip = net.addr(50);
    let spec = ClusterSpec {
        hacf: hacf(&net, extra_hacf),
        haresources: format!("n1 IPaddr::{vip}/24/eth0\n"),
        authkeys: KEYS.into(),
        scripts: vec![],
    };
    let c = Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster");
    let links = tempfile::tempdir().expect("temp dir");
    // Other users run the tools through these links too (the apiauth test).
    std::fs::set_permissions(links.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    for name in ["cl_status", "hb_standby", "hb_takeover"] {
        std::os::unix::fs::symlink(&hbctl, links.path().join(name)).expect("symlink");
    }
    Some(Setup { c, hbctl, links, vip })
}

/// What one tool run printed. `stderr` has cl_log's `date host cl_status: [pid]: ` prefix
/// removed from each line that carries it (checked for shape), so it compares as text.
#[derive(Debug)]
struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Setup {
    /// Runs a legacy tool (by its symlink) against node `i`'s socket.
    fn tool(&self, name: &str, i: usize, args: &[&str]) -> Run {
        self.run(&self.links.path().join(name), i, args, None)
    }

    /// Runs `hbctl` against node `i`'s socket.
    fn hbctl(&self, i: usize, args: &[&str]) -> Run {
        self.run(&self.hbctl, i, args, None)
    }

    fn run(&self, program: &Path, i: usize, args: &[&str], as_user: Option<&str>) -> Run {
        let mut cmd = match as_user {
            Some(user) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={user}"),
                    &format!("--regid={}", group_of(user)),
                    "--clear-groups",
                    "--",
                ]);
                c.arg(program);
                c
            }
            None => Command::new(program),
        };
        let out = cmd
            .args(args)
            .env("HB_API_SOCKET", self.c.api_socket(i))
            .stdin(Stdio::null())
            .output()
            .expect("run tool");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: strip_log_prefix(&String::from_utf8_lossy(&out.stderr)),
            code: out.status.code().unwrap_or(-1),
        }
    }

    fn wait_owner(&self, node: usize, limit: Duration) -> Duration {
        let mac = self.c.mac(node).expect("mac");
        let vip = self.vip;
        self.c
            .wait_until(limit, |c| {
                c.vip_mac(vip).as_deref() == Some(mac.as_str())
                    && c.holders(vip).map(|h| h == [node]).unwrap_or(false)
            })
            .unwrap_or_else(|| {
                panic!(
                    "VIP {vip} not answered by n{} alone within {limit:?}; holders {:?}\n\
                     --- n1\n{}\n--- n2\n{}",
                    node + 1,
                    self.c.holders(vip),
                    self.c.stderr_log(0),
                    self.c.stderr_log(1)
                )
            })
    }

    /// Waits until `cl_status rscstatus` on node `i` prints `want` (the hand-off has settled).
    fn wait_rscstatus(&self, i: usize, want: &str, limit: Duration) {
        let want = format!("{want}\n");
        if self
            .c
            .wait_until(limit, |_| self.tool("cl_status", i, &["rscstatus"]).stdout == want)
            .is_none()
        {
            panic!(
                "n{} rscstatus is {:?}, not {want:?}, after {limit:?}",
                i + 1,
                self.tool("cl_status", i, &["rscstatus"]).stdout
            );
        }
    }

    /// Runs every case on node `i` and collects the mismatches into `failures`.
    fn compare(&self, state: &str, i: usize, cases: &[Case], failures: &mut String) {
        for case in cases {
            let args: Vec<&str> = case.args.split_whitespace().collect();
            let got = self.tool("cl_status", i, &args);
            if got.stdout != case.stdout || got.stderr != case.stderr || got.code != case.code {
                let _ = writeln!(
                    failures,
                    "[{state}] n{}: cl_status {}\n  want stdout {:?} stderr {:?} rc {}\n  \
                     got  stdout {:?} stderr {:?} rc {}",
                    i + 1,
                    case.args,
                    case.stdout,
                    case.stderr,
                    case.code,
                    got.stdout,
                    got.stderr,
                    got.code
                );
            }
        }
    }
}

fn group_of(user: &str) -> String {
    nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.gid.as_raw().to_string())
        .unwrap_or_else(|| panic!("no user {user}"))
}

/// Replaces cl_log's `Nov 23 06:30:28 n1 cl_status: [492]: ` prefix with nothing, after
/// checking its shape (month, day, time, host, entity, pid).
fn strip_log_prefix(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let stripped = line.find("cl_status: [").and_then(|at| {
            let (head, tail) = line.split_at(at);
            let rest = tail.strip_prefix("cl_status: [")?;
            let (pid, msg) = rest.split_once("]: ")?;
            let words: Vec<&str> = head.split_whitespace().collect();
            let shaped = words.len() == 4
                && words[0].len() == 3
                && words[1].parse::<u8>().is_ok()
                && words[2].len() == 8
                && words[2].matches(':').count() == 2
                && pid.parse::<u32>().is_ok();
            shaped.then_some(msg)
        });
        out.push_str(stripped.unwrap_or(line));
        out.push('\n');
    }
    out
}

/// One `cl_status` invocation and what heartbeat 3.0.6 prints for it.
struct Case {
    args: String,
    stdout: String,
    stderr: String,
    code: i32,
}

fn ok(args: impl Into<String>, stdout: impl Into<String>) -> Case {
    rc(args, stdout, 0)
}

fn rc(args: impl Into<String>, stdout: impl Into<String>, code: i32) -> Case {
    Case { args: args.into(), stdout: stdout.into(), stderr: String::new(), code }
}

fn fails(args: &str, stderr: &str, code: i32) -> Case {
    Case { args: args.into(), stdout: String::new(), stderr: stderr.into(), code }
}

const SIGNON_FAILED: &str = "ERROR: Cannot signon with heartbeat\n\
    ERROR: REASON: hb_api_signon: Can't initiate connection to heartbeat\n";

/// The cases whose answers do not depend on the state while the daemon runs.
fn running_cases() -> Vec<Case> {
    vec![
        ok("hbstatus", "Heartbeat is running on this machine.\n"),
        ok("hbstatus -m", "Heartbeat is running on this machine.\n"),
        // The client library prepends each name it receives: the walk is the reverse of
        // heartbeat's node table (ha.cf order), on every node.
        ok("listnodes", "n2\nn1\n"),
        ok("listnodes -n", "n2\nn1\n"),
        ok("listnodes -p", ""),
        ok("nodetype n1", "normal\n"),
        ok("nodetype n2", "normal\n"),
        ok("nodetype -m n2", "The node n2's type: normal\n"),
        ok("nodeweight n1", "100\n"),
        ok("nodeweight n2", "100\n"),
        ok("nodesite n1", "\n"),
        ok("nodesite n2", "\n"),
        ok("listhblinks n1", "\teth0\n"),
        ok("listhblinks n2", "\teth0\n"),
        fails(
            "clientstatus n2 ipfail",
            "ERROR: Cannot get heartbeat client ipfail's status\n\
             ERROR: REASON: No timely response.\n",
            13,
        ),
        ok("hbparameter -p deadtime", "2\n"),
        ok("hbparameter -p keepalive", "200ms\n"),
        ok("hbparameter -m -p deadtime", "Heartbeat parameter deadtime's value: 2\n"),
        ok("hbparameter -p auto_failback", "on\n"),
        ok("hbparameter -p hopfudge", "1\n"),
        ok("hbparameter -p realtime", "true\n"),
        ok("hbparameter -p debug", "0\n"),
        fails(
            "hbparameter -p nice_failback",
            "ERROR: Cannot get parameter nice_failback's value\n\
             ERROR: REASON: parameter not set\n",
            1,
        ),
        fails("numnodes", "ERROR: numnodes: invalid sub-command.\n", 11),
        fails("nodestatus nx", "Error. May be due to incorrect node name\n", 11),
        fails("nodestatus", "Not enough parameters.\n", 11),
    ]
}

/// The node and link views of node `me` (0 or 1) when it sees `n1` and `n2` with these status
/// words and holds `rsc`. Its own link to itself reads `dead`; the peer's reads `up` while
/// the peer is active.
fn view_cases(me: usize, n1: &str, n2: &str, rsc: &str) -> Vec<Case> {
    let status = [n1, n2];
    // nodestatus: 0 for active/up/ping; hblinkstatus: 0 for up; otherwise 1.
    let code = |s: &str| if matches!(s, "active" | "up") { 0 } else { 1 };
    let link = |i: usize| if i != me && status[i] == "active" { "up" } else { "dead" };
    let mut v = running_cases();
    let mut table = String::new();
    // Walk order: n2 first.
    for i in [1, 0] {
        let name = format!("n{}", i + 1);
        let (st, ln) = (status[i], link(i));
        v.push(rc(format!("nodestatus {name}"), format!("{st}\n"), code(st)));
        v.push(rc(
            format!("nodestatus -m {name}"),
            format!("The cluster node {name} is {st}\n"),
            code(st),
        ));
        v.push(rc(format!("hblinkstatus {name} eth0"), format!("{ln}\n"), code(ln)));
        v.push(ok(format!("listhblinks -v {name}"), format!("\teth0\t{ln}\n")));
        let _ = write!(table, "\n{name}\t{st}\t(nodetype: normal)\n\teth0\t{ln}\n");
    }
    v.push(ok("listnodes -v", table.clone()));
    // heartbeat: `version:\t3.0.6 (node: <build id>)`; ours names itself in the brackets.
    let version = format!("3.0.6 (heartbeat-rs {})", env!("CARGO_PKG_VERSION"));
    v.push(ok(
        "hbstatus -v",
        format!("version:\t{version}\nmanaged by:\t\"haresources\"\n{table}"),
    ));
    v.push(ok("rscstatus", format!("{rsc}\n")));
    v.push(ok("rscstatus -m", format!("This node is holding {rsc} resources.\n")));
    v
}

fn daemon_stopped_cases() -> Vec<Case> {
    let down = |args| fails(args, SIGNON_FAILED, 1);
    vec![
        rc("hbstatus", "Heartbeat is stopped on this machine.\n", 1),
        down("listnodes"),
        down("nodestatus n1"),
        down("nodestatus n2"),
        down("nodetype n2"),
        down("nodeweight n2"),
        down("nodesite n2"),
        down("listhblinks n2"),
        down("hblinkstatus n2 eth0"),
        down("clientstatus n2 ipfail"),
        down("rscstatus"),
        down("rscstatus -m"),
        down("hbparameter -p deadtime"),
        down("hbparameter -p keepalive"),
    ]
}

fn check_standby_output(run: &Run, scope: &str) {
    // ha_log without a log facility: `hadate` ("%b %d %H:%M:%S ") and the message.
    let want = format!("Going standby [{scope}].\n");
    let date = run.stderr.strip_suffix(&want).unwrap_or_else(|| panic!("hb_standby: {run:?}"));
    assert_eq!(date.len(), 16, "hb_standby date prefix {date:?}");
    assert_eq!((run.stdout.as_str(), run.code), ("", 0), "hb_standby: {run:?}");
}

#[test]
fn legacy_tools_match_heartbeat_in_each_state() {
    let Some(mut s) = setup("") else {
        return;
    };
    let mut failures = String::new();
    s.c.start(0).expect("start n1");
    s.c.start(1).expect("start n2");
    s.wait_owner(0, Duration::from_secs(20));
    // heartbeat: `local` on n1 and on n2 (n2 holds its own, empty, local set).
    s.wait_rscstatus(1, "local", Duration::from_secs(10));
    s.wait_rscstatus(0, "local", Duration::from_secs(10));
    s.compare("both up", 0, &view_cases(0, "active", "active", "local"), &mut failures);
    s.compare("both up", 1, &view_cases(1, "active", "active", "local"), &mut failures);

    // hb_standby on the holder: the VIP moves to n2, seen from the client.
    let run = s.tool("hb_standby", 0, &[]);
    check_standby_output(&run, "all");
    let t = s.wait_owner(1, Duration::from_secs(10));
    eprintln!("hb_standby on n1: VIP answered by n2 after {t:?}");
    s.wait_rscstatus(1, "all", Duration::from_secs(10));
    s.wait_rscstatus(0, "none", Duration::from_secs(10));
    let state = "after hb_standby on n1";
    s.compare(state, 0, &view_cases(0, "active", "active", "none"), &mut failures);
    s.compare(state, 1, &view_cases(1, "active", "active", "all"), &mut failures);

    // hb_takeover on n1 pulls it back; it prints nothing.
    let run = s.tool("hb_takeover", 0, &[]);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str(), run.code), ("", "", 0), "{run:?}");
    let t = s.wait_owner(0, Duration::from_secs(10));
    eprintln!("hb_takeover on n1: VIP answered by n1 after {t:?}");
    s.wait_rscstatus(0, "all", Duration::from_secs(10));
    s.wait_rscstatus(1, "none", Duration::from_secs(10));
    let state = "after hb_takeover on n1";
    s.compare(state, 0, &view_cases(0, "active", "active", "all"), &mut failures);
    s.compare(state, 1, &view_cases(1, "active", "active", "none"), &mut failures);

    // Peer dead: kill -9 of the holder; n2 takes over after deadtime.
    s.c.kill9(0).expect("kill n1");
    s.wait_owner(1, Duration::from_secs(15));
    s.wait_rscstatus(1, "all", Duration::from_secs(10));
    let state = "peer dead (kill -9 of n1)";
    s.compare(state, 1, &view_cases(1, "dead", "active", "all"), &mut failures);
    // n1's daemon is gone (its socket file is left behind, nobody listens).
    s.compare("daemon killed", 0, &daemon_stopped_cases(), &mut failures);

    // n1 back (auto_failback on: the VIP returns), then stopped gracefully: n2 takes over and,
    // once deadtime has passed, sees n1 dead as after the kill.
    s.c.start(0).expect("restart n1");
    s.wait_owner(0, Duration::from_secs(20));
    s.c.stop(0, Duration::from_secs(30)).expect("stop n1");
    let right_after = s.tool("cl_status", 1, &["nodestatus", "n1"]).stdout;
    s.wait_owner(1, Duration::from_secs(15));
    let n1_dead = |s: &Setup| s.tool("cl_status", 1, &["nodestatus", "n1"]).stdout == "dead\n";
    assert!(s.c.wait_until(Duration::from_secs(10), |_| n1_dead(&s)).is_some(), "n1 not dead");
    eprintln!("n2's nodestatus n1 right after n1's graceful stop: {right_after:?}");
    s.wait_rscstatus(1, "all", Duration::from_secs(10));
    let state = "peer stopped (graceful stop of n1)";
    s.compare(state, 1, &view_cases(1, "dead", "active", "all"), &mut failures);
    // Daemon stopped gracefully: the socket is gone too.
    s.compare("daemon stopped", 0, &daemon_stopped_cases(), &mut failures);
    s.c.stop(1, Duration::from_secs(30)).expect("stop n2");
    s.compare("daemon stopped", 1, &daemon_stopped_cases(), &mut failures);
    // hb_standby / hb_takeover with heartbeat down: the scripts would exit 0 (their FIFO
    // message is lost); ours say so and fail (a documented difference).
    let run = s.tool("hb_takeover", 1, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("heartbeat is not running"), "{run:?}");

    assert!(failures.is_empty(), "cl_status differs from heartbeat 3.0.6:\n{failures}");
}

#[test]
fn hbctl_status_events_and_standby_wait() {
    let Some(mut s) = setup("") else {
        return;
    };
    s.c.start(0).expect("start n1");
    s.c.start(1).expect("start n2");
    s.wait_owner(0, Duration::from_secs(20));
    s.wait_rscstatus(1, "local", Duration::from_secs(10));

    // hbctl status --json on n2: both nodes, links with a recent last-heard age, the group.
    let run = s.hbctl(1, &["status", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let st: hb_api::Status = serde_json::from_str(&run.stdout).expect("status JSON");
    assert_eq!(st.node, "n2");
    let mut names: Vec<&str> = st.nodes.iter().map(|n| n.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["n1", "n2"]);
    let n1 = st.nodes.iter().find(|n| n.name == "n1").expect("n1");
    assert_eq!(n1.status, "active");
    assert_eq!(n1.links.len(), 1);
    assert_eq!(n1.links[0].name, "eth0");
    assert_eq!(n1.links[0].status, "up");
    let age = n1.links[0].last_heard_ms.expect("n1 last heard");
    assert!(age < 2000, "last heard from n1 {age} ms ago, deadtime is 2 s");
    let n2 = st.nodes.iter().find(|n| n.name == "n2").expect("n2");
    assert_eq!(n2.links[0].last_heard_ms, None, "no age for the local node's own link");
    assert_eq!(st.groups.len(), 1);
    assert_eq!(st.groups[0].owner.as_deref(), Some("n1"));
    assert_eq!(st.groups[0].preferred, "n1");
    assert_eq!(st.groups[0].resources, [format!("IPaddr::{}/24/eth0", s.vip)]);
    assert_eq!(st.rsc_status, "local");
    assert_eq!(st.parameters.get("deadtime").map(String::as_str), Some("2"));

    // hbctl events on n2 receives the events of a standby of n1.
    let mut events = Command::new(&s.hbctl)
        .args(["events", "--count", "2"])
        .env("HB_API_SOCKET", s.c.api_socket(1))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hbctl events");
    // Let it subscribe before anything happens (the daemon keeps no history).
    std::thread::sleep(Duration::from_millis(500));

    // hb_standby --wait returns once the hand-off completed: the VIP is already on n2 then.
    let t0 = std::time::Instant::now();
    let run = s.tool("hb_standby", 0, &["--wait"]);
    let took = t0.elapsed();
    check_standby_output_wait(&run);
    assert_eq!(
        s.c.holders(s.vip).expect("holders"),
        [1],
        "hb_standby --wait returned after {took:?} but the VIP is not on n2 alone"
    );
    assert!(took < Duration::from_secs(30), "hb_standby --wait took {took:?}");
    s.wait_owner(1, Duration::from_secs(5));

    let pid = events.id();
    let finished = s.c.wait_until(Duration::from_secs(15), |_| {
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true)
    });
    if finished.is_none() {
        let _ = events.kill();
    }
    let out = events.wait_with_output().expect("events output");
    assert!(finished.is_some(), "hbctl events --count 2 did not end: {out:?}");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines: Vec<hb_api::EventRecord> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("event JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|e| e.unix_ms > 0), "{lines:?}");
    assert!(lines.iter().any(|e| e.event == "ownership"), "no ownership event among {lines:?}");
    stop_all(&mut s);
}

/// Graceful stops, so nothing is left for the harness to SIGKILL (a killed daemon's crash
/// guardian may still write into the node directory while the harness removes it).
fn stop_all(s: &mut Setup) {
    for i in 0..2 {
        if s.c.pid(i).is_some() {
            s.c.stop(i, Duration::from_secs(30)).expect("graceful stop");
        }
    }
}

fn check_standby_output_wait(run: &Run) {
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.ends_with("Going standby [all].\n"), "{run:?}");
}

#[test]
fn apiauth_admits_listed_non_root_users_only() {
    let Some(mut s) = setup("apiauth cl_status uid=nobody\n") else {
        return;
    };
    let Some(mut bare) = setup("") else {
        return;
    };
    s.c.start(0).expect("start n1");
    bare.c.start(0).expect("start bare n1");
    let sock_ready = |st: &Setup| {
        st.c.wait_until(Duration::from_secs(10), |c| c.api_socket(0).exists())
            .expect("admin socket appears")
    };
    sock_ready(&s);
    sock_ready(&bare);
    let cl_status = |st: &Setup, user: Option<&str>, args: &[&str]| {
        st.run(&st.links.path().join("cl_status"), 0, args, user)
    };

    // Root: always.
    assert_eq!(cl_status(&bare, None, &["hbstatus"]).code, 0);
    // Without apiauth, nobody is refused.
    let run = cl_status(&bare, Some("nobody"), &["rscstatus"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{run:?}");
    assert!(run.stderr.starts_with("ERROR: Cannot signon with heartbeat\n"), "{run:?}");
    let run = cl_status(&bare, Some("nobody"), &["hbstatus"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, "Heartbeat is stopped on this machine.\n"));

    // With `apiauth cl_status uid=nobody`: nobody is served…
    let run = cl_status(&s, Some("nobody"), &["hbstatus"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "Heartbeat is running on this machine.\n"));
    let run = cl_status(&s, Some("nobody"), &["listnodes"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "n2\nn1\n"), "{run:?}");
    // …and another non-root user, who can reach the socket now, is refused by the daemon.
    let other = ["daemon", "bin", "sys"]
        .into_iter()
        .find(|u| nix::unistd::User::from_name(u).ok().flatten().is_some())
        .expect("a second system user");
    let run = cl_status(&s, Some(other), &["rscstatus"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.starts_with(
            "ERROR: Cannot signon with heartbeat\nERROR: REASON: heartbeat refused: uid "
        ) && run.stderr.ends_with(" is not allowed by apiauth\n"),
        "{other}: {run:?}"
    );
    stop_all(&mut s);
    stop_all(&mut bare);
}
