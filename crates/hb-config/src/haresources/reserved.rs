//! `ReservedIP::IP[::provider=NAME]`: a cloud provider's reserved (floating) IP.

use super::types::ResourceKind;

/// Classifies the arguments of a `ReservedIP` resource (`s` is the whole word). Errors carry
/// the index of the argument they are about (`None`: the word).
pub(super) fn reserved_ip(s: &str, args: &[&str]) -> Result<ResourceKind, (Option<usize>, String)> {
    const USAGE: &str = "expected ReservedIP::IP[::provider=NAME]";
    let Some(ip) = args.first() else {
        return Err((None, format!("`{s}` names no address; {USAGE}")));
    };
    let address = ip
        .parse::<std::net::IpAddr>()
        .map_err(|_| (Some(0), format!("invalid address `{ip}`; {USAGE}")))?;
    let mut provider = None;
    for (i, a) in args.iter().enumerate().skip(1) {
        match a.split_once('=') {
            Some(("provider", name)) if provider.is_none() && !name.is_empty() => {
                provider = Some(name.to_owned());
            }
            _ => return Err((Some(i), format!("unexpected argument `{a}`; {USAGE}"))),
        }
    }
    Ok(ResourceKind::ReservedIp { address, provider })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{parse_haresources, ResourceKind};

    fn parse(text: &str) -> Result<ResourceKind, String> {
        parse_haresources(Path::new("haresources"), text)
            .map(|h| h.groups[0].resources[0].kind.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reserved_ip_forms() {
        assert_eq!(
            parse("primary ReservedIP::45.55.96.8\n"),
            Ok(ResourceKind::ReservedIp { address: [45, 55, 96, 8].into(), provider: None })
        );
        assert_eq!(
            parse("primary ReservedIP::2001:db8::1::provider=hetzner\n"),
            Err("haresources:1:21: invalid address `2001:db8`; expected ReservedIP::IP[::provider=NAME]".into()),
            "`::` splits arguments, so an IPv6 literal cannot be written this way"
        );
        assert_eq!(
            parse("primary ReservedIP::45.55.96.8::provider=hetzner\n"),
            Ok(ResourceKind::ReservedIp {
                address: [45, 55, 96, 8].into(),
                provider: Some("hetzner".into())
            })
        );
    }

    #[test]
    fn reserved_ip_errors_name_the_column() {
        assert_eq!(
            parse("primary ReservedIP::45.55.96.x\n"),
            Err("haresources:1:21: invalid address `45.55.96.x`; expected ReservedIP::IP[::provider=NAME]".into())
        );
        assert_eq!(
            parse("primary ReservedIP\n"),
            Err("haresources:1:9: `ReservedIP` names no address; expected ReservedIP::IP[::provider=NAME]".into())
        );
        assert_eq!(
            parse("primary ReservedIP::1.2.3.4::zone=x\n"),
            Err("haresources:1:30: unexpected argument `zone=x`; expected ReservedIP::IP[::provider=NAME]".into())
        );
    }
}
