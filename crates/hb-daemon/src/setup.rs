//! Turning the parsed `/etc/ha.d` files into what the daemon runs with: the media to open,
//! each group's resources, the authenticator and the engine configuration.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hb_config::haresources::ResourceKind;
use hb_config::{AuthKeys, Config, Medium};
use hb_platform::ipaddr::VipSpec;
use hb_platform::media::MediumSpec;
use hb_platform::script::ResourceRef;
use hb_wire::{AuthKey, AuthMethod, Authenticator};

/// One resource of a group, ready to run.
#[derive(Debug, Clone)]
pub enum Resource {
    /// `IPaddr`/`IPaddr2`, handled natively through netlink.
    Vip {
        /// The address, prefix, interface and broadcast as written.
        spec: VipSpec,
        /// As written in `haresources`, for logs.
        text: String,
    },
    /// A `resource.d`/`init.d` script or an OCF agent.
    Script(ResourceRef),
    /// `MailTo::ADDRESSES[::SUBJECT]`, built in.
    MailTo(crate::mailto::MailTo),
    /// `ReservedIP::IP[::provider=NAME]`, moved through the cloud provider's API.
    ReservedIp(std::sync::Arc<crate::cloud::ReservedIp>),
}

impl Resource {
    /// Name for logs.
    pub fn name(&self) -> String {
        match self {
            Resource::Vip { text, .. } => text.clone(),
            Resource::Script(r) => r.display_name(),
            Resource::MailTo(m) => format!("MailTo::{}", m.to.join(",")),
            Resource::ReservedIp(r) => r.text.clone(),
        }
    }
}

/// The media to open, with the link names the engine uses for them.
#[derive(Debug, Clone)]
pub struct MediaPlan {
    /// Media in `ha.cf` order, minus `ucast` lines that point at this node itself.
    pub specs: Vec<MediumSpec>,
    /// One name per medium (its interface), as `cl_status listhblinks` shows it.
    pub names: Vec<String>,
    /// The UDP port of the `ucast`/`bcast` media.
    pub udpport: u16,
}

/// Builds the media plan. `local_addrs` are this host's addresses, so that a shared `ha.cf`
/// listing every node's `ucast` line works on each of them (heartbeat does the same).
pub fn media_plan(config: &Config, local_addrs: &[IpAddr]) -> anyhow::Result<MediaPlan> {
    let mut specs = Vec::new();
    let mut ports = Vec::new();
    for medium in &config.hacf.media {
        match medium {
            Medium::Bcast { interface, port } => {
                ports.push(*port);
                specs.push(MediumSpec::Bcast { dev: interface.clone() });
            }
            Medium::Ucast { interface, peer, port } => {
                if let hb_config::hacf::Peer::Addr(addr) = peer {
                    if local_addrs.contains(addr) {
                        tracing::debug!("ucast {interface} {addr}: our own address, skipped");
                        continue;
                    }
                }
                ports.push(*port);
                specs.push(MediumSpec::Ucast { dev: interface.clone(), peer: peer.to_string() });
            }
            Medium::Mcast { interface, group, port, ttl, loopback } => {
                specs.push(MediumSpec::Mcast {
                    dev: interface.clone(),
                    group: *group,
                    port: *port,
                    ttl: *ttl,
                    multicast_loop: *loopback,
                });
            }
            Medium::Ucast6 { interface, peer, port } => {
                if let hb_config::hacf::Peer::Addr(addr) = peer {
                    if local_addrs.contains(addr) {
                        tracing::debug!("ucast6 {interface} {addr}: our own address, skipped");
                        continue;
                    }
                }
                ports.push(*port);
                specs.push(MediumSpec::Ucast6 { dev: interface.clone(), peer: peer.to_string() });
            }
            Medium::Mcast6 { interface, group, port, hops, loopback } => {
                specs.push(MediumSpec::Mcast6 {
                    dev: interface.clone(),
                    group: *group,
                    port: *port,
                    hops: *hops,
                    multicast_loop: *loopback,
                });
            }
            Medium::Serial { device, .. } => {
                bail!("ha.cf: serial media ({}) are not supported", device.display())
            }
            other => bail!("ha.cf: medium {other:?} is not supported"),
        }
    }
    if specs.is_empty() {
        bail!("ha.cf: no usable medium (every ucast line names this node's own address?)");
    }
    let udpport = ports.first().copied().unwrap_or(hb_platform::media::DEFAULT_UDP_PORT);
    if ports.iter().any(|p| *p != udpport) {
        bail!("ha.cf: ucast/ucast6/bcast media on different udpport values are not supported");
    }
    let names = specs.iter().map(|s| s.dev().to_owned()).collect();
    Ok(MediaPlan { specs, names, udpport })
}

/// Each group's resources, in `haresources` order.
pub fn group_resources(config: &Config) -> anyhow::Result<Vec<Vec<Resource>>> {
    let mut clouds = crate::cloud::Clients::default();
    config
        .haresources
        .groups
        .iter()
        .map(|g| {
            g.resources
                .iter()
                .map(|r| {
                    let res = match &r.kind {
                        ResourceKind::IpAddr { spec, .. } => {
                            // The typed spec, not the text: an IPv6 address holds `::`.
                            let arg = spec.to_string();
                            let spec: VipSpec = arg.parse().with_context(|| {
                                format!("haresources {}: {}", r.location, r.spec)
                            })?;
                            Resource::Vip { spec, text: r.spec.clone() }
                        }
                        ResourceKind::Script { name, args } if name == "MailTo" => {
                            let m = crate::mailto::MailTo::from_args(args).with_context(|| {
                                format!(
                                    "haresources {}: {}: MailTo needs an address",
                                    r.location, r.spec
                                )
                            })?;
                            Resource::MailTo(m)
                        }
                        ResourceKind::ReservedIp { address, provider } => {
                            let r = clouds
                                .resource(
                                    config.cloud.as_ref(),
                                    *address,
                                    provider.as_deref(),
                                    &r.spec,
                                )
                                .map_err(|e| anyhow::anyhow!("haresources {}: {e}", r.location))?;
                            Resource::ReservedIp(std::sync::Arc::new(r))
                        }
                        ResourceKind::Script { .. } | ResourceKind::Ocf { .. } => {
                            let rr: ResourceRef = r.spec.parse().with_context(|| {
                                format!("haresources {}: {}", r.location, r.spec)
                            })?;
                            Resource::Script(rr)
                        }
                    };
                    Ok(res)
                })
                .collect()
        })
        .collect()
}

/// The authenticator for `authkeys`: signs with the active key, accepts every listed key.
pub fn authenticator(keys: &AuthKeys) -> anyhow::Result<Authenticator> {
    let wire_keys = keys
        .keys()
        .iter()
        .map(|k| AuthKey {
            index: k.index().get(),
            method: match k.method() {
                hb_config::AuthMethod::Crc => AuthMethod::Crc,
                hb_config::AuthMethod::Md5 => AuthMethod::Md5,
                hb_config::AuthMethod::Sha1 => AuthMethod::Sha1,
            },
            secret: k.secret().as_bytes().to_vec(),
        })
        .collect();
    Authenticator::new(keys.active().index().get(), wire_keys)
        .map_err(|e| anyhow::anyhow!("authkeys: {e}"))
}

/// Log targets from ha.cf's `logfile`/`debugfile`/`logfacility`/`debug`, plus stderr if asked.
pub fn log_targets(config: &Config, stderr: bool) -> hb_platform::logging::LogTargets {
    let l = &config.hacf.logging;
    let mut facility = l.facility.as_deref().and_then(|f| f.parse().ok());
    if facility.is_none() && l.logfile.is_none() && l.debugfile.is_none() && !stderr {
        // Nothing configured: heartbeat then logs through its logging daemon to syslog; a
        // background daemon that logs nowhere would be impossible to operate.
        facility = "daemon".parse().ok();
    }
    hb_platform::logging::LogTargets {
        logfile: l.logfile.clone(),
        debugfile: l.debugfile.clone(),
        facility,
        stderr,
        debug: l.debug_level,
        syslog_socket: None,
    }
}

/// Removes every configured address from this host and reports, per address that was present
/// or could not be removed, its `haresources` text and the outcome.
pub async fn release_vips(
    netlink: &hb_platform::ipaddr::Netlink,
    groups: &[Vec<Resource>],
) -> Vec<(String, Result<(), hb_platform::PlatformError>)> {
    let (specs, texts) = crate::actions::vip_specs(groups.iter().flatten());
    if specs.is_empty() {
        return Vec::new();
    }
    // One dump for all of them: the crash guardian's latency is this call.
    let released = match netlink.release_all(&specs).await {
        Ok(r) => r,
        Err(e) => {
            // The dump failed: one by one, each with its own dump and its own error.
            tracing::warn!("cannot list addresses ({e}); releasing one by one");
            let mut each = Vec::with_capacity(specs.len());
            for spec in &specs {
                each.push(netlink.release(spec).await);
            }
            each
        }
    };
    texts
        .into_iter()
        .zip(released)
        .filter_map(|(text, r)| match r {
            Ok(hb_platform::ipaddr::Change::Done) => Some((text.to_owned(), Ok(()))),
            Ok(_) => None,
            Err(e) => Some((text.to_owned(), Err(e))),
        })
        .collect()
}

/// Where things live, from the command line.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `/etc/ha.d`.
    pub config_dir: PathBuf,
    /// `/var/lib/heartbeat`.
    pub state_dir: PathBuf,
    /// `/run/heartbeat`.
    pub run_dir: PathBuf,
    /// `/run/heartbeat.pid`.
    pub pid_file: PathBuf,
}

impl Paths {
    /// `resource.d` under the configuration directory.
    pub fn resource_d(&self) -> PathBuf {
        self.config_dir.join("resource.d")
    }
}

/// Loads the configuration from `dir`, with scripts looked up in `dir/resource.d`.
pub fn load(dir: &Path) -> anyhow::Result<Config> {
    let opts = hb_config::LoadOptions::for_dir(dir);
    let config = Config::load_with(&opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hacf: &str, haresources: &str) -> Config {
        Config::from_texts(hacf, haresources, "auth 1\n1 sha1 secret\n", 694).expect("config")
    }

    #[test]
    fn own_ucast_line_is_skipped_and_ports_follow_udpport() {
        let c = config(
            "udpport 700\nucast eth0 10.0.0.1\nucast eth0 10.0.0.2\nnode a\nnode b\n",
            "a 10.0.0.9\n",
        );
        let plan = media_plan(&c, &["10.0.0.1".parse().expect("ip")]).expect("plan");
        assert_eq!(plan.specs.len(), 1);
        assert_eq!(plan.names, vec!["eth0".to_owned()]);
        assert_eq!(plan.udpport, 700);
        let only_own = config("ucast eth0 10.0.0.1\nnode a\nnode b\n", "");
        let err = media_plan(&only_own, &["10.0.0.1".parse().expect("ip")]).expect_err("empty");
        assert!(err.to_string().contains("no usable medium"), "{err}");
    }

    #[test]
    fn ipv6_media_are_planned_and_own_ucast6_line_skipped() {
        let c = config(
            "udpport 700\nucast6 eth0 fd99::1\nucast6 eth0 fe80::2%eth0\n\
             mcast6 eth1 ff12::694 695 2 1\nnode a\nnode b\n",
            "a IPv6addr::fd99::10/64/eth0\n",
        );
        let plan = media_plan(&c, &["fd99::1".parse().expect("ip")]).expect("plan");
        assert_eq!(
            plan.specs,
            vec![
                MediumSpec::Ucast6 { dev: "eth0".into(), peer: "fe80::2".into() },
                MediumSpec::Mcast6 {
                    dev: "eth1".into(),
                    group: "ff12::694".parse().expect("group"),
                    port: 695,
                    hops: 2,
                    multicast_loop: true,
                },
            ]
        );
        assert_eq!(plan.udpport, 700);
    }

    #[test]
    fn resources_parse_into_vips_and_scripts() {
        let c = config(
            "bcast eth0\nnode a\nnode b\n",
            "a 10.0.0.9/24/eth0 IPaddr2::10.0.0.10/24 httpd ocf:heartbeat:Dummy::state=/x \
             MailTo::ops@example.org::web IPv6addr::fd99::10/64/eth0 IPaddr2::fd99::11\n",
        );
        let groups = group_resources(&c).expect("groups");
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert!(matches!(&g[0], Resource::Vip { spec, .. }
            if spec.addr.to_string() == "10.0.0.9" && spec.prefix == Some(24)
                && spec.iface.as_deref() == Some("eth0")));
        assert!(
            matches!(&g[1], Resource::Vip { spec, .. } if spec.addr.to_string() == "10.0.0.10")
        );
        assert_eq!(g[2].name(), "httpd");
        assert_eq!(g[3].name(), "ocf:heartbeat:Dummy");
        assert!(matches!(&g[4], Resource::MailTo(m) if m.subject == "web"));
        assert!(matches!(&g[5], Resource::Vip { spec, text }
            if spec.addr.to_string() == "fd99::10" && spec.prefix == Some(64)
                && spec.iface.as_deref() == Some("eth0") && text == "IPv6addr::fd99::10/64/eth0"));
        assert!(matches!(&g[6], Resource::Vip { spec, .. }
            if spec.addr.to_string() == "fd99::11" && spec.prefix.is_none()));
    }
}
