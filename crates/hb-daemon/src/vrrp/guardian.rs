//! Crash safety of the keepalived mode: no virtual address outlives the daemon. keepalived
//! gets this from its two processes (kill -9 of the parent and the VRRP child releases the
//! addresses; issue #2361 in its tracker is about the rest). Here, as in the heartbeat mode
//! ([`crate::guardian`]), a small guardian process (this binary, argv[0] `keepalived`,
//! `--vrrp-guardian`) in its own process group holds the read end of a pipe from the daemon.
//! The daemon sends it the addresses it may hold (every instance's, except a priority-255
//! owner's, which are its own) and, for each instance that is master, the priority-0 advert
//! it would send on stop, at start, after each reload and state change; and [`GRACEFUL`] when
//! it stops properly. End of file without it (kill -9, a panic, the OOM killer): the guardian
//! sends those priority-0 adverts (the backup takes over after its skew time instead of the
//! whole master-down interval, as when keepalived's VRRP child outlives its parent), removes
//! those addresses from this host, logs it, and exits, so the peer's takeover is not met by a
//! dead node still answering ARP.

use std::io::{BufRead, Write};
use std::net::IpAddr;
use std::process::{Child, ChildStdin, Command, Stdio};

use hb_platform::ipaddr::VipSpec;

use super::sock::VrrpSocket;

/// A priority-0 advert the guardian sends if the daemon dies: interface, IP source and
/// destination, VRRP payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goodbye {
    /// Interface to send on.
    pub iface: String,
    /// IP source (the instance's primary or `unicast_src_ip` address).
    pub src: IpAddr,
    /// Multicast group or unicast peer.
    pub dst: IpAddr,
    /// The encoded advert.
    pub payload: Vec<u8>,
}

impl Goodbye {
    fn line(&self) -> String {
        let hex: String = self.payload.iter().map(|b| format!("{b:02x}")).collect();
        format!("bye {} {} {} {hex}\n", self.iface, self.src, self.dst)
    }

    fn parse(line: &str) -> Option<Goodbye> {
        let mut w = line.strip_prefix("bye ")?.split_whitespace();
        let (iface, src, dst, hex) = (w.next()?, w.next()?, w.next()?, w.next()?);
        if hex.len() % 2 != 0 || hex.len() > 2 * super::sock::MAX_PACKET || iface.len() > 15 {
            return None;
        }
        let payload = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Goodbye {
            iface: iface.into(),
            src: src.parse().ok()?,
            dst: dst.parse().ok()?,
            payload,
        })
    }
}
/// The argument that selects the guardian (`heartbeat --vrrp-guardian`, checked before any
/// other parsing; under the name `keepalived` the same flag works).
pub const FLAG: &str = "--vrrp-guardian";
/// What a daemon that stops gracefully writes to its guardian.
pub const GRACEFUL: &str = "graceful";
/// Most addresses the guardian keeps (a bound on what the pipe may make it hold).
pub const MAX_ADDRESSES: usize = 4096;

/// The daemon's end of the guardian.
pub struct VrrpGuard {
    stdin: Option<ChildStdin>,
    child: Child,
}

impl VrrpGuard {
    /// Starts the guardian.
    pub fn spawn() -> std::io::Result<VrrpGuard> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg0("keepalived")
            .arg("--vrrp-guardian")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(VrrpGuard { stdin: child.stdin.take(), child })
    }

    /// The guardian's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Replaces the set of addresses the guardian removes and adverts it sends if the
    /// daemon dies.
    pub fn publish(&mut self, addrs: &[IpAddr], byes: &[Goodbye]) {
        let Some(stdin) = self.stdin.as_mut() else { return };
        let mut msg = String::from("set\n");
        for a in addrs.iter().take(MAX_ADDRESSES) {
            msg.push_str(&format!("{a}\n"));
        }
        for b in byes.iter().take(MAX_ADDRESSES) {
            msg.push_str(&b.line());
        }
        msg.push_str("end\n");
        if let Err(e) = stdin.write_all(msg.as_bytes()).and_then(|()| stdin.flush()) {
            tracing::error!("crash guardian (pid {}) unreachable: {e}", self.child.id());
        }
    }

    /// Tells the guardian the daemon stopped gracefully and waits for it to exit.
    pub fn disarm(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(format!("{GRACEFUL}\n").as_bytes());
        }
        let _ = self.child.wait();
    }
}

/// What the guardian read: the last complete set, and whether the daemon said goodbye.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Heard {
    /// The addresses of the last `set` … `end` block.
    pub addrs: Vec<IpAddr>,
    /// Its priority-0 adverts.
    pub byes: Vec<Goodbye>,
    /// [`GRACEFUL`] arrived.
    pub graceful: bool,
}

/// Reads the daemon's messages until end of file or [`GRACEFUL`]. A block cut short (the
/// daemon died while writing it) leaves the previous set; lines that are not addresses are
/// skipped.
pub fn listen(input: impl BufRead) -> Heard {
    let mut heard = Heard::default();
    let mut pending: Option<(Vec<IpAddr>, Vec<Goodbye>)> = None;
    for line in input.lines() {
        let Ok(line) = line else { break };
        match line.trim() {
            GRACEFUL => {
                heard.graceful = true;
                break;
            }
            "set" => pending = Some((Vec::new(), Vec::new())),
            "end" => {
                if let Some((addrs, byes)) = pending.take() {
                    heard.addrs = addrs;
                    heard.byes = byes;
                }
            }
            word => {
                let Some((addrs, byes)) = pending.as_mut() else { continue };
                if let Some(b) = Goodbye::parse(word) {
                    if byes.len() < MAX_ADDRESSES {
                        byes.push(b);
                    }
                } else if let Ok(a) = word.parse::<IpAddr>() {
                    if addrs.len() < MAX_ADDRESSES {
                        addrs.push(a);
                    }
                }
            }
        }
    }
    heard
}

/// The guardian process: waits for the daemon, removes its addresses unless it ended
/// gracefully. Returns the exit code.
pub fn run() -> i32 {
    let heard = listen(std::io::stdin().lock());
    if heard.graceful || (heard.addrs.is_empty() && heard.byes.is_empty()) {
        return 0;
    }
    let host =
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let targets = hb_platform::logging::LogTargets {
        stderr: true,
        facility: Some(hb_platform::logging::Facility::DAEMON),
        ..Default::default()
    };
    let _ = hb_platform::logging::init(targets, "Keepalived_vrrp", &host);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return 1;
    };
    rt.block_on(async {
        let netlink = match hb_platform::ipaddr::Netlink::new() {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("crash guardian: netlink: {e}");
                return 1;
            }
        };
        for b in &heard.byes {
            let IpAddr::V4(src) = b.src else { continue };
            let sent = match VrrpSocket::open_sender(&b.iface, src) {
                Ok(sock) => {
                    let send = sock.send_when_ready(b.dst, &b.payload);
                    match tokio::time::timeout(std::time::Duration::from_secs(1), send).await {
                        Ok(r) => r,
                        Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut)),
                    }
                }
                Err(e) => Err(e),
            };
            match sent {
                Ok(_) => tracing::error!(
                    "the VRRP daemon died: priority-0 advert sent to {} on {} for it",
                    b.dst,
                    b.iface
                ),
                Err(e) => {
                    tracing::error!("the VRRP daemon died; priority-0 advert to {}: {e}", b.dst)
                }
            }
        }
        let specs: Vec<VipSpec> = heard
            .addrs
            .iter()
            .map(|a| VipSpec { addr: *a, prefix: None, iface: None, broadcast: None, label: None })
            .collect();
        match netlink.release_all(&specs).await {
            Ok(results) => {
                let mut failed = false;
                for (r, s) in results.iter().zip(&specs) {
                    match r {
                        Ok(hb_platform::ipaddr::Change::Done) => tracing::error!(
                            "the VRRP daemon died without releasing its addresses: removed {}",
                            s.addr
                        ),
                        Ok(_) => {}
                        Err(e) => {
                            failed = true;
                            tracing::error!("the VRRP daemon died; cannot remove {}: {e}", s.addr);
                        }
                    }
                }
                i32::from(failed)
            }
            Err(e) => {
                tracing::error!("crash guardian: {e}");
                1
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_complete_set_wins_and_graceful_disarms() {
        let h = listen("set\n10.0.0.1\n10.0.0.2\nend\nset\n10.0.0.3\nend\n".as_bytes());
        assert_eq!(h.addrs, ["10.0.0.3".parse::<IpAddr>().unwrap()]);
        assert!(!h.graceful);
        let cut = listen("set\n10.0.0.1\nend\nset\n10.0.0.9\n".as_bytes());
        assert_eq!(cut.addrs, ["10.0.0.1".parse::<IpAddr>().unwrap()], "a cut block is ignored");
        let bye = listen("set\n10.0.0.1\nend\ngraceful\n".as_bytes());
        assert!(bye.graceful);
        let junk = listen("10.0.0.7\nset\nnot an address\nfe80::1\nend\n".as_bytes());
        assert_eq!(junk.addrs, ["fe80::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(listen("".as_bytes()), Heard::default());
    }

    #[test]
    fn goodbyes_round_trip_and_bad_ones_are_skipped() {
        let b = Goodbye {
            iface: "eth0".into(),
            src: "10.0.0.1".parse().unwrap(),
            dst: "224.0.0.18".parse().unwrap(),
            payload: vec![0x21, 51, 0, 1, 0, 1, 0xab, 0xcd],
        };
        let text = format!(
            "set\n10.0.0.9\n{}bye eth0 x y 00\nbye eth0 10.0.0.1 224.0.0.18 abc\nend\n",
            b.line()
        );
        let h = listen(text.as_bytes());
        assert_eq!(h.byes, [b]);
        assert_eq!(h.addrs, ["10.0.0.9".parse::<IpAddr>().unwrap()]);
    }
}
