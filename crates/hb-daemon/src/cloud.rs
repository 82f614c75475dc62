//! `ReservedIP::IP[::provider=NAME]` resources: start points the provider's IP at this
//! machine through its API (see `hb-cloud`), stop leaves it (or unassigns it with
//! `unassign_on_stop yes`), and while the group is held a verifier asks every
//! `verify_interval` whether the IP still points here and claims it back when someone moved
//! it. API calls block, so each runs on tokio's blocking pool.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hb_api::EventRecord;
use hb_cloud::{CloudError, Held, ReservedIpClient, Started, UreqTransport};
use hb_config::cloud::{CloudConf, ProviderKind};
use tokio::sync::{broadcast, mpsc};

/// One reserved-IP resource.
#[derive(Debug)]
pub struct ReservedIp {
    /// The address.
    pub ip: IpAddr,
    /// As written in `haresources`.
    pub text: String,
    /// The provider section's client (shared by its resources).
    pub client: Arc<ReservedIpClient>,
    /// Times the verifier or a healed split found the IP elsewhere and claimed it back.
    pub reclaims: AtomicU64,
    verifier: Mutex<Option<tokio::task::AbortHandle>>,
}

/// Where cloud events go besides the log: the alert hook and the admin event stream.
#[derive(Debug, Clone)]
pub struct EventSink {
    alerts: Option<mpsc::Sender<EventRecord>>,
    events: Option<broadcast::Sender<EventRecord>>,
}

impl EventSink {
    /// A sink feeding the alert hook's queue and the admin event stream.
    pub fn new(
        alerts: Option<mpsc::Sender<EventRecord>>,
        events: broadcast::Sender<EventRecord>,
    ) -> Self {
        EventSink { alerts, events: Some(events) }
    }

    /// A sink that only logs (tests).
    pub fn none() -> Self {
        EventSink { alerts: None, events: None }
    }

    fn send(&self, event: &str, detail: String) {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let rec = EventRecord { unix_ms, event: event.into(), detail };
        if let Some(tx) = &self.alerts {
            if tx.try_send(rec.clone()).is_err() {
                tracing::warn!("alert hook queue full: {} not alerted", rec.event);
            }
        }
        if let Some(tx) = &self.events {
            let _ = tx.send(rec);
        }
    }
}

/// Builds one client per `cloud.conf` section that a resource uses.
#[derive(Debug, Default)]
pub struct Clients(HashMap<ProviderKind, Arc<ReservedIpClient>>);

impl Clients {
    /// The resource for `ip` with provider `name` (`None`: the first section).
    pub fn resource(
        &mut self,
        cloud: Option<&CloudConf>,
        ip: IpAddr,
        name: Option<&str>,
        text: &str,
    ) -> Result<ReservedIp, String> {
        let cloud = cloud.ok_or("no cloud.conf was loaded")?;
        let conf = cloud
            .provider(name)
            .ok_or_else(|| format!("provider {name:?} is not configured in cloud.conf"))?;
        let client = self
            .0
            .entry(conf.kind)
            .or_insert_with(|| {
                Arc::new(ReservedIpClient::new(conf.clone(), Arc::new(UreqTransport)))
            })
            .clone();
        crate::metrics::health::cloud().resource(&ip.to_string());
        Ok(ReservedIp {
            ip,
            text: text.to_owned(),
            client,
            reclaims: AtomicU64::new(0),
            verifier: Mutex::new(None),
        })
    }
}

/// Each reserved IP of `groups` (as written) and how many times it was claimed back, for
/// `hbctl status`.
pub fn reclaim_counts(
    groups: &[Arc<Vec<crate::setup::Resource>>],
) -> std::collections::BTreeMap<String, u64> {
    groups
        .iter()
        .flat_map(|g| g.iter())
        .filter_map(|r| match r {
            crate::setup::Resource::ReservedIp(ip) => {
                Some((ip.text.clone(), ip.reclaims.load(Ordering::Relaxed)))
            }
            _ => None,
        })
        .collect()
}

/// `cloud.conf` as text for the reload comparison: a changed setting or a rotated token
/// counts as a change. The token enters only as a hash.
pub fn fingerprint(cloud: &CloudConf) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in &cloud.providers {
        p.token.expose().hash(&mut h);
    }
    format!("{:?}#{:x}", cloud.providers, h.finish())
}

/// Points the IP here, then starts the verifier.
pub async fn start(r: &Arc<ReservedIp>, sink: &EventSink) -> Result<(), String> {
    let began = Instant::now();
    let started = claim(r).await.map_err(|e| format!("{}: {e}", r.text))?;
    log_started(r, &started, began.elapsed());
    let every = r.client.conf().verify_interval;
    if !every.is_zero() {
        let handle = tokio::spawn(verify_loop(r.clone(), sink.clone(), every)).abort_handle();
        if let Some(old) = lock(&r.verifier).replace(handle) {
            old.abort();
        }
    }
    Ok(())
}

/// Stops the verifier; unassigns only with `unassign_on_stop yes`.
pub async fn stop(r: &Arc<ReservedIp>) -> Result<(), String> {
    if let Some(v) = lock(&r.verifier).take() {
        v.abort();
    }
    let client = r.client.clone();
    let ip = r.ip;
    match blocking(r, move || client.stop(ip)).await {
        Ok(true) => tracing::info!("{}: unassigned (unassign_on_stop yes)", r.text),
        Ok(false) => tracing::info!("{}: left in place; the next owner's assign moves it", r.text),
        Err(e) => return Err(format!("{}: {e}", r.text)),
    }
    Ok(())
}

/// After a split heals and we keep the group: the peer may have pointed the IP at itself.
/// Claims it back whatever the verifier's streak (the split that caused it is over).
pub async fn reclaim_after_split(r: &Arc<ReservedIp>, sink: &EventSink) {
    check_and_reclaim(r, sink, "after the split healed").await;
}

/// Consecutive checks that may find the IP elsewhere and claim it back; after that the
/// verifier only reports. During a split of the heartbeat links with the API reachable from
/// both sides, both holders' verifiers would otherwise move the IP back and forth forever; the
/// split's end settles it (the keeper claims it, the other side stops the group).
pub const MAX_RECLAIM_STREAK: u32 = 3;

/// What a verifier check does, given how many checks in a row found the IP elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Claim it back.
    Reclaim,
    /// Stop claiming; alert once that the IP is contested.
    GiveUp,
    /// Already gave up: only log.
    Quiet,
}

/// The verdict for the `streak`-th check in a row (from 1) that found the IP elsewhere.
pub fn verdict(streak: u32) -> Verdict {
    match streak {
        s if s <= MAX_RECLAIM_STREAK => Verdict::Reclaim,
        s if s == MAX_RECLAIM_STREAK + 1 => Verdict::GiveUp,
        _ => Verdict::Quiet,
    }
}

async fn verify_loop(r: Arc<ReservedIp>, sink: EventSink, every: Duration) {
    let why = "verify_interval check";
    let mut streak = 0u32;
    loop {
        tokio::time::sleep(every).await;
        let Some(who) = elsewhere(&r, why).await else {
            streak = 0;
            continue;
        };
        let Some(who) = who else { continue };
        streak = streak.saturating_add(1);
        match verdict(streak) {
            Verdict::Reclaim => reclaim(&r, &sink, why, &who).await,
            Verdict::GiveUp => {
                tracing::error!(
                    "{}: found on {who} at {streak} checks in a row although claimed back each \
                     time; another holder is claiming it too (split?); no more claims until it \
                     is ours again",
                    r.text
                );
                sink.send(
                    "reserved_ip_contested",
                    format!("{} keeps moving to {who}; stopped claiming it back", r.ip),
                );
            }
            Verdict::Quiet => tracing::warn!("{}: {why}: still on {who}", r.text),
        }
    }
}

/// After a split heals and we keep the group: the peer may have pointed the IP at itself.
async fn check_and_reclaim(r: &Arc<ReservedIp>, sink: &EventSink, why: &str) {
    if let Some(Some(who)) = elsewhere(r, why).await {
        reclaim(r, sink, why, &who).await;
    }
}

/// `None`: the IP points here; `Some(None)`: cannot tell; `Some(Some(who))`: it is elsewhere.
async fn elsewhere(r: &Arc<ReservedIp>, why: &str) -> Option<Option<String>> {
    let client = r.client.clone();
    let ip = r.ip;
    match blocking(r, move || client.status(ip)).await {
        Ok(Held::Ours) => None,
        Ok(Held::Other(id)) => Some(Some(format!("instance {id}"))),
        Ok(Held::Unassigned) => Some(Some("nobody".to_owned())),
        Err(e) => {
            tracing::warn!("{}: {why}: cannot tell who holds it: {e}", r.text);
            Some(None)
        }
    }
}

/// Claims the IP back from `who`, counts and alerts.
async fn reclaim(r: &Arc<ReservedIp>, sink: &EventSink, why: &str, who: &str) {
    let n = r.reclaims.fetch_add(1, Ordering::Relaxed) + 1;
    crate::metrics::health::cloud().reclaimed(&r.ip.to_string());
    tracing::warn!(
        "{}: {why}: the provider points it at {who}; claiming it back ({n} so far)",
        r.text
    );
    let began = Instant::now();
    match claim(r).await {
        Ok(s) => {
            log_started(r, &s, began.elapsed());
            sink.send(
                "reserved_ip_reclaimed",
                format!("{} was on {who}; claimed back ({why}, {n} reclaims)", r.ip),
            );
        }
        Err(e) => {
            tracing::error!("{}: claiming it back failed: {e}", r.text);
            sink.send("reserved_ip_failed", format!("{} is on {who}; claim failed: {e}", r.ip));
        }
    }
}

async fn claim(r: &Arc<ReservedIp>) -> Result<Started, CloudError> {
    let client = r.client.clone();
    let ip = r.ip;
    blocking(r, move || client.start(ip)).await
}

fn log_started(r: &ReservedIp, s: &Started, took: Duration) {
    let ms = took.as_millis();
    if s.already_ours {
        tracing::info!("{}: already points at instance {} ({ms} ms)", r.text, s.instance);
    } else {
        let was = s.previous.map_or("nobody".to_owned(), |p| format!("instance {p}"));
        tracing::info!("{}: assigned to instance {} (was {was}) in {ms} ms", r.text, s.instance);
    }
}

/// Runs one API call of `r` on the blocking pool; a failure is counted in the metrics.
async fn blocking<T: Send + 'static>(
    r: &ReservedIp,
    f: impl FnOnce() -> Result<T, CloudError> + Send + 'static,
) -> Result<T, CloudError> {
    let done = match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(CloudError::GaveUp {
            what: "reserved IP call".into(),
            attempts: 0,
            last: format!("its thread ended: {e}"),
            status: None,
        }),
    };
    if let Err(e) = &done {
        crate::metrics::health::cloud().api_failed(&r.ip.to_string(), e);
    }
    done
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_sees_a_rotated_token_but_does_not_show_it() {
        let conf = |t: &str| {
            let text = format!("provider digitalocean\ntoken {t}\n");
            hb_config::cloud::parse_cloud_conf(
                std::path::Path::new("c"),
                &text,
                &|_| unreachable!(),
            )
            .expect("conf")
        };
        let a = fingerprint(&conf("dop_v1_first_token_aaaa"));
        assert_eq!(a, fingerprint(&conf("dop_v1_first_token_aaaa")));
        assert_ne!(a, fingerprint(&conf("dop_v1_second_token_bbb")));
        assert!(!a.contains("dop_v1_first_token_aaaa"), "{a}");
    }

    #[test]
    fn reclaim_counts_list_every_reserved_ip_with_its_count() {
        let text = "provider digitalocean\ntoken dop_v1_aaaa\n";
        let conf = hb_config::cloud::parse_cloud_conf(
            std::path::Path::new("c"),
            text,
            &|_| unreachable!(),
        )
        .expect("conf");
        let mut clients = Clients::default();
        let mut resource = |ip: &str| {
            let text = format!("ReservedIP::{ip}");
            let r = clients.resource(Some(&conf), ip.parse().expect("ip"), None, &text);
            crate::setup::Resource::ReservedIp(Arc::new(r.expect("resource")))
        };
        let (a, b) = (resource("203.0.113.7"), resource("203.0.113.8"));
        if let crate::setup::Resource::ReservedIp(r) = &b {
            r.reclaims.store(3, Ordering::Relaxed);
        }
        let groups = vec![Arc::new(vec![a]), Arc::new(Vec::new()), Arc::new(vec![b])];
        let counts: Vec<(String, u64)> = reclaim_counts(&groups).into_iter().collect();
        assert_eq!(
            counts,
            [("ReservedIP::203.0.113.7".to_owned(), 0), ("ReservedIP::203.0.113.8".to_owned(), 3)]
        );
    }

    /// Two holders that both claim the IP every check would move it forever: each claims it
    /// back three times in a row, then alerts once and only reports.
    #[test]
    fn reclaims_stop_after_a_streak() {
        let verdicts: Vec<Verdict> = (1..=6).map(verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Reclaim,
                Verdict::Reclaim,
                Verdict::Reclaim,
                Verdict::GiveUp,
                Verdict::Quiet,
                Verdict::Quiet
            ]
        );
    }
}
