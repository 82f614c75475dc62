//! Resource names as written in `haresources` (pure parsing).

use std::str::FromStr;

use crate::PlatformError;

/// Longest accepted resource string (limit on input).
const MAX_RESOURCE_LEN: usize = 4096;

/// A resource of a group, as written in `haresources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRef {
    /// `Name::arg1::arg2` — runs `<dir>/Name arg1 arg2 <action>` from `resource.d`, then
    /// `init.d`. A bare IPv4 address `a.b.c.d…` means `IPaddr::a.b.c.d…`, like heartbeat.
    Script {
        /// Script name.
        name: String,
        /// Arguments before the action.
        args: Vec<String>,
    },
    /// `ocf:PROVIDER:AGENT::name=value::name=value` — an OCF agent with parameters.
    Ocf {
        /// Provider (`heartbeat`).
        provider: String,
        /// Agent (`IPaddr2`).
        agent: String,
        /// `OCF_RESKEY_<name>=<value>` parameters.
        params: Vec<(String, String)>,
    },
}

impl ResourceRef {
    /// Short name for logs (`IPaddr::10.0.0.1`, `ocf:heartbeat:IPaddr2`).
    pub fn display_name(&self) -> String {
        match self {
            ResourceRef::Script { name, args } => std::iter::once(name.as_str())
                .chain(args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("::"),
            ResourceRef::Ocf { provider, agent, .. } => format!("ocf:{provider}:{agent}"),
        }
    }
}

impl FromStr for ResourceRef {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| PlatformError::Invalid {
            what: "resource",
            input: s.chars().take(200).collect(),
            reason: reason.to_string(),
        };
        if s.is_empty() || s.len() > MAX_RESOURCE_LEN {
            return Err(bad("empty or too long"));
        }
        if s.chars().any(|c| c.is_whitespace() || c == '\0') {
            return Err(bad("contains white space"));
        }
        let mut parts = s.split("::");
        let head = parts.next().unwrap_or_default();
        let rest: Vec<String> = parts.map(str::to_string).collect();
        if let Some(ocf) = head.strip_prefix("ocf:") {
            let (provider, agent) =
                ocf.split_once(':').ok_or_else(|| bad("expected ocf:PROVIDER:AGENT"))?;
            if !safe_name(provider) || !safe_name(agent) {
                return Err(bad("bad OCF provider or agent name"));
            }
            let mut params = Vec::with_capacity(rest.len());
            for p in rest {
                let (k, v) =
                    p.split_once('=').ok_or_else(|| bad("OCF parameters are name=value"))?;
                if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || k.is_empty() {
                    return Err(bad("bad OCF parameter name"));
                }
                params.push((k.to_string(), v.to_string()));
            }
            return Ok(ResourceRef::Ocf {
                provider: provider.to_string(),
                agent: agent.to_string(),
                params,
            });
        }
        if looks_like_ip(head) {
            return Ok(ResourceRef::Script {
                name: "IPaddr".to_string(),
                args: std::iter::once(head.to_string()).chain(rest).collect(),
            });
        }
        if !safe_name(head) {
            return Err(bad("bad script name"));
        }
        Ok(ResourceRef::Script { name: head.to_string(), args: rest })
    }
}

/// heartbeat's `isip`: starts like `d.d.d.d` (the rest may be `/prefix/...`).
fn looks_like_ip(s: &str) -> bool {
    let first = s.split('/').next().unwrap_or_default();
    let parts: Vec<&str> = first.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A file name that cannot escape its directory.
fn safe_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heartbeat_forms() -> Result<(), PlatformError> {
        assert_eq!(
            "Filesystem::/dev/sda1::/data1::ext2".parse::<ResourceRef>()?,
            ResourceRef::Script {
                name: "Filesystem".into(),
                args: vec!["/dev/sda1".into(), "/data1".into(), "ext2".into()]
            }
        );
        assert_eq!(
            "10.0.0.170/24/eth0".parse::<ResourceRef>()?,
            ResourceRef::Script { name: "IPaddr".into(), args: vec!["10.0.0.170/24/eth0".into()] }
        );
        assert_eq!(
            "httpd".parse::<ResourceRef>()?,
            ResourceRef::Script { name: "httpd".into(), args: vec![] }
        );
        let o: ResourceRef = "ocf:heartbeat:IPaddr2::ip=10.0.0.5::cidr_netmask=24".parse()?;
        assert_eq!(o.display_name(), "ocf:heartbeat:IPaddr2");
        assert!(
            matches!(o, ResourceRef::Ocf { ref params, .. } if params.len() == 2 && params[0] == ("ip".into(), "10.0.0.5".into()))
        );
        Ok(())
    }

    #[test]
    fn rejects_path_escapes_and_junk() {
        for bad in
            ["", "../evil", "a/b::x", "ocf:heartbeat", "ocf:../x:y", "ocf:h:a::novalue", "a b"]
        {
            assert!(bad.parse::<ResourceRef>().is_err(), "{bad} accepted");
        }
    }
}
