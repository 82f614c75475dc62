//! End-to-end tests of the Prometheus metrics (issue 17): real daemons in network namespaces
//! with `metrics.cf`, scraped over HTTP from the client namespace while the cluster fails over,
//! while forged and malformed packets arrive, and under a bounded scrape storm. Root only;
//! without root each test says "skipped: needs root" and passes.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use common::{assert_running, cluster, fail, hacf, wait_owner, FAST};
use hb_testnet::cluster::Cluster;

const PORT: u16 = 9694;

fn one_vip(n: &hb_testnet::Testnet) -> String {
    format!("n1 {}/24/eth0\n", n.addr(50))
}

/// A two-node cluster whose nodes serve metrics on all their addresses.
fn metrics_cluster(hacf: String) -> Option<Cluster> {
    let c = cluster(hacf, one_vip, vec![])?;
    for i in 0..2 {
        let path = c.node_dir(i).join("ha.d").join("metrics.cf");
        std::fs::write(path, format!("# test\nlisten 0.0.0.0:{PORT}\nmax_connections 4\n"))
            .expect("metrics.cf");
    }
    Some(c)
}

/// One `GET /metrics` of node `i` from the client namespace: the body, or why not.
fn scrape(c: &Cluster, i: usize) -> Result<String, String> {
    let ip = c.host(i).ip;
    c.net.run_in(c.net.client(), || get(ip)).map_err(|e| e.to_string())?
}

fn get(ip: Ipv4Addr) -> Result<String, String> {
    let addr = SocketAddrV4::new(ip, PORT).into();
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: n\r\n\r\n").map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    match out.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_owned()),
        _ => Err(format!("unexpected answer: {}", out.lines().next().unwrap_or(""))),
    }
}

/// Sum of the samples called `name` whose labels contain every `k="v"` of `labels`.
fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

/// Scrapes node `i` until `ok` holds (the run loop publishes every 200 ms); the last body.
fn scrape_until(c: &Cluster, i: usize, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    let mut last = String::new();
    while t0.elapsed() < Duration::from_secs(10) {
        match scrape(c, i) {
            Ok(text) if ok(&text) => return text,
            Ok(text) => last = text,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fail(c, &format!("n{}'s metrics never showed {what}; last scrape:\n{last}", i + 1))
}

#[test]
fn scrapes_follow_a_failover_and_failback() {
    let Some(mut c) = metrics_cluster(hacf(&FAST, "on")) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let owner_is = |who: &'static str| {
        move |t: &str| sum(t, "heartbeat_group_owner", &[("owner", who)]) == 1.0
    };
    let t = scrape_until(&c, 1, "n1 as the owner", owner_is("n1"));
    assert_eq!(sum(&t, "heartbeat_node_status", &[("node", "n1"), ("status", "active")]), 1.0);
    assert_eq!(sum(&t, "heartbeat_link_up", &[("node", "n1"), ("link", "eth0")]), 1.0);
    assert_eq!(sum(&t, "heartbeat_up", &[]), 1.0);

    // keepalive 100 ms: about ten accepted heartbeats a second in the histogram.
    let gaps = |t: &str| sum(t, "heartbeat_interarrival_seconds_count", &[("node", "n1")]);
    let t0 = Instant::now();
    let before = gaps(&scrape(&c, 1).expect("scrape"));
    std::thread::sleep(Duration::from_secs(3));
    let full = scrape(&c, 1).expect("scrape");
    let after = gaps(&full);
    eprintln!("n2's scrape with both nodes up:\n{full}");
    let rate = (after - before) / t0.elapsed().as_secs_f64();
    eprintln!(
        "inter-arrival histogram: {} heartbeats in {:?} = {rate:.1}/s",
        after - before,
        t0.elapsed()
    );
    assert!((6.0..=14.0).contains(&rate), "{rate:.1} heartbeats/s counted; keepalive is 100 ms");

    let transitions_before = sum(&t, "heartbeat_group_transitions_total", &[("owner", "n2")]);
    let frames_before = sum(&t, "heartbeat_garp_frames_total", &[]);
    c.kill9(0).expect("kill n1");
    wait_owner(&c, vip, 1, Duration::from_secs(10));
    let t = scrape_until(&c, 1, "n2 as the owner with the group started", |t| {
        owner_is("n2")(t)
            && sum(t, "heartbeat_group_state", &[("state", "started")]) == 1.0
            && sum(t, "heartbeat_takeover_duration_seconds_count", &[("result", "ok")]) >= 1.0
    });
    eprintln!("after kill -9 of n1, n2's scrape:\n{}", relevant(&t));
    assert_eq!(sum(&t, "heartbeat_node_status", &[("node", "n1"), ("status", "dead")]), 1.0);
    assert_eq!(sum(&t, "heartbeat_link_up", &[("node", "n1")]), 0.0);
    assert!(sum(&t, "heartbeat_link_last_heard_seconds", &[("node", "n1")]) >= 1.0, "deadtime 1 s");
    assert!(
        sum(&t, "heartbeat_node_transitions_total", &[("node", "n1"), ("status", "dead")]) >= 1.0
    );
    let moved =
        sum(&t, "heartbeat_group_transitions_total", &[("owner", "n2"), ("reason", "holder dead")]);
    assert!(moved >= 1.0 && moved > transitions_before - 1.0, "{moved} transitions to n2");
    assert!(sum(&t, "heartbeat_garp_frames_total", &[]) > frames_before, "no announcement counted");
    assert!(sum(&t, "heartbeat_takeover_duration_seconds_sum", &[("result", "ok")]) > 0.0);

    c.start(0).expect("restart n1");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let t = scrape_until(&c, 1, "n1 as the owner again", owner_is("n1"));
    // Each node counts its own changes: n2 released the group (owner none) for the failback…
    let released = sum(&t, "heartbeat_group_transitions_total", &[("owner", "none")]);
    assert!(released >= 1.0, "n2 counted no release:\n{}", relevant(&t));
    assert_eq!(sum(&t, "heartbeat_node_status", &[("node", "n1"), ("status", "active")]), 1.0);
    assert_eq!(sum(&t, "heartbeat_resources_held", &[("set", "all")]), 0.0, "n2 holds nothing");
    // …and the restarted n1 took it.
    let t = scrape_until(&c, 0, "the restarted n1's own view", owner_is("n1"));
    assert!(sum(&t, "heartbeat_group_transitions_total", &[("owner", "n1")]) >= 1.0);
    assert_eq!(sum(&t, "heartbeat_group_state", &[("state", "started")]), 1.0, "{}", relevant(&t));
    assert_running(&c, &[0, 1]);
}

/// A datagram signed with `secret` claiming to come from `src` with generation `hg`.
fn signed(secret: &str, src: &str, hg: u32) -> Vec<u8> {
    let key = hb_wire::AuthKey {
        index: 1,
        method: hb_wire::AuthMethod::Sha1,
        secret: secret.as_bytes().to_vec(),
    };
    let auth = hb_wire::Authenticator::new(1, vec![key]).expect("authenticator");
    let mut m = hb_wire::Message::new();
    for (k, v) in
        [("t", "status"), ("st", "active"), ("dt", "3e8"), ("protocol", "1"), ("src", src)]
    {
        m.push_str(k, v);
    }
    m.push_str("seq", "5");
    m.push_str("hg", &format!("{hg:x}"));
    m.push_str("ts", "5f000000");
    m.push_str("ttl", "3");
    auth.seal(&m).expect("seal")
}

#[test]
fn forged_and_malformed_packets_count_by_reason() {
    let Some(mut c) = metrics_cluster(hacf(&FAST, "on")) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let rejected = |t: &str, r: &str| sum(t, "heartbeat_messages_rejected_total", &[("reason", r)]);
    let reasons = ["auth", "malformed", "unknown_node", "replay"];
    let t = scrape_until(&c, 0, "the rejection counters", |t| t.contains("reason=\"replay\""));
    let before: Vec<f64> = reasons.iter().map(|r| rejected(&t, r)).collect();

    let packets: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"GET / HTTP/1.0\r\n\r\n".to_vec()),
        ("malformed", vec![0u8; 64]),
        ("malformed", b"###\n5:hello,%%%\n".to_vec()),
        ("auth", signed("not-the-key", "n2", 0x7fff_0000)),
        ("auth", signed("not-the-key", "intruder", 1)),
        ("unknown_node", signed("e2e-secret", "intruder", 1)),
        // n2's real generation is the start-up time in seconds: 1 is an old one.
        ("replay", signed("e2e-secret", "n2", 1)),
    ];
    let target = SocketAddrV4::new(c.host(0).ip, 694);
    c.net
        .run_in(c.net.client(), || {
            let sock = UdpSocket::bind("0.0.0.0:0")?;
            for (_, p) in &packets {
                sock.send_to(p, target)?;
            }
            Ok::<_, std::io::Error>(())
        })
        .expect("netns")
        .expect("send");
    let expect: Vec<f64> = reasons
        .iter()
        .zip(&before)
        .map(|(r, b)| b + packets.iter().filter(|(k, _)| k == r).count() as f64)
        .collect();
    let t = scrape_until(&c, 0, &format!("{reasons:?} at {expect:?}"), |t| {
        reasons.iter().zip(&expect).all(|(r, e)| rejected(t, r) >= *e)
    });
    let got: Vec<f64> = reasons.iter().map(|r| rejected(&t, r)).collect();
    eprintln!("rejections {reasons:?}: before {before:?}, after {got:?}");
    assert_eq!(got, expect, "each bad packet counted once, under its own reason");
    // Nothing moved: the group stays with n1 and both daemons run.
    assert_eq!(sum(&t, "heartbeat_group_owner", &[("owner", "n1")]), 1.0);
    assert_running(&c, &[0, 1]);
}

#[test]
fn a_scrape_storm_does_not_delay_heartbeats() {
    let Some(mut c) = metrics_cluster(hacf(&FAST, "on")) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let late = |t: &str| sum(t, "heartbeat_late_heartbeats_total", &[]);
    let t1 = scrape_until(&c, 1, "n1 active", |t| t.contains("status=\"active\"} 1"));
    let late_before = (late(&scrape(&c, 0).expect("scrape n1")), late(&t1));
    let gaps_before = sum(&t1, "heartbeat_interarrival_seconds_count", &[("node", "n1")]);

    // Four clients scraping n1 back to back for 4 s, at most 16,000 scrapes in all: each
    // scrape makes n1's server encode everything while its run loop keeps its 100 ms beat.
    const STORM: Duration = Duration::from_secs(4);
    let ip = c.host(0).ip;
    let t0 = Instant::now();
    let counts: Vec<(u32, u32)> = c
        .net
        .run_in(c.net.client(), || {
            std::thread::scope(|s| {
                let workers: Vec<_> = (0..4)
                    .map(|_| {
                        s.spawn(move || {
                            let (mut ok, mut refused) = (0u32, 0u32);
                            while t0.elapsed() < STORM && ok + refused < 4000 {
                                match get(ip) {
                                    Ok(_) => ok += 1,
                                    Err(_) => refused += 1,
                                }
                            }
                            (ok, refused)
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap_or((0, 0))).collect()
            })
        })
        .expect("netns");
    let took = t0.elapsed();
    let ok: u32 = counts.iter().map(|c| c.0).sum();
    let refused: u32 = counts.iter().map(|c| c.1).sum();
    eprintln!(
        "scrape storm: {ok} scrapes answered, {refused} refused or failed in {took:?} ({:.0}/s)",
        f64::from(ok) / took.as_secs_f64()
    );
    assert!(ok >= 50, "the storm barely scraped ({ok} answers): it tested nothing");

    let t1 = scrape(&c, 1).expect("scrape n2");
    let t0_ = scrape(&c, 0).expect("scrape n1");
    let late_after = (late(&t0_), late(&t1));
    let gaps = sum(&t1, "heartbeat_interarrival_seconds_count", &[("node", "n1")]) - gaps_before;
    // Gaps over 5 × keepalive (0.5 s, the warntime) are the late ones, seen from the histogram.
    let over = sum(&t1, "heartbeat_interarrival_seconds_count", &[("node", "n1")])
        - sum(&t1, "heartbeat_interarrival_seconds_bucket", &[("node", "n1"), ("le", "0.5")]);
    eprintln!(
        "during the storm n2 timed {gaps} heartbeats from n1; late before {late_before:?}, after \
         {late_after:?}; gaps over 0.5 s since start: {over}"
    );
    // keepalive 100 ms: ten a second while the storm lasted (allowing for scheduling).
    let expected = took.as_secs_f64() * 10.0;
    assert!(gaps >= 0.6 * expected, "n2 timed {gaps} heartbeats from n1 in {took:?}");
    assert_eq!(late_after, (0.0, 0.0), "late heartbeats during the scrape storm");
    assert_eq!(late_before, (0.0, 0.0));
    assert_eq!(over, 0.0, "n2 timed gaps from n1 longer than warntime");
    assert_eq!(sum(&t1, "heartbeat_group_owner", &[("owner", "n1")]), 1.0);
    assert_running(&c, &[0, 1]);
}

/// The lines of a scrape worth printing in a failure or a test log.
fn relevant(t: &str) -> String {
    t.lines()
        .filter(|l| !l.starts_with('#') && !l.contains("_bucket{") && !l.ends_with(" 0"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_broken_metrics_cf_stops_the_start_with_its_line() {
    let Some(mut c) = metrics_cluster(hacf(&FAST, "on")) else { return };
    let path = c.node_dir(0).join("ha.d").join("metrics.cf");
    std::fs::write(&path, "listen 0.0.0.0:9694\nlisten_on 0.0.0.0:9695\n").expect("metrics.cf");
    c.start(0).expect("start n1");
    c.wait_until(Duration::from_secs(10), |c| !c.is_running(0))
        .unwrap_or_else(|| fail(&c, "n1 runs with a broken metrics.cf"));
    let log = c.stderr_log(0);
    let want = format!("{}:2:1: unknown directive \"listen_on\"", path.display());
    assert!(log.contains(&want), "no {want:?} in n1's stderr:\n{log}");
}

#[test]
fn packet_loss_shows_as_retransmissions_and_long_gaps() {
    let Some(mut c) = metrics_cluster(hacf(&FAST, "on")) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let kind = |t: &str, k: &str| sum(t, "heartbeat_retransmissions_total", &[("kind", k)]);
    // Gaps of more than 1.1 × keepalive: a heartbeat (or more) went missing.
    let long_gaps = |t: &str| {
        sum(t, "heartbeat_interarrival_seconds_count", &[("node", "n1")])
            - sum(t, "heartbeat_interarrival_seconds_bucket", &[("node", "n1"), ("le", "0.11")])
    };
    let t2 = scrape_until(&c, 1, "n1 active", |t| t.contains("status=\"active\"} 1"));
    let t1 = scrape(&c, 0).expect("scrape n1");
    let (requests, answers, gaps) =
        (kind(&t2, "request_sent"), kind(&t1, "resent") + kind(&t1, "nak_sent"), long_gaps(&t2));

    // 20 % loss in and out of n1 for 3 s: n2 misses some of n1's heartbeats and asks for them
    // again; nine in a row (deadtime 1 s) are unlikely enough not to fail over.
    c.net.set_loss(c.host(0), 20).expect("loss");
    std::thread::sleep(Duration::from_secs(3));
    c.net.set_loss(c.host(0), 0).expect("no loss");
    let t2 = scrape_until(&c, 1, "retransmission requests", |t| kind(t, "request_sent") > requests);
    let t1 = scrape_until(&c, 0, "retransmissions", |t| {
        kind(t, "resent") + kind(t, "nak_sent") > answers
    });
    eprintln!(
        "20 % loss for 3 s: n2 asked {} times, n1 answered {} times, n2 timed {} long gaps",
        kind(&t2, "request_sent") - requests,
        kind(&t1, "resent") + kind(&t1, "nak_sent") - answers,
        long_gaps(&t2) - gaps
    );
    assert!(long_gaps(&t2) > gaps, "the inter-arrival histogram shows no missing heartbeat");
    assert_eq!(sum(&t2, "heartbeat_group_owner", &[("owner", "n1")]), 1.0, "no failover");
    assert_running(&c, &[0, 1]);
}
