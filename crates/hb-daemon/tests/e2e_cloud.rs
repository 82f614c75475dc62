//! End to end: `ReservedIP` resources on a two-node netns cluster against the provider API
//! stand-in (`hb_testnet::cloud_api`) running in the client's namespace, the seed's
//! DigitalOcean pair (`shared/examples/do-reserved-ip`) with the `floatip` script replaced by
//! `primary ReservedIP::45.55.96.8`. Checks where the stand-in points the IP after each event,
//! prints the measured takeover times, and greps every log for the API token. Root only.

mod common;

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::scrape;
use common::{assert_running, cluster, fail, hacf, FAST};
use hb_testnet::cloud_api::CloudApi;
use hb_testnet::cluster::Cluster;

const TOKEN: &str = "dop_v1_e2e_do_not_log_me_4f1c2a9b";
const RIP: [u8; 4] = [45, 55, 96, 8];
const PORT: u16 = 8080;
/// Droplet ids the metadata stand-in gives n1 and n2.
const DROPLETS: [u64; 2] = [3_164_444, 3_164_494];

fn rip() -> IpAddr {
    RIP.into()
}

/// The cluster (not started) and the stand-in, with `cloud.conf` (mode `conf_mode`), a token
/// file and an alert hook that appends `EVENT DETAIL` to `{dir}/alerts` on each node.
fn setup(verify: &str, conf_mode: u32) -> Option<(Cluster, CloudApi)> {
    setup_for("digitalocean", "n1 ReservedIP::45.55.96.8\n", verify, conf_mode)
}

/// [`setup`] for `provider`, with `haresources` as given.
fn setup_for(
    provider: &str,
    haresources: &'static str,
    verify: &str,
    conf_mode: u32,
) -> Option<(Cluster, CloudApi)> {
    let c = cluster(hacf(&FAST, "on"), |_| haresources.into(), vec![])?;
    let client = c.net.client().clone();
    let api = CloudApi::start_in(&c.net, &client, PORT, TOKEN).expect("stand-in");
    api.add_ip(rip(), 4711, Some(999));
    for (i, id) in DROPLETS.iter().enumerate() {
        api.add_instance(IpAddr::V4(c.net.node(i).ip), *id);
        let had = c.node_dir(i).join("ha.d");
        let token = had.join("do-token");
        std::fs::write(&token, format!("{TOKEN}\n")).expect("token");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let conf = had.join("cloud.conf");
        std::fs::write(
            &conf,
            format!(
                "provider {provider}\ntoken_file {}\napi_url {u}\nmetadata_url {u}\n\
                 timeout 1\nretries 2\nretry_backoff 200ms\naction_timeout 10\n\
                 verify_interval {verify}\n",
                token.display(),
                u = api.url()
            ),
        )
        .expect("cloud.conf");
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(conf_mode)).expect("chmod");
        let alert = had.join("alert");
        let out = c.node_dir(i).join("alerts");
        std::fs::write(&alert, format!("#!/bin/sh\necho \"$1 $2\" >>{}\n", out.display()))
            .expect("alert");
        std::fs::set_permissions(&alert, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    Some((c, api))
}

/// Waits until the stand-in points the IP at node `i`'s droplet; returns how long after
/// `since` (a stand-in clock reading taken at the event) the stand-in recorded the move.
fn wait_on(c: &Cluster, api: &CloudApi, i: usize, since: Duration, what: &str) -> Duration {
    let limit = Duration::from_secs(30);
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if api.holder(rip()) == Some(DROPLETS[i]) {
            let moved = api.history().last().map_or(since, |a| a.at);
            return moved.saturating_sub(since);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    fail(
        c,
        &format!(
            "{what}: the IP is on {:?}, not n{}'s droplet, after {limit:?}",
            api.holder(rip()),
            i + 1
        ),
    )
}

fn alerts(c: &Cluster, i: usize) -> String {
    std::fs::read_to_string(c.node_dir(i).join("alerts")).unwrap_or_default()
}

/// Every log the daemons wrote; none may contain the token.
fn assert_no_token(c: &Cluster) {
    let mut checked = 0;
    for i in 0..2 {
        for text in [c.stderr_log(i), c.ha_log(i), alerts(c, i)] {
            checked += text.len();
            assert!(!text.contains(TOKEN), "the API token is in n{}'s logs", i + 1);
        }
    }
    assert!(checked > 1000, "only {checked} bytes of logs to check");
    eprintln!("token grep: {checked} bytes of logs checked, no token");
}

#[test]
fn reserved_ip_follows_the_owner_and_comes_back() {
    let Some((mut c, api)) = setup("2", 0o600) else { return };
    scrape::enable(&c, 0);
    let at = api.elapsed();
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    let t = wait_on(&c, &api, 0, at, "start-up");
    eprintln!("start-up: IP assigned to n1 after {t:?}");
    let at = api.elapsed();
    c.kill9(0).expect("kill n1");
    let t = wait_on(&c, &api, 1, at, "kill -9 of n1");
    eprintln!("kill -9 takeover (deadtime 1 s): IP on n2's droplet after {t:?}");
    let at = api.elapsed();
    c.start(0).expect("restart n1");
    let t = wait_on(&c, &api, 0, at, "failback");
    eprintln!("failback: IP on n1's droplet after {t:?}");
    std::thread::sleep(Duration::from_millis(500));
    let at = api.elapsed();
    api.move_ip(rip(), Some(777));
    let t = wait_on(&c, &api, 0, at, "moved behind our back");
    eprintln!("moved behind our back: claimed back after {t:?} (verify_interval 2 s)");
    c.wait_until(Duration::from_secs(5), |c| alerts(c, 0).contains("reserved_ip_reclaimed"))
        .unwrap_or_else(|| fail(&c, "no reserved_ip_reclaimed alert on n1"));
    // The restarted n1 claimed it back once: its scrape and `hbctl status` say so.
    let ip = [("ip", "45.55.96.8")];
    let (text, ok) = scrape::scrape_until(&c, 0, |t| {
        scrape::sum(t, "heartbeat_cloud_reclaims_total", &ip) == (1.0, 1)
    });
    if !ok {
        fail(&c, &format!("n1's scrape lacks one re-claim:\n{text}"));
    }
    let mut admin = hb_api::Client::connect(&c.api_socket(0), Duration::from_secs(5)).expect("api");
    match admin.request(&hb_api::Request::Status).expect("status") {
        hb_api::Response::Status(st) => {
            eprintln!("n1 status reserved_ips: {:?}", st.reserved_ips);
            if st.reserved_ips.get("ReservedIP::45.55.96.8") != Some(&1) {
                fail(&c, &format!("n1's status shows {:?}", st.reserved_ips));
            }
        }
        other => fail(&c, &format!("status answer {other:?}")),
    }
    let at = api.elapsed();
    c.stop(0, Duration::from_secs(10)).expect("stop n1");
    let t = wait_on(&c, &api, 1, at, "graceful stop of n1");
    eprintln!("graceful stop: IP on n2's droplet after {t:?}");
    assert_running(&c, &[1]);
    let history: Vec<String> =
        api.history().iter().map(|a| format!("{:?} -> {:?}", a.at, a.holder)).collect();
    eprintln!("stand-in history: {history:?}");
    assert_eq!(
        api.history().iter().map(|a| a.holder).collect::<Vec<_>>(),
        [
            Some(DROPLETS[0]),
            Some(DROPLETS[1]),
            Some(DROPLETS[0]),
            Some(777),
            Some(DROPLETS[0]),
            Some(DROPLETS[1])
        ],
    );
    if !c.stderr_log(0).contains("claiming it back") {
        fail(&c, "n1 did not log the re-claim");
    }
    assert_no_token(&c);
}

#[test]
fn api_down_during_takeover_fails_the_group_then_recovers() {
    let Some((mut c, api)) = setup("30", 0o600) else { return };
    scrape::enable(&c, 1);
    let at = api.elapsed();
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_on(&c, &api, 0, at, "start-up");
    api.set_down(true);
    c.kill9(0).expect("kill n1");
    c.wait_until(Duration::from_secs(20), |c| alerts(c, 1).contains("start_failed"))
        .unwrap_or_else(|| fail(&c, "n2 raised no start_failed alert while the API was down"));
    let log = c.stderr_log(1);
    for needle in [
        "retrying in",
        "gave up after 3 attempts; last: HTTP 503: service_unavailable",
        "Group ReservedIP::45.55.96.8 failed to start",
    ] {
        if !log.contains(needle) {
            fail(&c, &format!("n2's log lacks `{needle}`"));
        }
    }
    assert_eq!(api.holder(rip()), Some(DROPLETS[0]), "nothing moved while the API was down");
    let five = [("ip", "45.55.96.8"), ("class", "5xx")];
    let (text, ok) = scrape::scrape_until(&c, 1, |t| {
        scrape::sum(t, "heartbeat_cloud_api_failures_total", &five).0 >= 1.0
    });
    if !ok {
        fail(&c, &format!("n2's scrape counts no 5xx API failure:\n{text}"));
    }
    let failures = scrape::sum(&text, "heartbeat_cloud_api_failures_total", &[]).0;
    eprintln!("n2 counted {failures} failed API calls while the API was down");
    if log.contains(&format!("assigned to instance {}", DROPLETS[1])) {
        fail(&c, "n2 claims to have the IP although the API never moved it");
    }
    let at = api.elapsed();
    api.set_down(false);
    let t = wait_on(&c, &api, 1, at, "API back");
    eprintln!("API back: n2's retry of the group got the IP after {t:?}");
    assert_running(&c, &[1]);
    assert_no_token(&c);
}

#[test]
fn split_heal_claims_the_ip_back() {
    // verify_interval 0: only the split-heal path can bring the IP back.
    let Some((mut c, api)) = setup("0", 0o600) else { return };
    let at = api.elapsed();
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_on(&c, &api, 0, at, "start-up");
    let host = c.host(0).clone();
    let at = api.elapsed();
    c.net.link_down(&host).expect("link down");
    let t = wait_on(&c, &api, 1, at, "n1's link cut");
    eprintln!("link cut: IP on n2's droplet after {t:?}");
    let at = api.elapsed();
    c.net.link_up(&host).expect("link up");
    let t = wait_on(&c, &api, 0, at, "split healed");
    eprintln!("split healed: n1 claimed the IP back after {t:?}");
    if !c.stderr_log(0).contains("after the split healed") {
        fail(&c, "n1 did not say it re-claimed the IP after the split");
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(api.holder(rip()), Some(DROPLETS[0]), "the IP stays with n1");
    assert_running(&c, &[0, 1]);
    assert_no_token(&c);
}

#[test]
fn world_readable_cloud_conf_is_refused_at_start_up() {
    let Some((mut c, _api)) = setup("30", 0o644) else { return };
    c.start(0).expect("start n1");
    c.wait_until(Duration::from_secs(10), |c| !c.is_running(0))
        .unwrap_or_else(|| fail(&c, "n1 started with a world-readable cloud.conf"));
    let log = c.stderr_log(0);
    if !log
        .contains("cloud.conf: mode 0644 lets group or others read the API token; run `chmod 600")
    {
        fail(&c, "n1's error does not name cloud.conf's mode");
    }
    assert!(!log.contains(TOKEN));
}

/// Drops heartbeat's UDP port on node `i` (both ways) while the API stays reachable: a split
/// of the heartbeat links only, as when the cluster network fails but not the Internet.
fn split_heartbeat(c: &Cluster, i: usize, on: bool) {
    let host = c.host(i).clone();
    let run = |args: &[&str]| {
        let out = c.net.exec(&host, args).expect("nft");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    if !on {
        run(&["nft", "delete", "table", "inet", "hbsplit"]);
        return;
    }
    run(&["nft", "add", "table", "inet", "hbsplit"]);
    for (chain, hook) in [("in", "input"), ("out", "output")] {
        let spec = format!("{{ type filter hook {hook} priority 0; policy accept; }}");
        run(&["nft", "add", "chain", "inet", "hbsplit", chain, &spec]);
        run(&["nft", "add", "rule", "inet", "hbsplit", chain, "udp", "dport", "694", "drop"]);
    }
}

#[test]
fn split_with_the_api_reachable_stops_the_tug_of_war_then_heals() {
    let Some((mut c, api)) = setup("1", 0o600) else { return };
    let at = api.elapsed();
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_on(&c, &api, 0, at, "start-up");
    let before = api.history().len();
    split_heartbeat(&c, 0, true);
    // Both hold the group and both verifiers see the IP elsewhere: each claims it back a few
    // times, then stops and alerts.
    c.wait_until(Duration::from_secs(30), |c| {
        alerts(c, 0).contains("reserved_ip_contested")
            || alerts(c, 1).contains("reserved_ip_contested")
    })
    .unwrap_or_else(|| fail(&c, "no reserved_ip_contested alert during the split"));
    std::thread::sleep(Duration::from_secs(3));
    let moves = api.history().len() - before;
    std::thread::sleep(Duration::from_secs(3));
    let later = api.history().len() - before;
    eprintln!("split with the API reachable: {moves} moves, then {} in 3 s", later - moves);
    assert!(moves <= 2 + 2 * 4, "{moves} moves: the tug of war was not bounded");
    assert_eq!(later, moves, "the IP still moves after both sides gave up");
    let at = api.elapsed();
    split_heartbeat(&c, 0, false);
    let t = wait_on(&c, &api, 0, at, "split healed (heartbeat only)");
    eprintln!("heartbeat split healed: IP on n1 after {t:?}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(api.holder(rip()), Some(DROPLETS[0]), "the IP stays with n1 after the heal");
    assert_running(&c, &[0, 1]);
    assert_no_token(&c);
}

#[test]
fn hetzner_floating_ip_follows_the_owner() {
    let hr = "n1 ReservedIP::45.55.96.8::provider=hetzner\n";
    let Some((mut c, api)) = setup_for("hetzner", hr, "30", 0o600) else { return };
    let at = api.elapsed();
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_on(&c, &api, 0, at, "start-up");
    let at = api.elapsed();
    c.kill9(0).expect("kill n1");
    let t = wait_on(&c, &api, 1, at, "kill -9 of n1");
    eprintln!("hetzner: kill -9 takeover (deadtime 1 s): IP on n2's server after {t:?}");
    let at = api.elapsed();
    c.start(0).expect("restart n1");
    let t = wait_on(&c, &api, 0, at, "failback");
    eprintln!("hetzner: failback after {t:?}");
    let seen = api.seen();
    for path in
        ["GET /hetzner/v1/metadata/instance-id", "POST /v1/floating_ips/4711/actions/assign"]
    {
        assert!(seen.iter().any(|s| s.line == path), "no `{path}` request: {seen:?}");
    }
    assert!(!seen.iter().any(|s| s.line.contains("/v2/")), "a DigitalOcean path was used");
    assert_no_token(&c);
}
