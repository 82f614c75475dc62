//! Received adverts: the instance-level checks, then RFC 3768/5798 §6.4 as keepalived 2.2.7
//! runs it (its `vrrp_state_backup` and `vrrp_state_master_rx`), plus the dual-master
//! re-announcement keepalived lacks.

use std::net::IpAddr;

use crate::api::{Event, Output, Reason, State};
use crate::codec::{Advert, Auth, Version, VRRP_TTL};
use crate::instance::{Instance, PRIORITY_OWNER};
use crate::reject::Reject;

impl Instance {
    pub(crate) fn handle_advert(&mut self, advert: &Advert, src: IpAddr, ttl: u8) {
        if let Err(reason) = self.check(advert, src, ttl) {
            self.reject(reason, src);
            return;
        }
        self.counters.adverts_received += 1;
        if advert.priority == 0 {
            self.counters.priority_zero_received += 1;
        }
        if !same_set(&advert.addresses, &self.cfg.virtual_addresses) {
            self.counters.address_mismatch += 1;
        }
        match self.state {
            State::Backup => self.backup_rx(advert, src),
            State::Master => self.master_rx(advert, src),
            // `check` refused these already.
            State::Init | State::Fault | State::Stop => {}
        }
    }

    fn check(&self, advert: &Advert, src: IpAddr, ttl: u8) -> Result<(), Reject> {
        if !matches!(self.state, State::Backup | State::Master) {
            return Err(Reject::NotListening);
        }
        // Routed unicast peers arrive with a decremented TTL; keepalived checks multicast only.
        if self.cfg.unicast_peers.is_empty() && ttl != VRRP_TTL {
            return Err(Reject::BadTtl);
        }
        if advert.vrid != self.cfg.vrid {
            return Err(Reject::VridMismatch);
        }
        if advert.version != self.cfg.version {
            return Err(Reject::VersionMismatch);
        }
        if src.is_ipv4() != self.cfg.primary_address.is_ipv4() {
            return Err(Reject::FamilyMismatch);
        }
        if src == self.cfg.primary_address {
            return Err(Reject::OwnAddress);
        }
        if self.cfg.version == Version::V2 {
            match (self.cfg.auth, advert.auth) {
                (None, Auth::None(_)) => {}
                (Some(ours), Auth::Pass(theirs)) if ours == theirs => {}
                (Some(_), Auth::Pass(_)) => return Err(Reject::AuthMismatch),
                _ => return Err(Reject::AuthTypeMismatch),
            }
            if advert.interval_cs() != u32::from(self.cfg.advert_int_cs) {
                return Err(Reject::IntervalMismatch);
            }
        }
        Ok(())
    }

    fn backup_rx(&mut self, advert: &Advert, src: IpAddr) {
        let now = self.now;
        let prio = advert.priority;
        if prio == 0 {
            // The master is leaving: take over after the skew time only.
            let skew = crate::timing::skew(self.cfg.version, self.effective, self.master_adv_cs);
            self.main_at = Some(now + skew);
            self.next_master_reason = Reason::PriorityZero;
            return;
        }
        let delay = self.cfg.preempt_delay;
        let tolerated = !delay.is_zero() && self.preempt_until.is_none_or(|t| t > now);
        if self.cfg.nopreempt || prio >= self.effective || tolerated {
            if self.cfg.version == Version::V3 {
                self.master_adv_cs = advert.interval_cs();
            }
            self.main_at = Some(now + self.master_down_interval());
            self.master = Some((src, prio));
            self.next_master_reason = Reason::MasterDown;
            if !delay.is_zero() {
                if prio >= self.effective {
                    self.preempt_until = None;
                } else if self.preempt_until.is_none() {
                    self.preempt_until = Some(now + delay);
                }
            }
        } else {
            // A lower-priority master: ignore it and let the down timer run out (RFC: discard).
            self.master = Some((src, prio));
            self.next_master_reason = Reason::Preempt;
        }
    }

    fn master_rx(&mut self, advert: &Advert, src: IpAddr) {
        let prio = advert.priority;
        if prio == 0 {
            // A leaving master of the same VRID: make sure everybody hears the current one.
            self.send_advert(self.effective);
            return;
        }
        if prio == self.effective && prio == PRIORITY_OWNER {
            // Two owners: a configuration error; keepalived lowers its own priority to 254.
            self.base_priority = PRIORITY_OWNER - 1;
            self.recompute_priority();
            self.event(Event::OwnerConflict { peer: src });
        }
        let ours = self.cfg.primary_address;
        if prio < self.effective || (prio == self.effective && src < ours) {
            self.dual_master(src, prio);
        } else {
            if self.cfg.version == Version::V3 {
                self.master_adv_cs = advert.interval_cs();
            }
            let reason = if prio > self.effective {
                Reason::HigherPriority
            } else {
                Reason::EqualPriorityHigherAddress
            };
            self.master = Some((src, prio));
            self.leave_master_to_backup(reason);
        }
    }

    /// Another, worse master exists: it will yield on our advert. Re-assert at once, and (at
    /// most once per master-down interval, so a peer that never yields cannot make us spin)
    /// re-announce the addresses and re-run the master notify: during the episode the other
    /// node may have taken the addresses or run its own notify (keepalived #166, #1884).
    fn dual_master(&mut self, peer: IpAddr, peer_priority: u8) {
        self.counters.dual_master += 1;
        self.send_advert(self.effective);
        let now = self.now;
        let quiet = self.master_down_interval();
        if self.last_reassert.is_some_and(|t| now.saturating_duration_since(t) < quiet) {
            return;
        }
        self.last_reassert = Some(now);
        self.event(Event::DualMaster { peer, peer_priority });
        self.push(Output::Announce { repeat: self.cfg.garp_master_repeat });
        self.push(Output::Notify(State::Master));
    }
}

fn same_set(a: &[IpAddr], b: &[IpAddr]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
