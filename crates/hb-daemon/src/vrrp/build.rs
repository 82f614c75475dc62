//! From a parsed keepalived.conf instance to what the engine and the address code need.

use std::net::IpAddr;
use std::time::Duration;

use hb_config::keepalived::{Auth, VrrpInstance};
use hb_platform::ipaddr::VipSpec;
use hb_vrrp::{InitialState, InstanceConfig, Password, Version};

/// An instance the run loop can start: the engine's config plus the addresses to configure.
#[derive(Debug, Clone)]
pub struct Built {
    /// For [`hb_vrrp::Instance::new`].
    pub engine: InstanceConfig,
    /// The virtual addresses as the address code takes them (dev defaults to `interface`).
    pub vips: Vec<VipSpec>,
}

/// Why an instance cannot run; the message starts with the instance's `file:line`.
#[derive(Debug, thiserror::Error)]
#[error("{location}: vrrp_instance {name}: {reason}")]
pub struct BuildError {
    /// Where the block starts.
    pub location: String,
    /// The instance.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// Whether `inst` is an IPv6 instance: its `unicast_src_ip`, else its first virtual address,
/// decides (keepalived's rule).
pub fn is_ipv6(inst: &VrrpInstance) -> bool {
    inst.unicast_src_ip
        .map(|a| a.is_ipv6())
        .or_else(|| inst.vips.first().map(|v| v.addr.is_ipv6()))
        .unwrap_or(false)
}

/// Builds instance `inst` with `primary` as its source address (`unicast_src_ip` wins).
/// The parser already folded the global GARP defaults into the instance.
pub fn build(inst: &VrrpInstance, primary: IpAddr) -> Result<Built, BuildError> {
    let fail = |reason: String| BuildError {
        location: inst.location.to_string(),
        name: inst.name.clone(),
        reason,
    };
    let mut c = InstanceConfig::new(&inst.name, inst.vrid, inst.unicast_src_ip.unwrap_or(primary));
    c.version = if inst.version == 3 { Version::V3 } else { Version::V2 };
    c.priority = inst.priority;
    let cs = inst.advert_int.as_millis() / 10;
    c.advert_int_cs =
        u16::try_from(cs).map_err(|_| fail(format!("advert_int {cs} cs too large")))?;
    c.initial_state = match inst.state {
        hb_config::keepalived::InitialState::Master => InitialState::Master,
        hb_config::keepalived::InitialState::Backup => InitialState::Backup,
    };
    c.nopreempt = inst.nopreempt;
    c.preempt_delay = inst.preempt_delay;
    c.auth = match &inst.auth {
        None => None,
        Some(Auth::Pass(p)) => Some(Password::from_config(p).0),
        Some(Auth::Ah(_)) => return Err(fail("auth_type AH is not supported".into())),
    };
    c.virtual_addresses = inst.vips.iter().map(|v| v.addr).collect();
    c.unicast_peers = inst.unicast_peers.clone();
    c.garp_master_delay = inst.garp_master_delay;
    c.garp_master_repeat = inst.garp_master_repeat;
    c.garp_master_refresh = Some(inst.garp_master_refresh).filter(|d| *d > Duration::ZERO);
    c.validate().map_err(|e| fail(e.to_string()))?;
    // `virtual_ipaddress_excluded`: configured and removed with the others, never carried
    // in adverts (so the peer's address list need not match, and the 20-address advert
    // limit of other implementations is not hit).
    let vips = inst
        .vips
        .iter()
        .chain(&inst.vips_excluded)
        .map(|v| VipSpec {
            addr: v.addr,
            prefix: Some(v.prefix),
            iface: Some(v.dev.clone().unwrap_or_else(|| inst.interface.clone())),
            broadcast: v.brd,
            label: v.label.clone(),
        })
        .collect();
    Ok(Built { engine: c, vips })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_config::keepalived::parse_keepalived_no_include;
    use std::path::Path;

    #[test]
    fn builds_engine_config_and_vips_from_keepalived_conf() {
        let text = "vrrp_instance V {\n interface e0\n virtual_router_id 51\n priority 99\n \
                    advert_int 2\n authentication {\n auth_type PASS\n auth_pass secret\n }\n \
                    virtual_ipaddress {\n 10.99.0.60/24 dev e1 label e1:v\n 10.99.0.61\n }\n}\n";
        let conf = parse_keepalived_no_include(Path::new("k.conf"), text).unwrap();
        let primary: IpAddr = "10.99.0.1".parse().unwrap();
        let b = build(&conf.instances[0], primary).unwrap();
        assert_eq!((b.engine.vrid, b.engine.priority, b.engine.advert_int_cs), (51, 99, 200));
        assert_eq!(b.engine.auth, Some(Password::from_config("secret").0));
        assert_eq!(b.engine.primary_address, primary);
        assert_eq!(b.vips.len(), 2);
        assert_eq!(b.vips[0].iface.as_deref(), Some("e1"));
        assert_eq!(b.vips[0].label.as_deref(), Some("e1:v"));
        assert_eq!((b.vips[1].iface.as_deref(), b.vips[1].prefix), (Some("e0"), Some(32)));
        let text = text.replace(
            " 10.99.0.61\n }\n",
            " 10.99.0.61\n }\n virtual_ipaddress_excluded {\n 10.99.0.62/24\n }\n",
        );
        let conf2 = parse_keepalived_no_include(Path::new("k.conf"), &text).unwrap();
        let b2 = build(&conf2.instances[0], primary).unwrap();
        assert_eq!(b2.engine.virtual_addresses.len(), 2, "excluded: not in adverts");
        assert_eq!(b2.vips.len(), 3, "excluded: configured with the others");
        assert_eq!(b2.vips[2].addr.to_string(), "10.99.0.62");
        let v6: IpAddr = "fe80::1".parse().unwrap();
        let e = build(&conf.instances[0], v6).unwrap_err();
        assert!(e.to_string().starts_with("k.conf:1"), "{e}");
    }
}
