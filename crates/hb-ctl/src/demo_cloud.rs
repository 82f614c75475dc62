//! `hbctl demo --reserved-ip`: the seed's DigitalOcean pair (no layer 2 between droplets) on
//! the netns cluster. Both nodes run `primary ReservedIP::45.55.96.8` against the provider
//! stand-in of `hb-testnet` (an HTTP server in the client's namespace answering the
//! DigitalOcean API and each droplet's metadata); the demo kills, restarts, stops and cuts off
//! n1, moves the IP behind the cluster's back, and prints, per event, when the API pointed the
//! IP at which droplet. Everything is removed on the way out, as in `hbctl demo`.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hb_testnet::cloud_api::CloudApi;
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::Testnet;

/// The reserved IP of the seed's tutorial.
const RESERVED_IP: [u8; 4] = [45, 55, 96, 8];
/// Droplet ids the metadata stand-in gives n1 and n2.
const DROPLETS: [u64; 2] = [3_164_444, 3_164_494];
/// A droplet outside the cluster (the console, another tool).
const STRANGER: u64 = 777;
/// The stand-in's port in the client namespace.
const API_PORT: u16 = 8080;
/// The stand-in's token (a demo value; real ones live in a 0600 token file as here).
const DEMO_TOKEN: &str = "dop_v1_hbctl_demo_token";
/// `verify_interval` of the demo.
const VERIFY: &str = "2";
/// Longest wait for one move.
const LIMIT: Duration = Duration::from_secs(40);

/// Runs the scenario with `heartbeat` at `keepalive`/`deadtime`.
pub fn run(
    heartbeat: &Path,
    keepalive: Duration,
    deadtime: Duration,
    interrupted: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let net = Testnet::new(2).context("cannot build the demo network")?;
    let prefix = net.prefix().to_string();
    let spec = ClusterSpec {
        hacf: crate::demo::hacf(keepalive, deadtime),
        haresources: "n1 ReservedIP::45.55.96.8\n".into(),
        authkeys: "auth 1\n1 sha1 hbctl-demo\n".into(),
        scripts: vec![],
    };
    let cluster = Cluster::new(net, &spec, heartbeat).context("cannot write the node configs")?;
    let client = cluster.net.client().clone();
    let api = CloudApi::start_in(&cluster.net, &client, API_PORT, DEMO_TOKEN)
        .context("cannot start the API stand-in")?;
    let ip = IpAddr::from(RESERVED_IP);
    api.add_ip(ip, 4711, Some(STRANGER));
    for (i, id) in DROPLETS.iter().enumerate() {
        api.add_instance(IpAddr::V4(cluster.net.node(i).ip), *id);
        write_cloud_conf(&cluster.node_dir(i).join("ha.d"), &api.url())?;
    }
    println!(
        "hbctl demo --reserved-ip: 2 droplets (n1 n2) and the provider API stand-in in network \
         namespaces {prefix}-*\n\
         \x20 haresources: n1 ReservedIP::45.55.96.8   (replaces the tutorial's floatip script)\n\
         \x20 cloud.conf: provider digitalocean, token_file (0600), api_url {u}, verify_interval {VERIFY}\n\
         \x20 droplets: n1 = {}, n2 = {}; the IP starts on droplet {STRANGER} (outside the cluster)",
        DROPLETS[0],
        DROPLETS[1],
        u = api.url()
    );
    let mut demo = Demo { cluster, api, ip, printed: 0, rows: Vec::new(), interrupted };
    let result = demo.script();
    let _ = demo.cluster.stop_all(Duration::from_secs(10));
    demo.print_moves();
    let summary = demo.summary();
    drop(demo);
    let left = Testnet::existing_namespaces(&prefix).unwrap_or_default();
    print!("{summary}");
    if left.is_empty() {
        println!("cleaned up: namespaces {prefix}-* removed");
    } else {
        println!("cleanup left namespaces behind: {}", left.join(" "));
    }
    result
}

fn write_cloud_conf(had: &Path, url: &str) -> anyhow::Result<()> {
    let token = had.join("do-token");
    std::fs::write(&token, format!("{DEMO_TOKEN}\n"))?;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600))?;
    let conf = had.join("cloud.conf");
    std::fs::write(
        &conf,
        format!(
            "provider digitalocean\ntoken_file {}\napi_url {url}\nmetadata_url {url}\n\
             timeout 2\nretries 3\nretry_backoff 200ms\nverify_interval {VERIFY}\n",
            token.display()
        ),
    )?;
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

struct Demo {
    cluster: Cluster,
    api: CloudApi,
    ip: IpAddr,
    /// History entries already printed.
    printed: usize,
    /// (event, API time from the event to the move, new holder).
    rows: Vec<(&'static str, Option<Duration>, String)>,
    interrupted: Arc<AtomicBool>,
}

impl Demo {
    fn script(&mut self) -> anyhow::Result<()> {
        self.event("start heartbeat on n1 and n2", Some(0), |d| {
            d.cluster.start(0)?;
            d.cluster.start(1)?;
            Ok(())
        })?;
        self.event("kill -9 heartbeat on n1", Some(1), |d| Ok(d.cluster.kill9(0)?))?;
        self.event("restart n1 (failback)", Some(0), |d| Ok(d.cluster.start(0).map(drop)?))?;
        self.event("move the IP behind the cluster's back", Some(0), |d| {
            d.api.move_ip(d.ip, Some(STRANGER));
            Ok(())
        })?;
        self.event("stop n1 gracefully (SIGTERM)", Some(1), |d| {
            Ok(d.cluster.stop(0, Duration::from_secs(30)).map(drop)?)
        })?;
        self.event("start n1 again (failback)", Some(0), |d| Ok(d.cluster.start(0).map(drop)?))?;
        // For its first seconds a node advertises a longer deadtime; let that pass.
        self.sleep(Duration::from_secs(6))?;
        self.event("cut n1's link", Some(1), |d| {
            Ok(d.cluster.net.link_down(d.cluster.host(0))?)
        })?;
        self.event("restore n1's link (split heals)", Some(0), |d| {
            Ok(d.cluster.net.link_up(d.cluster.host(0))?)
        })?;
        Ok(())
    }

    /// Runs `act`, then waits until the API points the IP at node `expect`.
    fn event(
        &mut self,
        label: &'static str,
        expect: Option<usize>,
        act: impl FnOnce(&mut Demo) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let at = self.api.elapsed();
        println!("{}  event: {label}", stamp(at));
        act(self).with_context(|| format!("{label} failed"))?;
        let Some(i) = expect else { return Ok(()) };
        let start = Instant::now();
        // The move must come after the event (a stranger's move is not the cluster's).
        let moved = loop {
            if self.interrupted.load(Ordering::Relaxed) {
                bail!("interrupted");
            }
            let last = self.api.history().last().cloned();
            if let Some(a) = last.filter(|a| a.at >= at && a.holder == Some(DROPLETS[i])) {
                break a.at;
            }
            if start.elapsed() > LIMIT {
                self.rows.push((label, None, self.who(self.api.holder(self.ip))));
                bail!(
                    "the API did not point the IP at n{} within {LIMIT:?}\n--- n1 stderr\n{}\n--- n2 stderr\n{}",
                    i + 1,
                    self.cluster.stderr_log(0),
                    self.cluster.stderr_log(1)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        self.print_moves();
        self.rows.push((label, Some(moved.saturating_sub(at)), self.who(Some(DROPLETS[i]))));
        Ok(())
    }

    /// Prints the API's moves not printed yet.
    fn print_moves(&mut self) {
        let history = self.api.history();
        for a in history.iter().skip(self.printed) {
            println!("{}  API: {} -> {}", stamp(a.at), a.ip, self.who(a.holder));
        }
        self.printed = history.len();
    }

    fn who(&self, holder: Option<u64>) -> String {
        match holder {
            Some(id) if id == DROPLETS[0] => format!("n1 (droplet {id})"),
            Some(id) if id == DROPLETS[1] => format!("n2 (droplet {id})"),
            Some(id) => format!("droplet {id}"),
            None => "nobody".into(),
        }
    }

    fn sleep(&self, d: Duration) -> anyhow::Result<()> {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.interrupted.load(Ordering::Relaxed) {
                bail!("interrupted");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn summary(&self) -> String {
        let mut out = format!(
            "\nsummary (event to the API pointing the IP at the new holder)\n  {:<40} {:>10}  {}\n",
            "event", "API moved", "IP on"
        );
        for (label, took, on) in &self.rows {
            let ms = took.map_or_else(|| "never".to_owned(), |d| format!("{} ms", d.as_millis()));
            out += &format!("  {label:<40} {ms:>10}  {on}\n");
        }
        out
    }
}

fn stamp(t: Duration) -> String {
    format!("+{:>8.3}s", t.as_secs_f64())
}
