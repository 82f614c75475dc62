//! v1 resource-manager messages (spec §5.2, §8).

use super::header::invalid;
use super::{check_type, opt_str, req_str, Body};
use crate::{Message, WireError};

/// A set of resource groups, from the sender's point of view (`rsc_hold`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RscHold {
    /// `none`.
    None,
    /// `local`: the groups this node is preferred for.
    Local,
    /// `foreign`: the groups the other node is preferred for.
    Foreign,
    /// `all`.
    All,
}

impl RscHold {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RscHold::None => "none",
            RscHold::Local => "local",
            RscHold::Foreign => "foreign",
            RscHold::All => "all",
        }
    }

    /// Parses the wire spelling.
    pub fn from_wire(s: &str) -> Option<RscHold> {
        match s {
            "none" => Some(RscHold::None),
            "local" => Some(RscHold::Local),
            "foreign" => Some(RscHold::Foreign),
            "all" => Some(RscHold::All),
            _ => None,
        }
    }

    /// The same set seen from the other node (`local` ↔ `foreign`).
    pub fn mirrored(self) -> RscHold {
        match self {
            RscHold::Local => RscHold::Foreign,
            RscHold::Foreign => RscHold::Local,
            other => other,
        }
    }
}

fn req_hold(msg: &Message) -> Result<RscHold, WireError> {
    let v = req_str(msg, "rsc_hold")?;
    RscHold::from_wire(v).ok_or_else(|| invalid("rsc_hold", v))
}

/// `t=starting`: "tell me what you hold". No body fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Starting;

impl Body for Starting {
    const TYPE: &'static str = "starting";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(Starting)
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
    }
}

/// `t=resource`. Full statement: `t rsc_hold rtype=full isstable [info]`; partial update
/// from `mach_down`: `t rsc_hold info` (no `rtype`, no `isstable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// What the sender holds (full) or has just taken over (partial).
    pub rsc_hold: RscHold,
    /// `rtype`: `Some("full")` for a full statement.
    pub rtype: Option<String>,
    /// `isstable` (`1`/`0`); present in full statements.
    pub isstable: Option<bool>,
    /// Optional comment: `req_our_resources()`, `standby`, `shutdown`, `mach_down`.
    pub info: Option<String>,
}

impl Resource {
    /// True for a full statement (`rtype=full`).
    pub fn is_full(&self) -> bool {
        self.rtype.as_deref() == Some("full")
    }
}

impl Body for Resource {
    const TYPE: &'static str = "resource";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        let isstable = match opt_str(msg, "isstable") {
            None => None,
            Some("1") => Some(true),
            Some("0") => Some(false),
            Some(v) => return Err(invalid("isstable", v)),
        };
        Ok(Resource {
            rsc_hold: req_hold(msg)?,
            rtype: opt_str(msg, "rtype").map(str::to_owned),
            isstable,
            info: opt_str(msg, "info").map(str::to_owned),
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("rsc_hold", self.rsc_hold.as_str());
        if let Some(rtype) = &self.rtype {
            msg.push_str("rtype", rtype);
        }
        if let Some(stable) = self.isstable {
            msg.push_str("isstable", if stable { "1" } else { "0" });
        }
        if let Some(info) = &self.info {
            msg.push_str("info", info);
        }
    }
}

/// Step of the standby protocol (`ask_resources info=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AskInfo {
    /// `me`: the requester wants to give up the set.
    Me,
    /// `other`: the partner is ready to take it.
    Other,
    /// `done`: release or acquisition finished.
    Done,
}

impl AskInfo {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AskInfo::Me => "me",
            AskInfo::Other => "other",
            AskInfo::Done => "done",
        }
    }
}

/// `t=ask_resources` (standby / failback protocol). Order: `t rsc_hold info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AskResources {
    /// The set concerned, from the standby requester's point of view.
    pub rsc_hold: RscHold,
    /// Protocol step.
    pub info: AskInfo,
}

impl Body for AskResources {
    const TYPE: &'static str = "ask_resources";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        let info = match req_str(msg, "info")? {
            "me" => AskInfo::Me,
            "other" => AskInfo::Other,
            "done" => AskInfo::Done,
            v => return Err(invalid("info", v)),
        };
        Ok(AskResources { rsc_hold: req_hold(msg)?, info })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("rsc_hold", self.rsc_hold.as_str());
        msg.push_str("info", self.info.as_str());
    }
}

/// `t=hb_takeover`: asks the other node to run `hb_standby` with the mirrored set.
/// Order: `t rsc_hold`. The value is kept as sent (`all`, `local`, `foreign`, `failback`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HbTakeover {
    /// The set the sender wants, as given to `hb_takeover`.
    pub rsc_hold: String,
}

impl HbTakeover {
    /// The set the receiver should give up: `local`→`foreign`, `foreign`→`local`, anything
    /// else (`all`, `failback`) → `all`.
    pub fn standby_set(&self) -> RscHold {
        match RscHold::from_wire(&self.rsc_hold) {
            Some(h @ (RscHold::Local | RscHold::Foreign)) => h.mirrored(),
            _ => RscHold::All,
        }
    }
}

impl Body for HbTakeover {
    const TYPE: &'static str = "hb_takeover";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(HbTakeover { rsc_hold: req_str(msg, "rsc_hold")?.to_owned() })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("rsc_hold", &self.rsc_hold);
    }
}

/// `t=ip-request` (legacy failback): "give me group `ipaddr`". Order: `t ipaddr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRequest {
    /// Resource group key (the haresources line's first resource).
    pub ipaddr: String,
}

impl Body for IpRequest {
    const TYPE: &'static str = "ip-request";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(IpRequest { ipaddr: req_str(msg, "ipaddr")?.to_owned() })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("ipaddr", &self.ipaddr);
    }
}

/// `t=ip-request-resp`: the node in `dest` may now start group `ipaddr`.
/// Order: `t dest ipaddr weown ok`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRequestResp {
    /// The node that should start the group.
    pub dest: String,
    /// Resource group key.
    pub ipaddr: String,
    /// `weown` (`yes`/`no`).
    pub weown: bool,
    /// `ok`, normally `OK`.
    pub ok: String,
}

impl Body for IpRequestResp {
    const TYPE: &'static str = "ip-request-resp";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        let weown = match req_str(msg, "weown")? {
            "yes" => true,
            "no" => false,
            v => return Err(invalid("weown", v)),
        };
        Ok(IpRequestResp {
            dest: req_str(msg, "dest")?.to_owned(),
            ipaddr: req_str(msg, "ipaddr")?.to_owned(),
            weown,
            ok: req_str(msg, "ok")?.to_owned(),
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("dest", &self.dest);
        msg.push_str("ipaddr", &self.ipaddr);
        msg.push_str("weown", if self.weown { "yes" } else { "no" });
        msg.push_str("ok", &self.ok);
    }
}

/// `t=stonith`: the fate of a dead node. Order: `t node result`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stonith {
    /// The dead node.
    pub node: String,
    /// `OK`, `badhost`, `bad`, `n_stnth`, `unneeded`.
    pub result: String,
}

impl Body for Stonith {
    const TYPE: &'static str = "stonith";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(Stonith {
            node: req_str(msg, "node")?.to_owned(),
            result: req_str(msg, "result")?.to_owned(),
        })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("node", &self.node);
        msg.push_str("result", &self.result);
    }
}

/// `t=shutdone`: the sender released everything and is leaving. Order: `t st` (`st=dead`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shutdone {
    /// Status, `dead`.
    pub st: String,
}

impl Body for Shutdone {
    const TYPE: &'static str = "shutdone";

    fn parse_body(msg: &Message) -> Result<Self, WireError> {
        check_type(msg, Self::TYPE)?;
        Ok(Shutdone { st: req_str(msg, "st")?.to_owned() })
    }

    fn write_body(&self, msg: &mut Message) {
        msg.push_str("t", Self::TYPE);
        msg.push_str("st", &self.st);
    }
}
