//! Typed views of heartbeat protocol messages (spec §4, §5), built on [`Message`].
//!
//! Each body type implements [`Body`]: `parse_body` reads it from a message (checking `t`),
//! `write_body` appends `t` and the body fields in the order a 3.0.6 peer emits them.
//! [`Packet`] pairs a body with the [`Header`]; [`Packet::to_message`] gives the complete
//! field list [`Authenticator::seal`](crate::Authenticator::seal) expects (it appends `auth`).
//! [`parse`] dispatches on `t` for received messages.

mod header;
mod membership;
mod resources;

pub use header::{parse_dec, parse_hex, Header};
pub use membership::{AckMsg, NakRexmit, NsSt, RepNodes, ReqNodes, Rexmit, Status};
pub use resources::{
    AskInfo, AskResources, HbTakeover, IpRequest, IpRequestResp, Resource, RscHold, Shutdone,
    Starting, Stonith,
};

use crate::{Message, Value, WireError};

/// A node UUID: 16 raw bytes (`srcuuid`, `destuuid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl std::fmt::Display for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The type-specific part of a message.
pub trait Body: Sized {
    /// The `t` value of this message type.
    const TYPE: &'static str;
    /// Reads the body fields of `msg`; fails if `t` is not [`Self::TYPE`](Body::TYPE).
    fn parse_body(msg: &Message) -> Result<Self, WireError>;
    /// Appends `t` and the body fields in heartbeat's order.
    fn write_body(&self, msg: &mut Message);
}

/// A body with its header: one complete message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<B> {
    /// Header fields.
    pub header: Header,
    /// Type-specific fields.
    pub body: B,
}

impl<B: Body> Packet<B> {
    /// Reads header and body.
    pub fn parse(msg: &Message) -> Result<Packet<B>, WireError> {
        Ok(Packet { body: B::parse_body(msg)?, header: Header::parse(msg)? })
    }

    /// Builds the message: body fields, then header fields (no `auth`).
    pub fn to_message(&self) -> Message {
        let mut msg = Message::new();
        self.body.write_body(&mut msg);
        self.header.write(&mut msg);
        msg
    }
}

/// Any message, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `status`.
    Status(Status),
    /// `NS_ackmsg`.
    Ack(AckMsg),
    /// `NS_rexmit`.
    Rexmit(Rexmit),
    /// `NS_nak_rexmit`.
    NakRexmit(NakRexmit),
    /// `reqnodes`.
    ReqNodes(ReqNodes),
    /// `repnodes`.
    RepNodes(RepNodes),
    /// `NS_st` (ping nodes).
    NsSt(NsSt),
    /// `starting`.
    Starting(Starting),
    /// `resource`.
    Resource(Resource),
    /// `ask_resources`.
    AskResources(AskResources),
    /// `hb_takeover`.
    HbTakeover(HbTakeover),
    /// `ip-request`.
    IpRequest(IpRequest),
    /// `ip-request-resp`.
    IpRequestResp(IpRequestResp),
    /// `stonith`.
    Stonith(Stonith),
    /// `shutdone`.
    Shutdone(Shutdone),
    /// Any other type (heartbeat ignores or hands these to clients); holds `t`.
    Other(String),
}

impl Kind {
    /// Appends `t` and the body fields in heartbeat's order (only `t` for [`Kind::Other`]).
    pub fn write_body(&self, msg: &mut Message) {
        match self {
            Kind::Status(b) => b.write_body(msg),
            Kind::Ack(b) => b.write_body(msg),
            Kind::Rexmit(b) => b.write_body(msg),
            Kind::NakRexmit(b) => b.write_body(msg),
            Kind::ReqNodes(b) => b.write_body(msg),
            Kind::RepNodes(b) => b.write_body(msg),
            Kind::NsSt(b) => b.write_body(msg),
            Kind::Starting(b) => b.write_body(msg),
            Kind::Resource(b) => b.write_body(msg),
            Kind::AskResources(b) => b.write_body(msg),
            Kind::HbTakeover(b) => b.write_body(msg),
            Kind::IpRequest(b) => b.write_body(msg),
            Kind::IpRequestResp(b) => b.write_body(msg),
            Kind::Stonith(b) => b.write_body(msg),
            Kind::Shutdone(b) => b.write_body(msg),
            Kind::Other(t) => msg.push_str("t", t),
        }
    }
}

/// Builds a complete message (no `auth`) from a header and any body.
pub fn build(header: &Header, kind: &Kind) -> Message {
    let mut msg = Message::new();
    kind.write_body(&mut msg);
    header.write(&mut msg);
    msg
}

/// Reads the header and dispatches the body on `t` (exact, case-sensitive match).
pub fn parse(msg: &Message) -> Result<(Header, Kind), WireError> {
    let header = Header::parse(msg)?;
    let t = req_str(msg, "t")?;
    let kind = match t {
        Status::TYPE => Kind::Status(Status::parse_body(msg)?),
        AckMsg::TYPE => Kind::Ack(AckMsg::parse_body(msg)?),
        Rexmit::TYPE => Kind::Rexmit(Rexmit::parse_body(msg)?),
        NakRexmit::TYPE => Kind::NakRexmit(NakRexmit::parse_body(msg)?),
        ReqNodes::TYPE => Kind::ReqNodes(ReqNodes::parse_body(msg)?),
        RepNodes::TYPE => Kind::RepNodes(RepNodes::parse_body(msg)?),
        NsSt::TYPE => Kind::NsSt(NsSt::parse_body(msg)?),
        Starting::TYPE => Kind::Starting(Starting::parse_body(msg)?),
        Resource::TYPE => Kind::Resource(Resource::parse_body(msg)?),
        AskResources::TYPE => Kind::AskResources(AskResources::parse_body(msg)?),
        HbTakeover::TYPE => Kind::HbTakeover(HbTakeover::parse_body(msg)?),
        IpRequest::TYPE => Kind::IpRequest(IpRequest::parse_body(msg)?),
        IpRequestResp::TYPE => Kind::IpRequestResp(IpRequestResp::parse_body(msg)?),
        Stonith::TYPE => Kind::Stonith(Stonith::parse_body(msg)?),
        Shutdone::TYPE => Kind::Shutdone(Shutdone::parse_body(msg)?),
        other => Kind::Other(other.to_owned()),
    };
    Ok((header, kind))
}

/// The first field `name` as a UTF-8 string, or `MissingField`.
fn req_str<'a>(msg: &'a Message, name: &'static str) -> Result<&'a str, WireError> {
    msg.get_str(name).ok_or(WireError::MissingField { name })
}

/// The first field `name` as a UTF-8 string, if present.
fn opt_str<'a>(msg: &'a Message, name: &str) -> Option<&'a str> {
    match msg.get(name) {
        Some(Value::Str(_)) => msg.get_str(name),
        _ => None,
    }
}

/// Fails unless `t` is `expected`.
fn check_type(msg: &Message, expected: &'static str) -> Result<(), WireError> {
    match msg.msg_type() {
        Some(t) if t == expected => Ok(()),
        found => Err(WireError::WrongMessageType {
            expected,
            found: found.unwrap_or_default().to_owned(),
        }),
    }
}
