//! The receive path (spec §4 receiver checks, §6.2): validate, sequence, route by type.
//! Every message type a 3.0.6 peer sends in v1 mode is handled or explicitly ignored here.

use std::time::Duration;

use hb_wire::{Message, Verified};

use crate::api::{DropReason, Event, LinkId, ResourceSet};
use crate::node::Node;
use crate::seqtrack::Verdict;
use crate::wire_msg::{self, parse_header, Header};

impl Node {
    pub(crate) fn handle_message(&mut self, link: LinkId, msg: Verified) {
        let msg: Message = msg.into_message();
        let l = link.0 as usize;
        if l >= self.cfg.links.len() {
            return self.drop_msg("", DropReason::Malformed);
        }
        let h = match parse_header(&msg) {
            Ok(h) => h,
            Err(r) => return self.drop_msg(msg.get_str("src").unwrap_or(""), r),
        };
        if h.src == self.cfg.local_node {
            return self.drop_msg(h.src, DropReason::OwnMessage);
        }
        let Some(i) = self.cfg.nodes.iter().position(|n| n == h.src) else {
            return self.drop_msg(h.src, DropReason::UnknownNode);
        };
        if let Some(u) = h.srcuuid {
            self.peers[i].uuid = Some(u);
        }
        let for_us = self.is_for_us(&h);
        let Some(seq) = h.seq else {
            return self.handle_unsequenced(i, l, &h, &msg, for_us);
        };
        let is_status = h.t.eq_ignore_ascii_case("status");
        let was_dead = self.peers[i].was_dead && self.peers[i].status == crate::NodeStatus::Dead;
        let max = self.cfg.max_rexmit_delay.as_millis() as u64;
        let (lo, hi) = if max < 100 { (0, max) } else { (50, max) };
        let rng = &mut self.rng;
        let out = self.peers[i].rx.receive(seq, h.hg, is_status, was_dead, self.now, || {
            Duration::from_millis(rng.range(lo, hi))
        });
        match out.verdict {
            Verdict::Drop(r) => return self.drop_msg(h.src, r),
            Verdict::Duplicate => {
                if for_us {
                    self.refresh_path(i, l);
                }
                return self.count_drop(DropReason::Duplicate);
            }
            Verdict::Accept => {}
        }
        if let Some(a) = self.peers[i].rx.ack_due() {
            let name = self.name(i);
            self.send(wire_msg::ack(i, &name, a));
        }
        if !for_us {
            return self.count_drop(DropReason::NotForUs);
        }
        if !self.peers[i].heard {
            self.peers[i].first_heard = Some(self.now);
        }
        self.peers[i].heard = true;
        self.refresh_path(i, l);
        if out.restarted {
            self.on_peer_restart(i, h.hg);
        }
        if out.returned {
            self.peers[i].was_dead = false;
            self.emit(Event::PeerReturned { node: self.name(i) });
        }
        self.dispatch(i, &h, &msg, out.returned, out.restarted);
    }

    fn is_for_us(&self, h: &Header<'_>) -> bool {
        match (h.destuuid, h.dest) {
            (Some(u), _) => u == self.cfg.uuid,
            (None, Some(d)) => d == self.cfg.local_node,
            (None, None) => true,
        }
    }

    fn handle_unsequenced(
        &mut self,
        i: usize,
        l: usize,
        h: &Header<'_>,
        m: &Message,
        for_us: bool,
    ) {
        if h.hg < self.peers[i].rx.generation {
            return self.drop_msg(h.src, DropReason::Replay);
        }
        if h.t == "NS_nak_rexmit" {
            if let Some(s) = m.get_str("firstseq").and_then(wire_msg::parse_hex32) {
                if self.peers[i].rx.give_up(s) && (for_us || h.dest.is_none()) {
                    self.emit(Event::PacketLost { node: self.name(i), seq: s });
                }
            }
            return;
        }
        if !for_us {
            return self.count_drop(DropReason::NotForUs);
        }
        self.refresh_path(i, l);
        match h.t {
            "NS_ackmsg" => {
                if let Some(a) = m.get_str("ackseq").and_then(wire_msg::parse_hex32) {
                    let highest = self.highest_seq();
                    let p = &mut self.peers[i];
                    if a > p.acked_ours && a <= highest {
                        p.acked_ours = a;
                    }
                }
            }
            "NS_rexmit" => {
                let first = m.get_str("firstseq").and_then(wire_msg::parse_dec32);
                let last = m.get_str("lastseq").and_then(wire_msg::parse_dec32);
                match (first, last) {
                    (Some(f), Some(la)) if f <= la => self.answer_rexmit(i, f, la),
                    _ => self.drop_msg(h.src, DropReason::Malformed),
                }
            }
            // Ping-node heartbeats never come from cluster peers; anything else is unknown.
            _ => self.count_drop(DropReason::Ignored),
        }
    }

    fn dispatch(&mut self, i: usize, h: &Header<'_>, m: &Message, returned: bool, restarted: bool) {
        let t = h.t;
        if t.eq_ignore_ascii_case("status") {
            return self.on_status(i, m, returned, restarted);
        }
        match t {
            "reqnodes" => self.on_reqnodes(i),
            "repnodes" => self.on_repnodes(),
            "shutdone" => self.on_shutdone(i),
            "stonith" => {
                let node = m.get_str("node").unwrap_or("").to_owned();
                let result = m.get_str("result").unwrap_or("").to_owned();
                self.emit(Event::StonithNotice { from: self.name(i), node, result });
            }
            "ip-request" => {
                if let Some(k) = m.get_str("ipaddr") {
                    self.on_ip_request(i, k);
                }
            }
            "ip-request-resp" => {
                if let Some(k) = m.get_str("ipaddr") {
                    let weown = m.get_str("weown") == Some("yes");
                    self.on_ip_request_resp(i, k, weown);
                }
            }
            _ if t.eq_ignore_ascii_case("starting") => self.on_starting(i, h.seq.unwrap_or(0)),
            _ if t.eq_ignore_ascii_case("resource") => {
                let hold = m.get_str("rsc_hold").and_then(ResourceSet::parse);
                let full = m.get_str("rtype") == Some("full");
                let stable = m.get_str("isstable") == Some("1");
                match hold {
                    Some(hold) => {
                        let claims = wire_msg::parse_groups(m, self.groups.len());
                        let seq = h.seq.unwrap_or(0);
                        self.on_resource(i, seq, hold, full, stable, claims)
                    }
                    None => self.drop_msg(h.src, DropReason::Malformed),
                }
            }
            "ask_resources" => {
                let hold = m.get_str("rsc_hold").and_then(ResourceSet::parse);
                match (hold, m.get_str("info")) {
                    (Some(hold), Some(info)) => {
                        let for_node = m.get_str("rsc_for");
                        self.on_ask_resources(i, h.seq.unwrap_or(0), hold, info, for_node)
                    }
                    _ => self.drop_msg(h.src, DropReason::Malformed),
                }
            }
            "hb_takeover" => {
                let hold = m.get_str("rsc_hold").and_then(ResourceSet::parse);
                self.on_hb_takeover(i, hold.unwrap_or(ResourceSet::All));
            }
            // API-client and cluster-administration traffic (spec §5.2 "other message types"):
            // meaningful only to heartbeat's local clients and CRM; ignored on purpose.
            "query-cstatus" | "respond-cstatus" | "hbapi-clstat" | "addnode" | "delnode"
            | "setweight" | "setsite" | "ifstat" | "NS_st" => self.count_drop(DropReason::Ignored),
            _ => self.count_drop(DropReason::Ignored),
        }
    }

    pub(crate) fn drop_msg(&mut self, node: &str, reason: DropReason) {
        self.count_drop(reason);
        if matches!(reason, DropReason::Replay | DropReason::UnknownNode | DropReason::Malformed) {
            self.emit(Event::Dropped { node: node.to_owned(), reason });
        }
    }

    pub(crate) fn count_drop(&mut self, reason: DropReason) {
        let idx = reason as usize;
        if let Some(c) = self.drops.get_mut(idx) {
            *c += 1;
        }
    }
}
