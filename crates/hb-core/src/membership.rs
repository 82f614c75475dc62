//! `status` processing and the "comm up" procedure (spec §7.1, §7.2): `reqnodes`/`repnodes`.

use std::time::Duration;

use hb_wire::Message;

use crate::api::{Event, NodeStatus};
use crate::node::{Comm, Node, Shutdown};
use crate::timers::Timer;
use crate::wire_msg;

impl Node {
    pub(crate) fn on_status(&mut self, i: usize, m: &Message, returned: bool, restarted: bool) {
        let now = self.now;
        // A new generation: heartbeat forgets the node's timestamps (spec §6.2 step 4), so the
        // silence of the restart is not a late heartbeat.
        let last_status = if restarted { None } else { self.peers[i].last_status };
        if let Some(last) = last_status {
            let gap = now.saturating_duration_since(last);
            if gap > self.cfg.warntime {
                let late_by = gap.saturating_sub(self.cfg.keepalive);
                self.emit(Event::LateHeartbeat { node: self.name(i), gap, late_by });
            }
        }
        self.peers[i].last_status = Some(now);
        if let Some(dt) = m.get_str("dt").and_then(wire_msg::parse_hex) {
            if dt > 0 {
                self.peers[i].dead_interval = Some(Duration::from_millis(dt));
            }
        }
        let status = match m.get_str("st") {
            Some("init") => NodeStatus::Init,
            Some("up") => NodeStatus::Up,
            Some("active") => NodeStatus::Active,
            // A node announcing its own death (YATE does; heartbeat 3.0.6 does not).
            Some("dead") => return self.mark_dead(i),
            _ => return,
        };
        // A never-heard node that says `init` is running: count it as up.
        let status = if status == NodeStatus::Init { NodeStatus::Up } else { status };
        let prev = self.peers[i].status;
        self.set_status(i, status);
        if returned {
            // Heartbeat re-sends its status at once when a node returns after a partition.
            self.send_status();
            self.on_peer_returned(i);
        } else if self.comm == Comm::Up
            && status == NodeStatus::Active
            && (restarted || matches!(prev, NodeStatus::Dead | NodeStatus::Init))
        {
            // It became active without us (it started during a partition): like a return
            // after a partition, it may hold groups we hold too.
            self.on_peer_returned(i);
        }
    }

    /// Progress of comm-up, re-evaluated after every input.
    pub(crate) fn check_comm(&mut self) {
        if self.comm != Comm::WaitLinks || !self.started || self.shutdown != Shutdown::None {
            return;
        }
        let all = self.other_indices().all(|i| {
            let p = &self.peers[i];
            p.heard || p.status == NodeStatus::Dead
        });
        if !all {
            return;
        }
        self.links_up = true;
        self.send_reqnodes_or_comm_up();
    }

    fn send_reqnodes_or_comm_up(&mut self) {
        let target = self.other_indices().find(|&i| self.peers[i].is_alive());
        match target {
            Some(t) => {
                let name = self.name(t);
                self.send(wire_msg::reqnodes(t, &name));
                self.comm = Comm::ReqNodes(t);
                self.timers.set(Timer::ReqNodes, self.now + Duration::from_secs(1));
            }
            None => self.comm_up(),
        }
    }

    pub(crate) fn on_reqnodes_timer(&mut self) {
        if let Comm::ReqNodes(t) = self.comm {
            if self.peers[t].is_alive() {
                let name = self.name(t);
                self.send(wire_msg::reqnodes(t, &name));
                self.timers.set(Timer::ReqNodes, self.now + Duration::from_secs(1));
            } else {
                self.send_reqnodes_or_comm_up();
            }
        }
    }

    /// Answer every `reqnodes` with the configured node list, or the peer never goes active.
    pub(crate) fn on_reqnodes(&mut self, i: usize) {
        let name = self.name(i);
        let nodes = self.cfg.nodes.clone();
        self.send(wire_msg::repnodes(i, &name, &nodes));
    }

    /// We do not edit our node list from a peer's `nodelist` (the configuration is ours).
    pub(crate) fn on_repnodes(&mut self) {
        if matches!(self.comm, Comm::ReqNodes(_)) {
            self.comm_up();
        }
    }

    fn comm_up(&mut self) {
        self.comm = Comm::Up;
        self.timers.stop(Timer::ReqNodes);
        self.send_status();
        self.emit(Event::CommUp);
        self.rsc_on_comm_up();
    }
}
