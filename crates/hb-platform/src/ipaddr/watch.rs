//! Address and carrier events from the kernel (rtnetlink multicast groups, no polling).

use futures_util::StreamExt;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::constants::{RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_LINK};
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::sys::{AsyncSocket, SocketAddr};
use tokio::sync::mpsc;

use super::{addr_info, AddrInfo};
use crate::{PlatformError, Result};

/// Events buffered for the consumer; the kernel socket buffers beyond that (a stalled
/// consumer loses events to `ENOBUFS` rather than growing our memory).
pub const WATCH_QUEUE: usize = 256;

/// Something that changed on this host's interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetEvent {
    /// An address appeared.
    AddressAdded(AddrInfo),
    /// An address went away.
    AddressRemoved(AddrInfo),
    /// An interface's state: `carrier` is the kernel's `IFF_LOWER_UP`.
    Link {
        /// Interface index.
        index: u32,
        /// Interface name.
        name: String,
        /// Administratively up.
        up: bool,
        /// Physical link (carrier) present.
        carrier: bool,
    },
}

/// Subscribes to address and link changes; events arrive on the returned channel until it is
/// dropped. Must be called inside a tokio runtime.
pub fn watch() -> Result<mpsc::Receiver<NetEvent>> {
    let (mut conn, _handle, mut messages) =
        rtnetlink::new_connection().map_err(|e| PlatformError::io("open netlink socket", e))?;
    let groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, groups))
        .map_err(|e| PlatformError::io("bind netlink event socket", e))?;
    let conn_task = tokio::spawn(conn);
    let (tx, rx) = mpsc::channel(WATCH_QUEUE);
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let event = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => {
                    addr_info(&a).map(NetEvent::AddressAdded)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => {
                    addr_info(&a).map(NetEvent::AddressRemoved)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => Some(link(&l)),
                _ => None,
            };
            if let Some(ev) = event {
                if tx.send(ev).await.is_err() {
                    break;
                }
            }
        }
        conn_task.abort();
    });
    Ok(rx)
}

fn link(msg: &LinkMessage) -> NetEvent {
    let name = msg
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default();
    NetEvent::Link {
        index: msg.header.index,
        name,
        up: msg.header.flags.contains(LinkFlags::Up),
        carrier: msg.header.flags.contains(LinkFlags::LowerUp),
    }
}
