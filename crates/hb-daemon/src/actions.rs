//! Group actions: start runs a group's resources left to right, stop right to left, as
//! heartbeat's `ResourceManager` does. Addresses are handled natively (netlink + gratuitous
//! ARP); everything else runs as a script with a timeout.

use std::sync::Arc;
use std::time::Duration;

use hb_core::ActionResult;
use hb_platform::garp::GarpConfig;
use hb_platform::ipaddr::{Change, Netlink, VipSpec};
use hb_platform::script::{self, ScriptOutcome, ScriptRunner};

use crate::setup::Resource;

/// How often a failing stop is retried, and how far apart (a resource that will not stop is
/// the worst case: the group may then run on two nodes).
pub const STOP_ATTEMPTS: u32 = 10;
/// Pause between stop attempts.
pub const STOP_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// A second gratuitous ARP burst this long after the first: Linux neighbours ignore updates
/// within `locktime` (1 s) of the previous one, so one burst alone may be missed.
pub const REANNOUNCE_AFTER: Duration = Duration::from_millis(1100);

/// What the action runner needs; cheap to clone into a task.
#[derive(Clone)]
pub struct Runner {
    /// Netlink connection in the daemon's network namespace.
    pub netlink: Arc<Netlink>,
    /// Held around every use of `netlink`: the kernel refuses a second dump on one netlink
    /// socket while another runs (EBUSY), so two groups acting at once failed spuriously.
    pub netlink_lock: Arc<tokio::sync::Mutex<()>>,
    /// Script runner with heartbeat's environment.
    pub scripts: Arc<ScriptRunner>,
    /// Gratuitous ARP on takeover.
    pub garp: GarpConfig,
    /// Pause between stop attempts (tests shorten it).
    pub stop_retry_pause: Duration,
    /// This node's name (for MailTo).
    pub node: String,
    /// The mailer for MailTo.
    pub sendmail: std::path::PathBuf,
    /// Gratuitous ARP / unsolicited NA frames sent (a metric).
    pub announced: prometheus_client::metrics::counter::Counter,
    /// Where reserved-IP re-claims and failures are reported (alert hook, event stream).
    pub cloud_events: crate::cloud::EventSink,
}

impl Runner {
    /// Starts every resource left to right; stops at the first failure. Consecutive addresses
    /// are taken over as one batch (one kernel dump for all of them).
    pub async fn start(&self, group: &[Resource]) -> ActionResult {
        for run in runs(group) {
            let outcome = match run {
                Run::Vips(vips) => self.start_vips(vips).await,
                Run::One(res) => self.start_one(res).await.map_err(|e| (res, e)),
            };
            if let Err((res, reason)) = outcome {
                tracing::error!("Resource {} failed to start: {reason}", res.name());
                return reason.into_result();
            }
        }
        ActionResult::Ok
    }

    /// Stops every resource right to left, each retried; reports the first failure but still
    /// tries to stop the rest. Consecutive addresses are released with one kernel dump; those
    /// that fail are retried one by one.
    pub async fn stop(&self, group: &[Resource]) -> ActionResult {
        let reversed: Vec<Resource> = group.iter().rev().cloned().collect();
        let mut first_failure = None;
        for run in runs(&reversed) {
            match run {
                Run::Vips(vips) => {
                    for (res, first) in vips.iter().zip(self.release_vips(vips).await) {
                        if let Err(reason) = self.stop_retrying(res, first).await {
                            first_failure.get_or_insert(reason);
                        }
                    }
                }
                Run::One(res) => {
                    let first = self.stop_one(res).await;
                    if let Err(reason) = self.stop_retrying(res, first).await {
                        first_failure.get_or_insert(reason);
                    }
                }
            }
        }
        match first_failure {
            None => ActionResult::Ok,
            Some(reason) => reason.into_result(),
        }
    }

    /// Retries a failed stop (`first` is the first attempt's outcome) up to [`STOP_ATTEMPTS`].
    async fn stop_retrying(
        &self,
        res: &Resource,
        first: Result<(), Failure>,
    ) -> Result<(), Failure> {
        let mut outcome = first;
        let mut attempt = 1;
        loop {
            match outcome {
                Ok(()) => return Ok(()),
                Err(reason) if attempt >= STOP_ATTEMPTS => {
                    tracing::error!(
                        "Resource {} failed to stop after {attempt} attempts: {reason}",
                        res.name()
                    );
                    return Err(reason);
                }
                Err(reason) => {
                    tracing::warn!(
                        "Resource {} failed to stop (attempt {attempt}): {reason}; retrying",
                        res.name()
                    );
                    attempt += 1;
                    tokio::time::sleep(self.stop_retry_pause).await;
                    outcome = self.stop_one(res).await;
                }
            }
        }
    }

    /// Announces again (gratuitous ARP / unsolicited NA) the addresses of `group` that this
    /// host holds, now and once more after [`REANNOUNCE_AFTER`]. Never adds an address, so it
    /// cannot undo a release that runs meanwhile. Used when we keep a group that the peer also
    /// held during a partition: the peer's announcements moved the neighbours' caches to its
    /// MAC, and its release sends nothing.
    pub async fn reannounce(&self, group: &[Resource]) {
        // A cloud IP is not announced but assigned: the peer's takeover may have moved it.
        for r in group {
            if let Resource::ReservedIp(r) = r {
                crate::cloud::reclaim_after_split(r, &self.cloud_events).await;
            }
        }
        let (specs, texts) = vip_specs(group.iter());
        for round in 0..2 {
            if round > 0 {
                tokio::time::sleep(REANNOUNCE_AFTER).await;
            }
            let sent = {
                let _netlink = self.netlink_lock.lock().await;
                self.netlink.announce_held(&specs, self.garp).await
            };
            let sent = match sent {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot tell which addresses we hold: {e}");
                    continue;
                }
            };
            for (text, outcome) in texts.iter().zip(sent) {
                match outcome {
                    None => {}
                    Some(Ok(n)) if round == 0 => {
                        self.announced.inc_by(u64::from(n));
                        tracing::info!("{text}: announced again ({n} frames): we keep it");
                    }
                    Some(Ok(n)) => {
                        self.announced.inc_by(u64::from(n));
                    }
                    Some(Err(e)) => tracing::warn!("{text}: cannot announce it again: {e}"),
                }
            }
        }
    }

    /// Takes over consecutive address resources as one batch; then, after
    /// [`REANNOUNCE_AFTER`], announces again those still held.
    async fn start_vips<'a>(&self, vips: &'a [Resource]) -> Result<(), (&'a Resource, Failure)> {
        let (specs, texts) = vip_specs(vips.iter());
        let began = std::time::Instant::now();
        let batch = {
            let _netlink = self.netlink_lock.lock().await;
            self.netlink.take_over_all(&specs, self.garp).await
        };
        if batch.done.len() > 1 {
            tracing::info!(
                "{} addresses added and announced: last first announcement after {:.1} ms, \
                 all rounds after {:.1} ms",
                batch.done.len(),
                batch.first_round_in.as_secs_f64() * 1000.0,
                began.elapsed().as_secs_f64() * 1000.0
            );
        }
        for t in &batch.done {
            self.announced.inc_by(u64::from(t.announced));
            let how = match t.change {
                Change::Done => "added",
                Change::AlreadyInState => "already present",
            };
            tracing::info!(
                "IP address {}/{} on {}: {how}; {} announcement frames sent",
                t.vip.addr,
                t.vip.prefix,
                t.vip.link.name,
                t.announced
            );
        }
        if !batch.done.is_empty() {
            let done = batch.done.len();
            let (netlink, garp, lock) =
                (self.netlink.clone(), self.garp, self.netlink_lock.clone());
            let announced = self.announced.clone();
            let specs = specs[..done].to_vec();
            tokio::spawn(async move {
                tokio::time::sleep(REANNOUNCE_AFTER).await;
                let _netlink = lock.lock().await;
                // Only those we still hold: a release in between must not be undone.
                match netlink.announce_held(&specs, garp).await {
                    Ok(sent) => {
                        for (spec, outcome) in specs.iter().zip(sent) {
                            match outcome {
                                Some(Ok(n)) => {
                                    announced.inc_by(u64::from(n));
                                }
                                Some(Err(e)) => {
                                    tracing::warn!("second announcement of {}: {e}", spec.addr);
                                }
                                None => {}
                            }
                        }
                    }
                    Err(e) => tracing::warn!("second announcement: {e}"),
                }
            });
        }
        match batch.failed {
            None => Ok(()),
            Some((i, e)) => Err((&vips[i], Failure::Failed(format!("{}: {e}", texts[i])))),
        }
    }

    /// Releases consecutive address resources with one dump; one outcome per resource.
    async fn release_vips(&self, vips: &[Resource]) -> Vec<Result<(), Failure>> {
        let (specs, texts) = vip_specs(vips.iter());
        let released = {
            let _netlink = self.netlink_lock.lock().await;
            self.netlink.release_all(&specs).await
        };
        let released = match released {
            Ok(r) => r,
            Err(e) => {
                return texts.iter().map(|t| Err(Failure::Failed(format!("{t}: {e}")))).collect()
            }
        };
        specs
            .iter()
            .zip(texts)
            .zip(released)
            .map(|((spec, text), r)| match r {
                Ok(change) => {
                    if change == Change::Done {
                        tracing::info!("IP address {} released", spec.addr);
                    }
                    Ok(())
                }
                Err(e) => Err(Failure::Failed(format!("{text}: {e}"))),
            })
            .collect()
    }

    async fn start_one(&self, res: &Resource) -> Result<(), Failure> {
        match res {
            Resource::Vip { .. } => match self.start_vips(std::slice::from_ref(res)).await {
                Ok(()) => Ok(()),
                Err((_, reason)) => Err(reason),
            },
            Resource::Script(r) => self.run_script(r, script::Action::Start).await,
            Resource::MailTo(m) => {
                self.mail(m, true).await;
                Ok(())
            }
            Resource::ReservedIp(r) => {
                crate::cloud::start(r, &self.cloud_events).await.map_err(Failure::Failed)
            }
        }
    }

    async fn stop_one(&self, res: &Resource) -> Result<(), Failure> {
        match res {
            Resource::Vip { spec, text } => {
                let change = {
                    let _netlink = self.netlink_lock.lock().await;
                    self.netlink.release(spec).await
                }
                .map_err(|e| Failure::Failed(format!("{text}: {e}")))?;
                if change == Change::Done {
                    tracing::info!("IP address {} released", spec.addr);
                }
                Ok(())
            }
            Resource::Script(r) => self.run_script(r, script::Action::Stop).await,
            Resource::MailTo(m) => {
                self.mail(m, false).await;
                Ok(())
            }
            Resource::ReservedIp(r) => crate::cloud::stop(r).await.map_err(Failure::Failed),
        }
    }

    async fn mail(&self, m: &crate::mailto::MailTo, start: bool) {
        match m.send(&self.sendmail, start, &self.node).await {
            Ok(()) => tracing::info!("MailTo {}: mail handed to the mailer", m.to.join(",")),
            Err(e) => tracing::warn!("MailTo {}: no mail sent: {e}", m.to.join(",")),
        }
    }

    async fn run_script(
        &self,
        r: &script::ResourceRef,
        action: script::Action,
    ) -> Result<(), Failure> {
        let name = r.display_name();
        match self.scripts.run(r, action).await {
            Ok(ScriptOutcome::Ok { .. }) => Ok(()),
            Ok(ScriptOutcome::Failed { code, signal, output_tail }) => {
                let how = match (code, signal) {
                    (Some(c), _) => format!("exit code {c}"),
                    (None, Some(s)) => format!("killed by signal {s}"),
                    (None, None) => "failed".to_owned(),
                };
                let tail = output_tail.trim();
                Err(Failure::Failed(if tail.is_empty() {
                    format!("{name} {action:?}: {how}")
                } else {
                    format!("{name} {action:?}: {how}: {}", last_line(tail))
                }))
            }
            Ok(ScriptOutcome::TimedOut { .. }) => Err(Failure::TimedOut),
            Err(e) => Err(Failure::Failed(format!("{name} {action:?}: {e}"))),
        }
    }
}

/// Why one resource action failed.
#[derive(Debug)]
enum Failure {
    Failed(String),
    TimedOut,
}

impl Failure {
    fn into_result(self) -> ActionResult {
        match self {
            Failure::Failed(s) => ActionResult::Failed(s),
            Failure::TimedOut => ActionResult::TimedOut,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Failed(s) => f.write_str(s),
            Failure::TimedOut => f.write_str("timed out; its process group was killed"),
        }
    }
}

/// A stretch of a group: consecutive address resources, or one other resource.
enum Run<'a> {
    Vips(&'a [Resource]),
    One(&'a Resource),
}

/// Splits `group` into [`Run`]s, in order.
fn runs(group: &[Resource]) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut rest = group;
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|r| matches!(r, Resource::Vip { .. })).count();
        if n == 0 {
            out.push(Run::One(first));
            rest = &rest[1..];
        } else {
            out.push(Run::Vips(&rest[..n]));
            rest = &rest[n..];
        }
    }
    out
}

/// The address specs of the address resources among `resources`, and their texts.
pub(crate) fn vip_specs<'a>(
    resources: impl Iterator<Item = &'a Resource>,
) -> (Vec<VipSpec>, Vec<&'a str>) {
    resources
        .filter_map(|r| match r {
            Resource::Vip { spec, text } => Some((spec.clone(), text.as_str())),
            _ => None,
        })
        .unzip()
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailto::MailTo;

    fn vip(s: &str) -> Resource {
        Resource::Vip { spec: s.parse().unwrap_or_else(|e| panic!("{s}: {e}")), text: s.into() }
    }

    fn mail() -> Resource {
        Resource::MailTo(MailTo { to: vec!["root".into()], subject: "x".into() })
    }

    /// Addresses are batched only while consecutive: the group's order, and so the order
    /// against scripts, is kept.
    #[test]
    fn runs_batch_consecutive_addresses_only() {
        let group = [vip("10.0.0.1"), vip("10.0.0.2"), mail(), vip("10.0.0.3"), mail(), mail()];
        let shape: Vec<String> = runs(&group)
            .iter()
            .map(|r| match r {
                Run::Vips(v) => format!("vips{}", v.len()),
                Run::One(r) => r.name(),
            })
            .collect();
        assert_eq!(shape, ["vips2", "MailTo::root", "vips1", "MailTo::root", "MailTo::root"]);
        assert!(runs(&[]).is_empty());
        let (specs, texts) = vip_specs(group.iter());
        assert_eq!(texts, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(specs.len(), 3);
    }
}
