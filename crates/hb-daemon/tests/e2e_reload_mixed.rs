//! authkeys rotation beside a real heartbeat 3.0.6 node, with no restart on either side:
//! key 2 is added on both nodes (ours by `hbctl reload`, the real one by `heartbeat -r`), then
//! made the sending key on ours, then on the real node, then key 1 is dropped. heartbeat 3.0.6
//! lists every key of its authkeys but checks a netstring message with the method of the index
//! it names and the secret of its *own* active key (`hb_compute_authentication` passes
//! `config->authmethod`): it rejects anything not signed with its active key. Ours accepts
//! every listed key, and after its active key changed keeps signing with the previous one
//! until a peer signs with the new one (at most a minute), so no message may be rejected on
//! either side at any step when ours switches first. The client probes the VIP every
//! millisecond throughout; the real node's log is searched for authentication failures and
//! ours for rejected packets. Root only, heartbeat 3.0.6 installed; otherwise skipped.

#[path = "common/mixed.rs"]
mod mixed_common;

use std::process::Command;
use std::time::Duration;

use hb_testnet::peers::HEARTBEAT_BIN;
use hb_testnet::probe::Prober;
use mixed_common::{hbctl_path, say, Key, Mixed, Preferred, Timers};

/// What heartbeat 3.0.6 (libplumb) logs for a message it cannot authenticate.
const REAL_AUTH_FAILURES: [&str; 4] = [
    "failed authentication",
    "Invalid authentication",
    "authentication failed",
    "authtoken does not match",
];

/// The real node's log, read as bytes: its message dumps carry binary UUIDs, which make a
/// UTF-8 read fail (and an empty log would hide every failure).
fn real_log(m: &Mixed) -> String {
    let bytes = std::fs::read(m.real.dir().join("ha-log")).expect("real ha-log");
    String::from_utf8_lossy(&bytes).into_owned()
}

fn real_failures(m: &Mixed) -> usize {
    let log = real_log(m);
    REAL_AUTH_FAILURES.iter().map(|n| log.matches(n).count()).sum()
}

fn ours_rejects(m: &Mixed) -> usize {
    m.ours_log().matches("bad packet").count()
}

fn edit_both(m: &Mixed, f: impl Fn(&str) -> String) {
    let ours = m.c.node_dir(m.ours_i).join("ha.d").join("authkeys");
    let real = m.real.dir().join("etc").join("authkeys");
    for path in [ours, real] {
        let text = std::fs::read_to_string(&path).expect("read authkeys");
        std::fs::write(&path, f(&text)).expect("write authkeys");
    }
}

fn reload_ours(m: &Mixed, expect: &str) {
    let out = Command::new(hbctl_path())
        .arg("reload")
        .env("HB_API_SOCKET", m.c.api_socket(m.ours_i))
        .output()
        .expect("hbctl reload");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(expect),
        "hbctl reload: {:?} {text} {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        m.logs()
    );
}

fn reload_real(m: &Mixed) {
    let (_, err, code) = m.real.exec(&[HEARTBEAT_BIN, "-r"]).expect("heartbeat -r runs");
    assert_eq!(code, 0, "real heartbeat -r: {err}\n{}", m.logs());
}

#[test]
fn key_rotation_beside_real_heartbeat_rejects_nothing() {
    let Some(m) = Mixed::start(Preferred::Ours, Key::Sha1, Timers::fast(true)) else { return };
    m.check_startup();
    let real_pid = m.real.master_pid();
    let ours_pid = m.c.pid(m.ours_i);
    std::thread::sleep(Duration::from_secs(2));
    let (real0, ours0) = (real_failures(&m), ours_rejects(&m));
    let prober = Prober::start(&m.c.net, m.vip).expect("prober");
    let step = Duration::from_secs(2);

    // 1. Key 2 listed everywhere; key 1 still sends.
    edit_both(&m, |t| format!("{t}2 sha1 rotated-secret\n"));
    reload_ours(&m, "accepting keys 1,2");
    reload_real(&m);
    std::thread::sleep(step);
    // 2. Ours sends with key 2; the real node still sends with key 1.
    edit_both(&m, |t| t.replace("auth 1\n", "auth 2\n"));
    reload_ours(&m, "sending with key 2");
    std::thread::sleep(step);
    // 3. The real node sends with key 2 too.
    reload_real(&m);
    std::thread::sleep(step);
    // 4. Key 1 dropped everywhere.
    edit_both(&m, |t| t.replace("1 sha1 mixed-secret\n", ""));
    reload_ours(&m, "accepting keys 2");
    reload_real(&m);
    std::thread::sleep(step);

    let log = prober.stop();
    let (real1, ours1) = (real_failures(&m), ours_rejects(&m));
    let gaps = log.outages(Duration::from_millis(100));
    let replies = log.replies.len() as u64;
    say(&format!(
        "key rotation beside heartbeat 3.0.6: {} probes, {replies} replies, {} without reply, \
         {} gaps > 100 ms, {} owner changes; authentication failures in the real log {real0} -> \
         {real1}, rejected packets in ours {ours0} -> {ours1}",
        log.sent,
        log.sent.saturating_sub(replies),
        gaps.len(),
        log.owner_changes().len()
    ));
    assert!(replies > 1000, "the prober saw only {replies} replies");
    assert_eq!(real1, real0, "the real node rejected messages\n{}", m.logs());
    assert_eq!(ours1, ours0, "our node rejected messages\n{}", m.logs());
    assert!(gaps.is_empty() && log.owner_changes().is_empty(), "VIP disturbed: {gaps:?}");
    assert_eq!(m.real.master_pid(), real_pid, "the real heartbeat restarted\n{}", m.logs());
    assert_eq!(m.c.pid(m.ours_i), ours_pid, "ours restarted");
    for (i, j) in [(0, 1), (1, 0)] {
        assert_eq!(m.nodestatus(i, j), "active", "{} sees n{} not active", m.who(i), j + 1);
    }
    assert!(m.sole_owner(m.ours_i), "the VIP left ours\n{}", m.logs());
    // Both really switched: the real node re-read its authkeys at each of its three reloads,
    // and ours moved to key 2 when the real node's first key-2 message arrived.
    let rereads = real_log(&m).matches("Rereading authentication file").count();
    assert!(rereads >= 3, "the real node re-read authkeys {rereads} times\n{}", m.logs());
    // The detectors work: ours with another secret under the same index for half a second
    // is rejected by the real node, and the real node's messages by ours.
    let ours_keys = m.c.node_dir(m.ours_i).join("ha.d").join("authkeys");
    let good = std::fs::read_to_string(&ours_keys).expect("authkeys");
    std::fs::write(&ours_keys, good.replace("rotated-secret", "wrong-secret")).expect("write");
    reload_ours(&m, "authkeys");
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&ours_keys, &good).expect("restore");
    reload_ours(&m, "authkeys");
    let (real2, ours2) = (real_failures(&m), ours_rejects(&m));
    say(&format!(
        "detector check (wrong secret for 0.5 s): real log failures {real1} -> {real2}, ours \
         rejects {ours1} -> {ours2}"
    ));
    assert!(real2 > real1 && ours2 > ours1, "a mismatched key went unnoticed\n{}", m.logs());
    assert!(
        m.ours_log().contains("a peer signs with key 2; rollover complete"),
        "ours never switched to key 2\n{}",
        m.logs()
    );
}
