//! An instance's configuration, already resolved by the shell (keepalived.conf parser,
//! interface lookup): only what the protocol needs. Address details that do not travel in
//! adverts (prefix, dev, label, scope) stay with the shell, which applies them on
//! [`crate::Output::AddAddresses`].

use std::net::IpAddr;
use std::time::Duration;

use crate::codec::{Password, Version, MAX_ADDRESSES, MAX_V3_INTERVAL_CS};

/// Most unicast peers per instance (each gets its own copy of every advert).
pub const MAX_UNICAST_PEERS: usize = 64;
/// Longest `preempt_delay` keepalived accepts (1000 s).
pub const MAX_PREEMPT_DELAY: Duration = Duration::from_secs(1000);

/// The state an instance wants at start (keepalived's `state MASTER|BACKUP`). keepalived
/// 2.2.7 outside sync groups starts every instance in Backup for the full master-down
/// interval whatever this says, and so does the engine; priority 255 (the address owner)
/// becomes master at once either way. Kept for the shell (status output, the `nopreempt`
/// with `state MASTER` warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitialState {
    /// `state BACKUP` (the default).
    #[default]
    Backup,
    /// `state MASTER`.
    Master,
}

/// One VRRP instance (`vrrp_instance` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceConfig {
    /// Instance name, for events and logs.
    pub name: String,
    /// `virtual_router_id`, 1..=255.
    pub vrid: u8,
    /// VRRP version (keepalived's default is 2).
    pub version: Version,
    /// Configured (base) `priority`, 1..=255; 255 marks the address owner.
    pub priority: u8,
    /// `advert_int` in centiseconds (v2: a multiple of 100, at most 255 s; v3: 1..=4095).
    pub advert_int_cs: u16,
    /// `state`.
    pub initial_state: InitialState,
    /// `nopreempt`: a backup never takes over from a live lower-priority master.
    pub nopreempt: bool,
    /// `preempt_delay`: how long a backup tolerates a lower-priority master before preempting
    /// (zero = preempt at the next master-down expiry).
    pub preempt_delay: Duration,
    /// `authentication { auth_type PASS }` (v2 only); `None` = no authentication.
    pub auth: Option<Password>,
    /// Our source address (`unicast_src_ip` or the interface's primary address); decides
    /// the family of the instance and breaks priority ties.
    pub primary_address: IpAddr,
    /// Addresses carried in adverts and owned by the master (same family as the primary).
    pub virtual_addresses: Vec<IpAddr>,
    /// `unicast_peer` addresses; empty = multicast to 224.0.0.18 / ff02::12.
    pub unicast_peers: Vec<IpAddr>,
    /// `garp_master_delay`: second gratuitous burst this long after becoming master (0 = none).
    pub garp_master_delay: Duration,
    /// `garp_master_repeat`: gratuitous ARPs/NAs per burst.
    pub garp_master_repeat: u32,
    /// `garp_master_refresh`: repeat a burst this often while master (`None` = never).
    pub garp_master_refresh: Option<Duration>,
}

impl InstanceConfig {
    /// A configuration with keepalived's defaults for everything but the identity: v2,
    /// priority 100, `advert_int 1`, state BACKUP, preempt, no auth, multicast,
    /// `garp_master_delay 5`, `garp_master_repeat 5`, no refresh.
    pub fn new(name: &str, vrid: u8, primary_address: IpAddr) -> InstanceConfig {
        InstanceConfig {
            name: name.to_owned(),
            vrid,
            version: Version::V2,
            priority: 100,
            advert_int_cs: 100,
            initial_state: InitialState::Backup,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            auth: None,
            primary_address,
            virtual_addresses: Vec::new(),
            unicast_peers: Vec::new(),
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_master_refresh: None,
        }
    }

    /// Checks the protocol's limits; the parser reports these with file:line.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vrid == 0 {
            return Err(ConfigError::Vrid);
        }
        if self.priority == 0 {
            return Err(ConfigError::Priority);
        }
        let v4 = self.primary_address.is_ipv4();
        match self.version {
            Version::V2 => {
                if !v4 {
                    return Err(ConfigError::V2OverIpv6);
                }
                if self.advert_int_cs == 0
                    || self.advert_int_cs % 100 != 0
                    || self.advert_int_cs > 25_500
                {
                    return Err(ConfigError::Interval(self.advert_int_cs));
                }
            }
            Version::V3 => {
                if self.advert_int_cs == 0 || self.advert_int_cs > MAX_V3_INTERVAL_CS {
                    return Err(ConfigError::Interval(self.advert_int_cs));
                }
                if self.auth.is_some() {
                    return Err(ConfigError::AuthInV3);
                }
            }
        }
        if self.virtual_addresses.len() > MAX_ADDRESSES {
            return Err(ConfigError::TooManyAddresses(self.virtual_addresses.len()));
        }
        if self.unicast_peers.len() > MAX_UNICAST_PEERS {
            return Err(ConfigError::TooManyPeers(self.unicast_peers.len()));
        }
        let other = self.virtual_addresses.iter().chain(&self.unicast_peers);
        if let Some(a) = other.into_iter().find(|a| a.is_ipv4() != v4) {
            return Err(ConfigError::Family(*a));
        }
        if self.preempt_delay > MAX_PREEMPT_DELAY {
            return Err(ConfigError::PreemptDelay);
        }
        Ok(())
    }
}

/// A configuration the engine cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `virtual_router_id` 0.
    #[error("virtual_router_id must be 1..255")]
    Vrid,
    /// `priority` 0 (reserved for the leaving master).
    #[error("priority must be 1..255")]
    Priority,
    /// Interval out of range for the version.
    #[error(
        "advert_int of {0} cs is invalid (VRRPv2: whole seconds 1..255; VRRPv3: 0.01..40.95 s)"
    )]
    Interval(u16),
    /// VRRPv2 configured on IPv6.
    #[error("VRRPv2 is IPv4 only; use version 3 for IPv6")]
    V2OverIpv6,
    /// Authentication with VRRPv3.
    #[error("authentication is not part of VRRPv3")]
    AuthInV3,
    /// More virtual addresses than an advert can carry.
    #[error("{0} virtual addresses; an advert carries at most 255")]
    TooManyAddresses(usize),
    /// Too many unicast peers.
    #[error("{0} unicast peers; at most {MAX_UNICAST_PEERS}")]
    TooManyPeers(usize),
    /// An address of the other family than the primary address.
    #[error("{0} is not of the instance's address family")]
    Family(IpAddr),
    /// `preempt_delay` above 1000 s.
    #[error("preempt_delay above 1000 s")]
    PreemptDelay,
}
