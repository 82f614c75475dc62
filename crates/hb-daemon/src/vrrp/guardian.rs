//! The keepalived mode's crash guardian: a virtual address must not outlive its daemon
//! (keepalived leaves them configured after a `kill -9`, acassen/keepalived#2361).
//!
//! At start the VRRP daemon re-executes this binary as `heartbeat --vrrp-guardian` in its
//! own process group and writes it, one per line, every virtual address it may hold
//! (`ADDR/PREFIX DEV`), then keeps the pipe open. The kernel closes the pipe however the daemon
//! ends. A daemon that stops gracefully writes [`GRACEFUL`] first; on end-of-file without it
//! the guardian removes those addresses (the peer takes over after its master-down interval,
//! so nobody answers for that window rather than a dead node), says so on stderr, and exits.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::process::{Child, ChildStdin, Command, Stdio};

use hb_platform::ipaddr::VipSpec;

/// The argument that selects the guardian (checked before any other parsing).
pub const FLAG: &str = "--vrrp-guardian";
/// What a daemon that stops gracefully writes to its guardian.
pub const GRACEFUL: &str = "graceful";
/// Most bytes the guardian reads (255 addresses × 64 instances fit easily).
const MAX_INPUT: u64 = 4 << 20;

/// The daemon's end of the guardian.
pub struct Guard {
    stdin: Option<ChildStdin>,
    child: Child,
}

impl Guard {
    /// Starts the guardian for `vips`.
    pub fn spawn(vips: &[VipSpec]) -> std::io::Result<Guard> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg(FLAG)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()?;
        let mut stdin = child.stdin.take();
        if let Some(pipe) = stdin.as_mut() {
            pipe.write_all(encode(vips).as_bytes())?;
            pipe.flush()?;
        }
        Ok(Guard { stdin, child })
    }

    /// The guardian's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Tells the guardian the daemon stopped gracefully and waits for it to exit.
    pub fn disarm(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(format!("{GRACEFUL}\n").as_bytes());
        }
        let _ = self.child.wait();
    }
}

/// The lines the guardian reads.
pub fn encode(vips: &[VipSpec]) -> String {
    vips.iter()
        .map(|v| {
            let max = if v.addr.is_ipv4() { 32 } else { 128 };
            let dev = v.iface.as_deref().unwrap_or("-");
            format!("{}/{} {dev}\n", v.addr, v.prefix.unwrap_or(max))
        })
        .collect()
}

/// Reads the guardian's input: the addresses, and whether it ended with [`GRACEFUL`].
/// Malformed lines are skipped.
pub fn decode(text: &str) -> (Vec<VipSpec>, bool) {
    let mut vips = Vec::new();
    let mut graceful = false;
    for line in text.lines() {
        graceful = line == GRACEFUL;
        let mut words = line.split_whitespace();
        let (Some(cidr), Some(dev)) = (words.next(), words.next()) else { continue };
        let Some((addr, prefix)) = cidr.split_once('/') else { continue };
        let (Ok(addr), Ok(prefix)) = (addr.parse::<IpAddr>(), prefix.parse::<u8>()) else {
            continue;
        };
        let iface = (dev != "-").then(|| dev.to_owned());
        vips.push(VipSpec { addr, prefix: Some(prefix), iface, broadcast: None, label: None });
    }
    (vips, graceful)
}

/// The guardian process. Returns the exit code.
pub fn run() -> i32 {
    let mut text = String::new();
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut text);
    let (vips, graceful) = decode(&text);
    if graceful || vips.is_empty() {
        return 0;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return 1;
    };
    rt.block_on(async {
        let netlink = match hb_platform::ipaddr::Netlink::new() {
            Ok(n) => n,
            Err(e) => {
                eprintln!("keepalived guardian: netlink: {e}");
                return 1;
            }
        };
        let results = match netlink.release_all(&vips).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("keepalived guardian: {e}");
                return 1;
            }
        };
        let mut failed = false;
        for (r, v) in results.iter().zip(&vips) {
            match r {
                Ok(hb_platform::ipaddr::Change::Done) => {
                    eprintln!("keepalived guardian: the VRRP daemon died; removed {}", v.addr)
                }
                Ok(_) => {}
                Err(e) => {
                    failed = true;
                    eprintln!(
                        "keepalived guardian: the VRRP daemon died; cannot remove {}: {e}",
                        v.addr
                    );
                }
            }
        }
        i32::from(failed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_graceful_is_the_last_line() {
        let v = |a: &str, p: u8, d: Option<&str>| VipSpec {
            addr: a.parse().unwrap(),
            prefix: Some(p),
            iface: d.map(str::to_owned),
            broadcast: None,
            label: None,
        };
        let vips = vec![v("10.0.0.1", 24, Some("eth0")), v("2001:db8::1", 64, None)];
        let text = encode(&vips);
        assert_eq!(text, "10.0.0.1/24 eth0\n2001:db8::1/64 -\n");
        assert_eq!(decode(&text), (vips.clone(), false));
        assert_eq!(decode(&format!("{text}graceful\n")), (vips.clone(), true));
        let junk = format!("x\n10.0.0.9 eth0\n10.0.0.9/999 eth0\n{text}");
        assert_eq!(decode(&junk).0, vips, "malformed lines skipped");
        assert_eq!(decode(""), (Vec::new(), false));
    }
}
