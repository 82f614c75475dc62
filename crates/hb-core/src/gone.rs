//! The "gone" message: how a peer learns within milliseconds that this node's daemon died
//! (`kill -9`, a panic, the OOM killer) instead of after deadtime.
//!
//! The daemon's crash guardian (a separate process holding a pipe to the daemon) sees the
//! daemon die at once. At start the daemon hands it [`Node::gone_message`], sealed: a sequenced
//! message of type [`GONE_TYPE`] with this incarnation's generation and [`GONE_SEQ`], a `seq`
//! above anything the incarnation will send. The guardian sends it only once the daemon is gone,
//! after removing the addresses, so a peer takes over as it would after deadtime, only sooner.
//!
//! Why it cannot be abused by replaying it: it exists on the wire only after the incarnation
//! (generation) died; the restarted daemon has a higher generation, so a replay is dropped as
//! old (spec §6.2 step 3), and a second copy within the generation is a duplicate (its `seq` is
//! not newer). Why a heartbeat 3.0.6 peer ignores it: a type nobody handles is handed to API
//! clients and `rc.d/<type>` scripts, never an error (spec §5.2); the jump in `seq` is a gap of
//! more than 250, on which heartbeat resets its tracking and accepts (§6.2 step 7). It then
//! declares the node dead after deadtime as before.

use crate::node::Node;
use crate::wire_msg::{Body, HeaderOut};

/// The message type (unknown to heartbeat 3.0.6).
pub const GONE_TYPE: &str = "hbrs-gone";
/// Its `seq`: above anything a daemon sends in practice (at 100 sequenced messages a second,
/// reached after 497 days; past that the message is an old duplicate and ignored, and the peer
/// falls back to deadtime).
pub const GONE_SEQ: u32 = 0xffff_ff00;

impl Node {
    /// The message the crash guardian sends for this incarnation once the daemon has died
    /// (unsealed; seal it with the cluster's authenticator).
    pub fn gone_message(&self) -> hb_wire::Message {
        let mut msg = hb_wire::Message::new();
        msg.push_str("t", GONE_TYPE);
        let h = HeaderOut {
            destuuid: None,
            src: &self.cfg.local_node,
            srcuuid: self.cfg.uuid,
            seq: Some(GONE_SEQ),
            hg: self.generation,
            ts: self.wall(),
            ttl: self.cfg.nodes.len() + 1,
        };
        crate::wire_msg::finish(Body { msg, dest: None }, &h)
    }

    /// A peer's guardian reports its daemon dead: the same as its deadtime running out now.
    pub(crate) fn on_gone(&mut self, i: usize) {
        self.mark_dead(i);
    }
}
