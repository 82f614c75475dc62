//! The only module that knows field names: parsing incoming headers and building outgoing
//! bodies (spec §4, §5) with the raw `hb_wire::Message` accessors.

use hb_wire::Message;

use crate::api::DropReason;

/// Header fields of an incoming message, checked as `process_clustermsg` checks them.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) t: &'a str,
    pub(crate) src: &'a str,
    pub(crate) srcuuid: Option<[u8; 16]>,
    /// `None` for `NS_*` types.
    pub(crate) seq: Option<u32>,
    pub(crate) hg: u32,
    pub(crate) dest: Option<&'a str>,
    pub(crate) destuuid: Option<&'a [u8]>,
}

/// Parses and checks the header: `t`, `src`, non-zero hex `ts`, `seq` > 0 unless `NS_*`,
/// `hg` hex if present.
pub(crate) fn parse_header(msg: &Message) -> Result<Header<'_>, DropReason> {
    let t = msg.msg_type().ok_or(DropReason::Malformed)?;
    let src = msg.get_str("src").filter(|s| !s.is_empty()).ok_or(DropReason::Malformed)?;
    let ts = msg.get_str("ts").and_then(parse_hex).ok_or(DropReason::Malformed)?;
    if ts == 0 {
        return Err(DropReason::Malformed);
    }
    let seq = if t.starts_with("NS_") {
        None
    } else {
        let s = msg.get_str("seq").and_then(parse_hex32).ok_or(DropReason::Malformed)?;
        if s == 0 {
            return Err(DropReason::Malformed);
        }
        Some(s)
    };
    let hg = match msg.get_str("hg") {
        Some(h) => parse_hex32(h).ok_or(DropReason::Malformed)?,
        None => 0,
    };
    let srcuuid = msg.get_bin("srcuuid").and_then(|b| <[u8; 16]>::try_from(b).ok());
    Ok(Header {
        t,
        src,
        srcuuid,
        seq,
        hg,
        dest: msg.get_str("dest"),
        destuuid: msg.get_bin("destuuid"),
    })
}

/// Lower-case hex as C `strtoul(…, 16)` would accept it (no sign, no `0x`).
pub(crate) fn parse_hex(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

pub(crate) fn parse_hex32(s: &str) -> Option<u32> {
    parse_hex(s).and_then(|v| u32::try_from(v).ok())
}

/// Decimal (the `NS_rexmit` seqs).
pub(crate) fn parse_dec32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    s.parse().ok()
}

/// A body in construction: type-specific fields in wire order, plus the destination node.
pub(crate) struct Body {
    pub(crate) msg: Message,
    /// Index of the destination node (for `destuuid`).
    pub(crate) dest: Option<usize>,
}

impl Body {
    fn new(t: &str) -> Body {
        let mut msg = Message::new();
        msg.push_str("t", t);
        Body { msg, dest: None }
    }

    fn with(mut self, name: &str, value: &str) -> Body {
        self.msg.push_str(name, value);
        self
    }

    fn to(mut self, dest: usize, name: &str) -> Body {
        self.msg.push_str("dest", name);
        self.dest = Some(dest);
        self
    }

    pub(crate) fn is_sequenced(&self) -> bool {
        !self.msg.msg_type().is_some_and(|t| t.starts_with("NS_"))
    }
}

pub(crate) fn status(st: &str, dt_ms: u64) -> Body {
    Body::new("status").with("st", st).with("dt", &format!("{dt_ms:x}")).with("protocol", "1")
}

pub(crate) fn ack(dest: usize, dest_name: &str, seq: u32) -> Body {
    Body::new("NS_ackmsg").to(dest, dest_name).with("ackseq", &format!("{seq:x}"))
}

pub(crate) fn rexmit(dest: usize, dest_name: &str, seq: u32) -> Body {
    let s = seq.to_string();
    Body::new("NS_rexmit").to(dest, dest_name).with("firstseq", &s).with("lastseq", &s)
}

pub(crate) fn nak_rexmit(dest: usize, dest_name: &str, seq: u32, info: &str) -> Body {
    Body::new("NS_nak_rexmit")
        .with("firstseq", &format!("{seq:x}"))
        .to(dest, dest_name)
        .with("info", info)
}

pub(crate) fn reqnodes(dest: usize, dest_name: &str) -> Body {
    Body::new("reqnodes").to(dest, dest_name)
}

/// `repnodes` is the one message whose first field is `dest`.
pub(crate) fn repnodes(dest: usize, dest_name: &str, nodes: &[String]) -> Body {
    let mut msg = Message::new();
    msg.push_str("dest", dest_name);
    msg.push_str("t", "repnodes");
    let list: String = nodes.iter().map(|n| format!("{n} ")).collect();
    msg.push_str("nodelist", &list);
    msg.push_str("delnodelist", " ");
    Body { msg, dest: Some(dest) }
}

pub(crate) fn starting() -> Body {
    Body::new("starting")
}

pub(crate) fn resource_full(hold: &str, stable: bool, info: Option<&str>) -> Body {
    let b = Body::new("resource").with("rsc_hold", hold).with("rtype", "full");
    let b = b.with("isstable", if stable { "1" } else { "0" });
    match info {
        Some(i) => b.with("info", i),
        None => b,
    }
}

/// Extension for clusters of more than two nodes, where `rsc_hold` is ambiguous: the indices of
/// every group the sender claims (` ` when none). Heartbeat ignores unknown fields; two-node
/// clusters never carry it, so their messages stay byte-compatible with the captures.
pub(crate) fn with_groups(mut b: Body, groups: &[usize]) -> Body {
    let list: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let v = if list.is_empty() { " ".to_owned() } else { list.join(" ") };
    b.msg.push_str("rsc_groups", &v);
    b
}

/// Parses [`with_groups`]' field.
pub(crate) fn parse_groups(m: &Message, count: usize) -> Option<Vec<usize>> {
    let v = m.get_str("rsc_groups")?;
    Some(v.split_whitespace().filter_map(|x| x.parse().ok()).filter(|&g| g < count).collect())
}

pub(crate) fn resource_machdown() -> Body {
    Body::new("resource").with("rsc_hold", "foreign").with("info", "mach_down")
}

pub(crate) fn ask_resources(hold: &str, info: &str) -> Body {
    Body::new("ask_resources").with("rsc_hold", hold).with("info", info)
}

/// A partner's `other`/`done`, naming the requester in clusters of more than two nodes (an
/// extension field heartbeat ignores; two-node clusters never carry it).
pub(crate) fn ask_resources_for(hold: &str, info: &str, requester: Option<&str>) -> Body {
    let b = ask_resources(hold, info);
    match requester {
        Some(r) => b.with("rsc_for", r),
        None => b,
    }
}

pub(crate) fn hb_takeover(hold: &str) -> Body {
    Body::new("hb_takeover").with("rsc_hold", hold)
}

pub(crate) fn ip_request(key: &str) -> Body {
    Body::new("ip-request").with("ipaddr", key)
}

pub(crate) fn ip_request_resp(dest: usize, dest_name: &str, key: &str, weown: bool) -> Body {
    Body::new("ip-request-resp")
        .to(dest, dest_name)
        .with("ipaddr", key)
        .with("weown", if weown { "yes" } else { "no" })
        .with("ok", "OK")
}

pub(crate) fn stonith(node: &str, result: &str) -> Body {
    Body::new("stonith").with("node", node).with("result", result)
}

pub(crate) fn shutdone() -> Body {
    Body::new("shutdone").with("st", "dead")
}

/// Header values the node adds to every body (spec §4 order).
pub(crate) struct HeaderOut<'a> {
    pub(crate) destuuid: Option<[u8; 16]>,
    pub(crate) src: &'a str,
    pub(crate) srcuuid: [u8; 16],
    pub(crate) seq: Option<u32>,
    pub(crate) hg: u32,
    pub(crate) ts: u64,
    pub(crate) ttl: usize,
}

/// Appends `destuuid`, `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`, `ttl`; `seq` and `ld` only for
/// sequenced (non-`NS_*`) messages. The `auth` field is the sealer's job.
pub(crate) fn finish(mut body: Body, h: &HeaderOut<'_>) -> Message {
    if let Some(u) = h.destuuid {
        body.msg.push_bin("destuuid", &u);
    }
    body.msg.push_str("src", h.src);
    body.msg.push_bin("srcuuid", &h.srcuuid);
    if let Some(seq) = h.seq {
        body.msg.push_str("seq", &format!("{seq:x}"));
    }
    body.msg.push_str("hg", &format!("{:x}", h.hg));
    body.msg.push_str("ts", &format!("{:x}", h.ts.max(1)));
    if h.seq.is_some() {
        // The engine cannot read /proc/loadavg; heartbeat itself sends `n/a` when it cannot.
        body.msg.push_str("ld", "n/a");
    }
    body.msg.push_str("ttl", &h.ttl.to_string());
    body.msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(m: &Message) -> Vec<&str> {
        m.fields().iter().map(|f| f.name.as_str()).collect()
    }

    fn hdr(seq: Option<u32>, destuuid: Option<[u8; 16]>) -> HeaderOut<'static> {
        HeaderOut {
            destuuid,
            src: "n1",
            srcuuid: [1; 16],
            seq,
            hg: 0x6b03d216,
            ts: 0x6b03de20,
            ttl: 3,
        }
    }

    #[test]
    fn field_orders_match_the_captures() {
        let m = finish(status("active", 10_000), &hdr(Some(6), None));
        assert_eq!(
            names(&m),
            ["t", "st", "dt", "protocol", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"]
        );
        assert_eq!(m.get_str("dt"), Some("2710"));
        assert_eq!(m.get_str("hg"), Some("6b03d216"));
        let m = finish(ack(1, "n2", 0x2e), &hdr(None, Some([2; 16])));
        assert_eq!(
            names(&m),
            ["t", "dest", "ackseq", "destuuid", "src", "srcuuid", "hg", "ts", "ttl"]
        );
        let m =
            finish(repnodes(1, "n2", &["n1".into(), "n2".into()]), &hdr(Some(8), Some([2; 16])));
        assert_eq!(names(&m)[..4], ["dest", "t", "nodelist", "delnodelist"]);
        assert_eq!(m.get_str("nodelist"), Some("n1 n2 "));
        assert_eq!(m.get_str("delnodelist"), Some(" "));
        let m = finish(
            ip_request_resp(0, "n1", "IPaddr::10.0.0.1", true),
            &hdr(Some(9), Some([1; 16])),
        );
        assert_eq!(names(&m)[..6], ["t", "dest", "ipaddr", "weown", "ok", "destuuid"]);
        let m = rexmit(1, "n2", 42).msg;
        assert_eq!(m.get_str("firstseq"), Some("42"));
        let m = nak_rexmit(1, "n2", 42, "seqno not found").msg;
        assert_eq!(m.get_str("firstseq"), Some("2a"));
        assert_eq!(names(&m), ["t", "firstseq", "dest", "info"]);
    }

    #[test]
    fn header_checks() {
        let mut m = finish(starting(), &hdr(Some(0x1a), None));
        let h = parse_header(&m);
        assert!(matches!(h, Ok(Header { seq: Some(0x1a), hg: 0x6b03d216, .. })));
        m.set_str("ts", "0");
        assert_eq!(parse_header(&m).err(), Some(DropReason::Malformed));
        let mut m = finish(starting(), &hdr(Some(1), None));
        m.set_str("seq", "zz");
        assert_eq!(parse_header(&m).err(), Some(DropReason::Malformed));
        assert_eq!(parse_dec32("42"), Some(42));
        assert_eq!(parse_hex32("2a"), Some(42));
    }
}
