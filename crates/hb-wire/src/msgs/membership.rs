//! Core membership and transport messages (spec §5.1).

use super::header::{hex_field, invalid, req_dec, req_hex};
use super::{check_type, opt_str, req_str, Body};
use crate::{Message, WireError};

/// `t=status`: the periodic heartbeat. Order: `t st dt protocol`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Node status: `init`, `up`, `active`, …
    pub st: String,
    /// The sender's deadtime in ms (hex on the wire).
    pub dt: Option<u64>,
    /// `protocol=1` while the sender has flow control enabled (decimal).
    pub protocol: Option<u32>,
}

impl Body for Status {
    const TYPE: &'static str = "status";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        let protocol = match opt_str(msg, "protocol") {
            None => None,
            Some(_) => Some(
                u32::try_from(req_dec(msg, "protocol")?)
                    .map_err(|_| invalid("protocol", opt_str(msg, "protocol").unwrap_or("")))?,
            ),
        };
        Ok(Status { st: req_str(msg, "st")?.to_owned(), dt: hex_field(msg, "dt")?, protocol })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("st", &self.st);
        if let Some(dt) = self.dt {
            msg.push_str("dt", &format!("{dt:x}"));
        }
        if let Some(p) = self.protocol {
            msg.push_str("protocol", &p.to_string());
        }
    }
}

/// `t=NS_ackmsg`: acknowledges the `dest` node's messages up to `ackseq`.
/// Order: `t dest ackseq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckMsg {
    /// The node whose messages are acknowledged.
    pub dest: String,
    /// Highest acknowledged seq (hex).
    pub ackseq: u64,
}

impl Body for AckMsg {
    const TYPE: &'static str = "NS_ackmsg";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(AckMsg { dest: req_str(msg, "dest")?.to_owned(), ackseq: req_hex(msg, "ackseq")? })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("dest", &self.dest);
        msg.push_str("ackseq", &format!("{:x}", self.ackseq));
    }
}

/// `t=NS_rexmit`: asks `dest` to resend seqs `firstseq..=lastseq`.
/// Order: `t dest firstseq lastseq`. Both numbers are **decimal**.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rexmit {
    /// The node asked to retransmit.
    pub dest: String,
    /// First missing seq (decimal on the wire).
    pub firstseq: u64,
    /// Last missing seq (decimal on the wire).
    pub lastseq: u64,
}

impl Body for Rexmit {
    const TYPE: &'static str = "NS_rexmit";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(Rexmit {
            dest: req_str(msg, "dest")?.to_owned(),
            firstseq: req_dec(msg, "firstseq")?,
            lastseq: req_dec(msg, "lastseq")?,
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("dest", &self.dest);
        msg.push_str("firstseq", &self.firstseq.to_string());
        msg.push_str("lastseq", &self.lastseq.to_string());
    }
}

/// `t=NS_nak_rexmit`: the seq cannot be retransmitted. Order: `t firstseq dest info`;
/// `firstseq` is **hex**.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NakRexmit {
    /// The seq that is lost for good (hex on the wire).
    pub firstseq: u64,
    /// The requester.
    pub dest: String,
    /// Reason text (`seqno too low`, `seqno not found`).
    pub info: String,
}

impl Body for NakRexmit {
    const TYPE: &'static str = "NS_nak_rexmit";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(NakRexmit {
            firstseq: req_hex(msg, "firstseq")?,
            dest: req_str(msg, "dest")?.to_owned(),
            info: opt_str(msg, "info").unwrap_or_default().to_owned(),
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("firstseq", &format!("{:x}", self.firstseq));
        msg.push_str("dest", &self.dest);
        msg.push_str("info", &self.info);
    }
}

/// `t=reqnodes`: asks `dest` for its node list. Order: `t dest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReqNodes {
    /// The node asked.
    pub dest: String,
}

impl Body for ReqNodes {
    const TYPE: &'static str = "reqnodes";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(ReqNodes { dest: req_str(msg, "dest")?.to_owned() })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("dest", &self.dest);
    }
}

/// `repnodes`: the answer to `reqnodes`. Order: `dest t nodelist delnodelist` (the only
/// message whose first field is not `t`). Each list is written as names each followed by
/// one space; an empty list as a single space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepNodes {
    /// The requester.
    pub dest: String,
    /// Normal (non-ping) nodes in configuration order.
    pub nodelist: Vec<String>,
    /// Deleted nodes.
    pub delnodelist: Vec<String>,
}

impl Body for RepNodes {
    const TYPE: &'static str = "repnodes";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        let list = |name| -> Result<Vec<String>, WireError> {
            Ok(req_str(msg, name)?.split_ascii_whitespace().map(str::to_owned).collect())
        };
        Ok(RepNodes {
            dest: req_str(msg, "dest")?.to_owned(),
            nodelist: list("nodelist")?,
            delnodelist: list("delnodelist")?,
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("dest", &self.dest);
        msg.push_str("t", Self::TYPE);
        msg.push_str("nodelist", &node_list(&self.nodelist));
        msg.push_str("delnodelist", &node_list(&self.delnodelist));
    }
}

fn node_list(names: &[String]) -> String {
    if names.is_empty() {
        return " ".to_owned();
    }
    names.iter().map(|n| format!("{n} ")).collect()
}

/// `t=NS_st`: a ping node's status, built locally from ICMP replies (never sent to peers).
/// Order: `t st info`, then header `src` (the ping address) and `ts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsSt {
    /// Status, `ping`.
    pub st: String,
    /// Info, `ping`.
    pub info: String,
}

impl Body for NsSt {
    const TYPE: &'static str = "NS_st";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(NsSt {
            st: req_str(msg, "st")?.to_owned(),
            info: opt_str(msg, "info").unwrap_or_default().to_owned(),
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("st", &self.st);
        msg.push_str("info", &self.info);
    }
}
