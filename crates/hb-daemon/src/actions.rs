//! Group actions: start runs a group's resources left to right, stop right to left, as
//! heartbeat's `ResourceManager` does. Addresses are handled natively (netlink + gratuitous
//! ARP); everything else runs as a script with a timeout.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hb_core::ActionResult;
use hb_platform::garp::{self, GarpConfig};
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
}

impl Runner {
    /// Starts every resource left to right; stops at the first failure.
    pub async fn start(&self, group: &[Resource]) -> ActionResult {
        for res in group {
            if let Err(reason) = self.start_one(res).await {
                tracing::error!("Resource {} failed to start: {reason}", res.name());
                return reason.into_result();
            }
        }
        ActionResult::Ok
    }

    /// Stops every resource right to left, each retried; reports the first failure but still
    /// tries to stop the rest.
    pub async fn stop(&self, group: &[Resource]) -> ActionResult {
        let mut first_failure = None;
        for res in group.iter().rev() {
            let mut attempt = 1;
            loop {
                match self.stop_one(res).await {
                    Ok(()) => break,
                    Err(reason) if attempt >= STOP_ATTEMPTS => {
                        tracing::error!(
                            "Resource {} failed to stop after {attempt} attempts: {reason}",
                            res.name()
                        );
                        first_failure.get_or_insert(reason);
                        break;
                    }
                    Err(reason) => {
                        tracing::warn!(
                            "Resource {} failed to stop (attempt {attempt}): {reason}; retrying",
                            res.name()
                        );
                        attempt += 1;
                        tokio::time::sleep(self.stop_retry_pause).await;
                    }
                }
            }
        }
        match first_failure {
            None => ActionResult::Ok,
            Some(reason) => reason.into_result(),
        }
    }

    /// Announces again (gratuitous ARP / unsolicited NA) the addresses of `group` that this
    /// host holds, now and once more after [`REANNOUNCE_AFTER`]. Never adds an address, so it
    /// cannot undo a release that runs meanwhile. Used when we keep a group that the peer also
    /// held during a partition: the peer's announcements moved the neighbours' caches to its
    /// MAC, and its release sends nothing.
    pub async fn reannounce(&self, group: &[Resource]) {
        for round in 0..2 {
            if round > 0 {
                tokio::time::sleep(REANNOUNCE_AFTER).await;
            }
            for res in group {
                let Resource::Vip { spec, text } = res else { continue };
                let _netlink = self.netlink_lock.lock().await;
                match self.netlink.holds(spec).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!("{text}: cannot tell whether we hold it: {e}");
                        continue;
                    }
                }
                match self.announce(spec).await {
                    Ok(n) if round == 0 => {
                        tracing::info!("{text}: announced again ({n} frames): we keep it");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("{text}: cannot announce it again: {e}"),
                }
            }
        }
    }

    async fn announce(&self, spec: &VipSpec) -> hb_platform::Result<u32> {
        let vip = self.netlink.resolve(spec).await?;
        match (vip.addr, vip.link.mac) {
            (IpAddr::V4(a), Some(mac)) => {
                garp::announce_ipv4(vip.link.index, mac, a, self.garp).await
            }
            (IpAddr::V6(a), Some(mac)) => {
                garp::announce_ipv6(&vip.link.name, vip.link.index, mac, a, self.garp).await
            }
            (_, None) => Ok(0),
        }
    }

    async fn start_one(&self, res: &Resource) -> Result<(), Failure> {
        match res {
            Resource::Vip { spec, text } => {
                let t = {
                    let _netlink = self.netlink_lock.lock().await;
                    self.netlink.take_over(spec, self.garp).await
                }
                .map_err(|e| Failure::Failed(format!("{text}: {e}")))?;
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
                let (netlink, spec, garp) = (self.netlink.clone(), spec.clone(), self.garp);
                let lock = self.netlink_lock.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(REANNOUNCE_AFTER).await;
                    let _netlink = lock.lock().await;
                    // Only if we still hold it: a release in between must not be undone.
                    if netlink.holds(&spec).await.unwrap_or(false) {
                        if let Err(e) = netlink.take_over(&spec, garp).await {
                            tracing::warn!("second announcement of {}: {e}", spec.addr);
                        }
                    }
                });
                Ok(())
            }
            Resource::Script(r) => self.run_script(r, script::Action::Start).await,
            Resource::MailTo(m) => {
                self.mail(m, true).await;
                Ok(())
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

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text)
}
