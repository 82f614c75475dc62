//! A second (third…) network between the same namespaces: [`Testnet::add_link`] adds a
//! bridge `br-<ifname>` in the switch namespace and an interface `<ifname>` in every node and
//! in the client, on a /24 of its own. Used for layouts with one VRRP instance per interface
//! (keepalived's two-interface web pair). Everything lives in the harness's namespaces, so
//! dropping the harness removes it.

use std::net::Ipv4Addr;

use crate::{run, Host, Result, Testnet, TestnetError, PREFIX_LEN};

/// One extra link; see the module doc.
#[derive(Debug, Clone)]
pub struct Link {
    /// Interface name inside the nodes and the client.
    pub ifname: String,
    third_octet: u8,
    switch: String,
    /// Node namespaces, then the client's, in [`Testnet`] order.
    hosts: Vec<String>,
}

impl Testnet {
    /// Adds a link named `ifname` (at most 10 characters, not `eth0`) to every node and the
    /// client: node `i` gets `10.99.<o>.<11+i>/24`, the client `.100`, with `<o>` different
    /// from the main link's.
    pub fn add_link(&self, ifname: &str) -> Result<Link> {
        if ifname.is_empty() || ifname.len() > 10 || ifname == crate::IFNAME {
            return Err(TestnetError::Peer(format!("bad link name {ifname:?}")));
        }
        // Any other /24 of 10.99.0.0/16: the link lives only inside this harness's namespaces.
        let third_octet = (self.third_octet % 250).wrapping_add(125) % 250 + 1;
        let bridge = format!("br-{ifname}");
        run(&["ip", "-n", &self.switch, "link", "add", &bridge, "type", "bridge"])?;
        run(&["ip", "-n", &self.switch, "link", "set", &bridge, "up"])?;
        let mut link = Link {
            ifname: ifname.to_owned(),
            third_octet,
            switch: self.switch.clone(),
            hosts: Vec::new(),
        };
        let hosts: Vec<(usize, &Host, u8)> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, h)| (i, h, 11 + i as u8))
            .chain([(99, &self.client, 100)])
            .collect();
        for (i, h, last) in hosts {
            let port = link.port_name(i);
            run(&[
                "ip",
                "-n",
                &self.switch,
                "link",
                "add",
                &port,
                "type",
                "veth",
                "peer",
                "name",
                ifname,
                "netns",
                &h.netns,
            ])?;
            run(&["ip", "-n", &self.switch, "link", "set", &port, "master", &bridge, "up"])?;
            let cidr = format!("{}/{PREFIX_LEN}", link.addr(last));
            run(&["ip", "-n", &h.netns, "addr", "add", &cidr, "brd", "+", "dev", ifname])?;
            run(&["ip", "-n", &h.netns, "link", "set", ifname, "up"])?;
            link.hosts.push(h.netns.clone());
        }
        Ok(link)
    }
}

impl Link {
    fn port_name(&self, i: usize) -> String {
        format!("{}-{i}", self.ifname)
    }

    /// Address `10.99.<o>.<last>` on this link.
    pub fn addr(&self, last: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 99, self.third_octet, last)
    }

    /// Node `i`'s address on this link.
    pub fn node_ip(&self, i: usize) -> Ipv4Addr {
        self.addr(11 + i as u8)
    }

    /// The MAC address of node `i`'s interface on this link.
    pub fn mac_of_node(&self, i: usize) -> Result<String> {
        let ns = self.hosts.get(i).ok_or_else(|| TestnetError::Peer(format!("no node {i}")))?;
        let out = run(&["ip", "-n", ns, "link", "show", &self.ifname])?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .map(str::to_lowercase)
            .ok_or_else(|| TestnetError::Peer(format!("no MAC in {text}")))
    }

    /// ARP-pings `ip` once from the client over this link and returns the MAC that answered.
    pub fn arping_from_client(&self, ip: Ipv4Addr) -> Result<Option<String>> {
        let client = self.hosts.last().ok_or_else(|| TestnetError::Peer("no client".into()))?;
        let ip = ip.to_string();
        let args = ["netns", "exec", client, "arping", "-c", "1", "-w", "1", "-I", &self.ifname];
        let out = std::process::Command::new("ip")
            .args(args)
            .arg(&ip)
            .stdin(std::process::Stdio::null())
            .output()?;
        Ok(crate::parse_arping_mac(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Cuts node `i`'s port on this link (the node sees carrier loss).
    pub fn down(&self, i: usize) -> Result<()> {
        run(&["ip", "-n", &self.switch, "link", "set", &self.port_name(i), "down"]).map(drop)
    }

    /// Restores node `i`'s port on this link.
    pub fn up(&self, i: usize) -> Result<()> {
        run(&["ip", "-n", &self.switch, "link", "set", &self.port_name(i), "up"]).map(drop)
    }
}
