//! The etcd side of the lease arbiter (issue 19): one task owns the etcd client, keeps our
//! lease alive, and carries out the engine's [`LeaseRequest`]s; what it learns goes back to
//! the engine as [`LeaseInput`]s. The engine decides (see `hb_core`'s `lease` module); this
//! task never starts or stops anything.
//!
//! Keys: `PREFIX/CLUSTER/groups/NAME` → node name, attached to our lease. Acquisition is one
//! transaction: create the key if it does not exist (`create_revision == 0`), else read it.
//! A key that names us under an older lease (our previous incarnation) is taken over with a
//! transaction on its `mod_revision`. Release deletes the key only if it is still ours (a
//! transaction on value and lease). A watch on the prefix reports deletions (a holder's
//! release, or its lease expiring) at once; every keep-alive tick also re-reads the prefix,
//! so a lost watch event costs at most one tick.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, PutOptions, Txn, TxnOp,
    TxnOpResponse, WatchOptions, WatchStream,
};
use hb_config::arbiter::ArbiterConf;
use hb_core::{GroupId, LeaseInput, LeaseRequest};
use tokio::sync::mpsc;

/// What `hbctl status` and the metrics show of the arbiter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArbiterStatus {
    /// etcd answers.
    pub reachable: bool,
    /// Our lease id (0: none granted yet).
    pub lease_id: i64,
    /// Lease TTL in seconds.
    pub ttl_secs: i64,
    /// TTL etcd reported at the last keep-alive.
    pub remaining_secs: i64,
    /// Per group (haresources order): the holder named by the key, if any.
    pub holders: Vec<Option<String>>,
    /// Successful keep-alives.
    pub keepalives: u64,
    /// Failed etcd requests.
    pub failures: u64,
    /// Keys acquired.
    pub acquired: u64,
    /// Keys lost while held.
    pub lost: u64,
    /// The policy (`keep` or `release`).
    pub policy: &'static str,
}

/// The daemon's end of the arbiter task.
pub struct Arbiter {
    requests: mpsc::UnboundedSender<LeaseRequest>,
    reports: mpsc::UnboundedReceiver<LeaseInput>,
    /// Shared status.
    pub status: Arc<Mutex<ArbiterStatus>>,
}

impl Arbiter {
    /// Starts the task. `groups`: group names in haresources order.
    pub fn start(conf: &ArbiterConf, local: &str, groups: &[String], deadtime: Duration) -> Self {
        let (req_tx, req_rx) = mpsc::unbounded_channel();
        let (rep_tx, rep_rx) = mpsc::unbounded_channel();
        let ttl = conf.lease_ttl_for(deadtime);
        let status = Arc::new(Mutex::new(ArbiterStatus {
            ttl_secs: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
            holders: vec![None; groups.len()],
            policy: conf.unreachable.name(),
            reachable: false,
            ..ArbiterStatus::default()
        }));
        let task = Task {
            conf: conf.clone(),
            local: local.to_owned(),
            keys: groups.iter().map(|g| conf.group_key(g)).collect(),
            prefix: format!("{}/{}/groups/", conf.prefix, conf.cluster),
            ttl,
            client: None,
            lease: None,
            keeper: None,
            watch: None,
            wanted: BTreeSet::new(),
            held: BTreeSet::new(),
            to_delete: BTreeMap::new(),
            told_busy: BTreeMap::new(),
            reachable: None,
            reports: rep_tx,
            status: status.clone(),
        };
        tracing::info!(
            "etcd arbiter: endpoints {}, keys {}*, lease {} s, unreachable {}",
            conf.endpoints.join(" "),
            task.prefix,
            ttl.as_secs(),
            conf.unreachable.name()
        );
        tokio::spawn(task.run(req_rx));
        Arbiter { requests: req_tx, reports: rep_rx, status }
    }

    /// Passes an engine request on.
    pub fn request(&self, req: LeaseRequest) {
        if self.requests.send(req).is_err() {
            tracing::error!("etcd arbiter task is gone; request dropped");
        }
    }

    /// The next report for the engine.
    pub async fn next(&mut self) -> Option<LeaseInput> {
        self.reports.recv().await
    }

    /// A copy of the status.
    pub fn snapshot(&self) -> ArbiterStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Waits for the arbiter's next report, or forever without an arbiter.
pub async fn next_opt(a: &mut Option<Arbiter>) -> Option<LeaseInput> {
    match a {
        Some(a) => a.next().await,
        None => std::future::pending().await,
    }
}

struct Task {
    conf: ArbiterConf,
    local: String,
    keys: Vec<String>,
    prefix: String,
    ttl: Duration,
    client: Option<Client>,
    lease: Option<i64>,
    keeper: Option<(etcd_client::LeaseKeeper, etcd_client::LeaseKeepAliveStream)>,
    watch: Option<WatchStream>,
    /// Groups the engine wants the key of and does not have yet.
    wanted: BTreeSet<usize>,
    /// Groups whose key we hold.
    held: BTreeSet<usize>,
    /// Keys released while etcd was unreachable: (group → lease) still to delete.
    to_delete: BTreeMap<usize, i64>,
    /// Last holder reported to the engine for a wanted group.
    told_busy: BTreeMap<usize, String>,
    reachable: Option<bool>,
    reports: mpsc::UnboundedSender<LeaseInput>,
    status: Arc<Mutex<ArbiterStatus>>,
}

/// An etcd request failed or timed out.
struct Unreachable(String);

type Res<T> = Result<T, Unreachable>;

impl Task {
    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<LeaseRequest>) {
        // Keep-alives four times per TTL, at most a second apart: an outage is noticed
        // within a period plus a request timeout (the default `grace` counts on that).
        let period = (self.ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(1));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                req = requests.recv() => match req {
                    Some(r) => self.on_request(r).await,
                    None => break,
                },
                ev = next_watch(&mut self.watch) => self.on_watch(ev).await,
                _ = tick.tick() => self.on_tick().await,
            }
        }
        // The daemon is exiting: give the keys back at once rather than after the TTL.
        if let (Some(c), Some(id)) = (self.client.as_mut(), self.lease) {
            let _ = tokio::time::timeout(self.conf.timeout, c.lease_revoke(id)).await;
        }
    }

    async fn on_request(&mut self, req: LeaseRequest) {
        match req {
            LeaseRequest::Acquire { group } => {
                let g = usize::from(group.0);
                if g >= self.keys.len() {
                    return;
                }
                self.to_delete.remove(&g);
                if self.held.contains(&g) {
                    // Still ours? Check before answering.
                    self.held.remove(&g);
                }
                self.wanted.insert(g);
                self.told_busy.remove(&g);
                let r = self.try_acquire(g).await;
                self.settle(r);
            }
            LeaseRequest::Release { group } => {
                let g = usize::from(group.0);
                self.wanted.remove(&g);
                self.told_busy.remove(&g);
                if self.held.remove(&g) {
                    if let Some(id) = self.lease {
                        self.to_delete.insert(g, id);
                    }
                }
                let r = self.flush_deletes().await;
                self.settle(r);
            }
        }
    }

    async fn on_tick(&mut self) {
        let r = self.tick_inner().await;
        self.settle(r);
    }

    async fn tick_inner(&mut self) -> Res<()> {
        self.ensure_lease().await?;
        self.keep_alive().await?;
        if self.watch.is_none() {
            self.open_watch().await?;
        }
        self.flush_deletes().await?;
        self.verify().await?;
        let wanted: Vec<usize> = self.wanted.iter().copied().collect();
        for g in wanted {
            self.try_acquire(g).await?;
        }
        Ok(())
    }

    /// Records the outcome of a round of requests: reachability changes are reported.
    fn settle(&mut self, r: Res<()>) {
        match r {
            Ok(()) => self.set_reachable(true, ""),
            Err(Unreachable(why)) => {
                let n = match self.status.lock() {
                    Ok(mut s) => {
                        s.failures += 1;
                        s.failures
                    }
                    Err(_) => 0,
                };
                // Rate-limited: an outage fails every tick.
                if n.is_power_of_two() {
                    tracing::warn!("etcd arbiter: request failure #{n}: {why}");
                }
                // Start afresh next tick: a new connection, keep-alive stream and watch (a
                // connection that stalled may never recover by itself).
                self.client = None;
                self.keeper = None;
                self.watch = None;
                self.set_reachable(false, &why);
            }
        }
    }

    fn set_reachable(&mut self, up: bool, why: &str) {
        if let Ok(mut s) = self.status.lock() {
            s.reachable = up;
        }
        if self.reachable == Some(up) {
            return;
        }
        let first = self.reachable.is_none();
        self.reachable = Some(up);
        if up {
            if !first {
                tracing::warn!("etcd arbiter: etcd answers again");
            }
            self.report(LeaseInput::StoreReachable);
        } else {
            tracing::error!("etcd arbiter: etcd unreachable: {why}");
            self.report(LeaseInput::StoreUnreachable);
        }
    }

    fn report(&self, input: LeaseInput) {
        let _ = self.reports.send(input);
    }

    async fn client(&mut self) -> Res<&mut Client> {
        if self.client.is_none() {
            let c = connect(&self.conf).await?;
            self.client = Some(c);
        }
        self.client.as_mut().ok_or_else(|| Unreachable("no client".into()))
    }

    async fn ensure_lease(&mut self) -> Res<()> {
        if self.lease.is_some() {
            return Ok(());
        }
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let timeout = self.conf.timeout;
        let c = self.client().await?;
        let resp = within(timeout, c.lease_grant(ttl, None)).await?;
        let id = resp.id();
        tracing::info!("etcd arbiter: lease {id:x} granted, TTL {} s", resp.ttl());
        self.lease = Some(id);
        if let Ok(mut s) = self.status.lock() {
            s.lease_id = id;
            s.remaining_secs = resp.ttl();
        }
        Ok(())
    }

    async fn keep_alive(&mut self) -> Res<()> {
        let Some(id) = self.lease else { return Ok(()) };
        if self.lease_alive(id).await? {
            return Ok(());
        }
        // Cut off from etcd for longer than the TTL (`keep` policy). Every key of the lease
        // is gone; take each back under a new lease if nobody else took it meanwhile (the
        // engine hears nothing then: no second holder existed, and a stop and start would
        // only cost the clients a gap). A key someone else holds is reported lost, and the
        // engine stops that group at once.
        tracing::error!("etcd arbiter: lease {id:x} expired; taking its keys back if free");
        self.lease = None;
        self.keeper = None;
        self.to_delete.clear();
        if let Ok(mut s) = self.status.lock() {
            s.lease_id = 0;
        }
        self.ensure_lease().await?;
        let held: Vec<usize> = std::mem::take(&mut self.held).into_iter().collect();
        for g in held {
            self.wanted.insert(g);
            self.told_busy.remove(&g);
            // Whoever holds it now is reported as `OwnedBy`, which the engine, still
            // holding the group, takes as a lost key.
            self.try_acquire(g).await?;
        }
        Ok(())
    }

    /// One keep-alive of lease `id`: `Ok(false)` when etcd says the lease is gone.
    async fn lease_alive(&mut self, id: i64) -> Res<bool> {
        let timeout = self.conf.timeout;
        if self.keeper.is_none() {
            let c = self.client().await?;
            match within(timeout, c.lease_keep_alive(id)).await {
                Ok(k) => self.keeper = Some(k),
                // etcd-client's error when the first answer shows the lease gone.
                Err(Unreachable(e)) if e.contains("lease not found") => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        let Some((keeper, stream)) = self.keeper.as_mut() else { return Ok(true) };
        within(timeout, keeper.keep_alive()).await?;
        let ttl = match tokio::time::timeout(timeout, stream.message()).await {
            Ok(Ok(Some(r))) => r.ttl(),
            Ok(Err(e)) if e.to_string().contains("lease not found") => 0,
            Ok(Ok(None)) => return Err(Unreachable("keep-alive stream closed".into())),
            Ok(Err(e)) => return Err(Unreachable(e.to_string())),
            Err(_) => return Err(Unreachable("keep-alive timed out".into())),
        };
        if ttl <= 0 {
            return Ok(false);
        }
        if let Ok(mut s) = self.status.lock() {
            s.keepalives += 1;
            s.remaining_secs = ttl;
        }
        Ok(true)
    }

    async fn open_watch(&mut self) -> Res<()> {
        let timeout = self.conf.timeout;
        let prefix = self.prefix.clone();
        let c = self.client().await?;
        let opts = WatchOptions::new().with_prefix();
        self.watch = Some(within(timeout, c.watch(prefix, Some(opts))).await?);
        Ok(())
    }

    async fn on_watch(&mut self, ev: Option<etcd_client::WatchResponse>) {
        let Some(resp) = ev else {
            // Stream ended or failed: reopened on the next tick (verify covers the gap).
            self.watch = None;
            return;
        };
        let mut freed = Vec::new();
        for e in resp.events() {
            let Some(kv) = e.kv() else { continue };
            let Some(g) = self.keys.iter().position(|k| k.as_bytes() == kv.key()) else {
                continue;
            };
            match e.event_type() {
                EventType::Delete => {
                    self.set_holder(g, None);
                    if self.held.remove(&g) {
                        self.lost(g, None);
                    }
                    if self.wanted.contains(&g) {
                        freed.push(g);
                    }
                }
                EventType::Put => {
                    let owner = String::from_utf8_lossy(kv.value()).into_owned();
                    self.set_holder(g, Some(owner.clone()));
                    let ours = owner == self.local && Some(kv.lease()) == self.lease;
                    if !ours && self.held.remove(&g) {
                        self.lost(g, Some(owner));
                    }
                }
            }
        }
        for g in freed {
            let r = self.try_acquire(g).await;
            self.settle(r);
        }
    }

    fn lost(&mut self, g: usize, holder: Option<String>) {
        let group = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
        tracing::error!(
            "etcd arbiter: key {} lost (now {})",
            self.keys[g],
            holder.as_deref().unwrap_or("absent")
        );
        if let Ok(mut s) = self.status.lock() {
            s.lost += 1;
        }
        self.report(match holder {
            Some(node) => LeaseInput::OwnedBy { group, node },
            None => LeaseInput::Lost { group },
        });
    }

    fn set_holder(&self, g: usize, holder: Option<String>) {
        if let Ok(mut s) = self.status.lock() {
            if let Some(slot) = s.holders.get_mut(g) {
                *slot = holder;
            }
        }
    }

    /// Re-reads every group key: keys we hold must still name us under our lease.
    async fn verify(&mut self) -> Res<()> {
        let timeout = self.conf.timeout;
        let prefix = self.prefix.clone();
        let c = self.client().await?;
        let resp = within(timeout, c.get(prefix, Some(GetOptions::new().with_prefix()))).await?;
        let mut seen: Vec<Option<(String, i64)>> = vec![None; self.keys.len()];
        for kv in resp.kvs() {
            if let Some(g) = self.keys.iter().position(|k| k.as_bytes() == kv.key()) {
                seen[g] = Some((String::from_utf8_lossy(kv.value()).into_owned(), kv.lease()));
            }
        }
        for (g, entry) in seen.into_iter().enumerate() {
            self.set_holder(g, entry.as_ref().map(|(n, _)| n.clone()));
            if !self.held.contains(&g) {
                continue;
            }
            match entry {
                Some((n, l)) if n == self.local && Some(l) == self.lease => {}
                Some((n, _)) => {
                    self.held.remove(&g);
                    self.lost(g, Some(n));
                }
                None => {
                    self.held.remove(&g);
                    self.lost(g, None);
                }
            }
        }
        Ok(())
    }

    async fn try_acquire(&mut self, g: usize) -> Res<()> {
        if !self.wanted.contains(&g) {
            return Ok(());
        }
        self.ensure_lease().await?;
        let Some(lease) = self.lease else { return Ok(()) };
        let key = self.keys[g].clone();
        let local = self.local.clone();
        let timeout = self.conf.timeout;
        let put = TxnOp::put(key.clone(), local.clone(), Some(PutOptions::new().with_lease(lease)));
        let txn = Txn::new()
            .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
            .and_then([put.clone()])
            .or_else([TxnOp::get(key.clone(), None)]);
        let c = self.client().await?;
        let resp = within(timeout, c.txn(txn)).await?;
        if resp.succeeded() {
            return self.acquired(g);
        }
        let current = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(g) => g.kvs().first().cloned(),
            _ => None,
        });
        let Some(kv) = current else {
            // Deleted between the compare and now: the next tick tries again.
            return Ok(());
        };
        let owner = String::from_utf8_lossy(kv.value()).into_owned();
        if owner == self.local {
            if kv.lease() == lease {
                return self.acquired(g);
            }
            // Our previous incarnation's key: it cannot be running anything (we removed
            // leftovers at start-up), so take it over under the new lease.
            let txn = Txn::new()
                .when([Compare::mod_revision(key.clone(), CompareOp::Equal, kv.mod_revision())])
                .and_then([put]);
            let c = self.client().await?;
            if within(timeout, c.txn(txn)).await?.succeeded() {
                return self.acquired(g);
            }
            return Ok(());
        }
        self.set_holder(g, Some(owner.clone()));
        if self.told_busy.get(&g) != Some(&owner) {
            self.told_busy.insert(g, owner.clone());
            let group = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
            self.report(LeaseInput::OwnedBy { group, node: owner });
        }
        Ok(())
    }

    fn acquired(&mut self, g: usize) -> Res<()> {
        self.wanted.remove(&g);
        self.told_busy.remove(&g);
        self.held.insert(g);
        self.set_holder(g, Some(self.local.clone()));
        if let Ok(mut s) = self.status.lock() {
            s.acquired += 1;
        }
        tracing::info!("etcd arbiter: key {} acquired", self.keys[g]);
        let group = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
        self.report(LeaseInput::Acquired { group });
        Ok(())
    }

    /// Deletes released keys that still name us under the lease they were held with.
    async fn flush_deletes(&mut self) -> Res<()> {
        let todo: Vec<(usize, i64)> = self.to_delete.iter().map(|(&g, &l)| (g, l)).collect();
        let timeout = self.conf.timeout;
        for (g, lease) in todo {
            let key = self.keys[g].clone();
            let local = self.local.clone();
            let txn = Txn::new()
                .when([
                    Compare::value(key.clone(), CompareOp::Equal, local),
                    Compare::lease(key.clone(), CompareOp::Equal, lease),
                ])
                .and_then([TxnOp::delete(key.clone(), None)]);
            let c = self.client().await?;
            within(timeout, c.txn(txn)).await?;
            self.to_delete.remove(&g);
            self.set_holder(g, None);
            tracing::info!("etcd arbiter: key {key} released");
        }
        Ok(())
    }
}

async fn connect(conf: &ArbiterConf) -> Res<Client> {
    let mut opts = ConnectOptions::new()
        .with_timeout(conf.timeout)
        .with_connect_timeout(conf.timeout)
        .with_keep_alive(conf.timeout, conf.timeout);
    if conf.tls() {
        let mut tls = etcd_client::TlsOptions::new();
        if let Some(ca) = &conf.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| Unreachable(format!("cannot read {}: {e}", ca.display())))?;
            tls = tls.ca_certificate(etcd_client::Certificate::from_pem(pem));
        }
        if let (Some(cert), Some(key)) = (&conf.cert_file, &conf.key_file) {
            let c = std::fs::read(cert)
                .map_err(|e| Unreachable(format!("cannot read {}: {e}", cert.display())))?;
            let k = std::fs::read(key)
                .map_err(|e| Unreachable(format!("cannot read {}: {e}", key.display())))?;
            tls = tls.identity(etcd_client::Identity::from_pem(c, k));
        }
        opts = opts.with_tls(tls);
    }
    within(conf.timeout, Client::connect(conf.endpoints.clone(), Some(opts))).await
}

async fn within<T>(
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T, etcd_client::Error>>,
) -> Res<T> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Unreachable(e.to_string())),
        Err(_) => Err(Unreachable(format!("no answer within {timeout:?}"))),
    }
}

async fn next_watch(w: &mut Option<WatchStream>) -> Option<etcd_client::WatchResponse> {
    match w {
        Some(s) => s.message().await.ok().flatten(),
        None => std::future::pending().await,
    }
}
