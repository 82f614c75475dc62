use std::net::Ipv4Addr;
use std::path::Path;

use proptest::prelude::*;

use super::parse::parse_ip_spec;
use super::*;

fn parse(text: &str) -> Result<Haresources, String> {
    parse_haresources(Path::new("haresources"), text).map_err(|e| e.to_string())
}

fn err(text: &str) -> String {
    parse(text).err().unwrap_or_else(|| panic!("accepted: {text}"))
}

#[test]
fn groups_and_resource_kinds() {
    let h = parse("# c\nNode1 10.0.0.5 IPaddr2::10.0.0.6/24/eth0 httpd Filesystem::/dev/drbd0::/data::ext3 ocf:heartbeat:apache::configfile=/etc/a.conf\n").unwrap();
    let g = &h.groups[0];
    assert_eq!(g.preferred_node, "node1");
    assert_eq!(g.key(), "10.0.0.5");
    assert_eq!(g.location.to_string(), "haresources:2:1");
    let kinds: Vec<&ResourceKind> = g.resources.iter().map(|r| &r.kind).collect();
    assert_eq!(
        kinds[0],
        &ResourceKind::IpAddr {
            agent: IpAgent::IpAddr,
            spec: IpAddrSpec {
                address: Ipv4Addr::new(10, 0, 0, 5).into(),
                prefix: None,
                interface: None,
                broadcast: None
            }
        }
    );
    assert!(
        matches!(kinds[1], ResourceKind::IpAddr { agent: IpAgent::IpAddr2, spec } if spec.prefix == Some(24))
    );
    assert_eq!(kinds[2], &ResourceKind::Script { name: "httpd".into(), args: vec![] });
    assert_eq!(
        kinds[3],
        &ResourceKind::Script {
            name: "Filesystem".into(),
            args: vec!["/dev/drbd0".into(), "/data".into(), "ext3".into()]
        }
    );
    assert_eq!(
        kinds[4],
        &ResourceKind::Ocf {
            provider: "heartbeat".into(),
            agent: "apache".into(),
            params: vec![("configfile".into(), "/etc/a.conf".into())]
        }
    );
    assert_eq!(g.resources[2].location.to_string(), "haresources:2:42");
    assert!(g.resources.iter().all(|r| r.script == ScriptPath::Unchecked));
}

#[test]
fn continuation_and_comments() {
    let h = parse("a 10.0.0.1 \\\n   httpd \\\n  mysqld\n#b 10.0.0.2\nb 10.0.0.3\n").unwrap();
    assert_eq!(h.groups.len(), 2);
    let names: Vec<&str> = h.groups[0].resources.iter().map(|r| r.spec.as_str()).collect();
    assert_eq!(names, vec!["10.0.0.1", "httpd", "mysqld"]);
    assert_eq!(h.groups[0].resources[2].location.to_string(), "haresources:3:3");
    assert_eq!(h.groups[1].preferred_node, "b");
    // A file that ends inside a continuation still yields the group.
    assert_eq!(parse("a 10.0.0.1 \\").unwrap().groups.len(), 1);
}

#[test]
fn errors_point_at_the_resource() {
    assert_eq!(
        err("a\n"),
        "haresources:1:1: group for node `a` has no resources; expected `NODE RESOURCE…`"
    );
    assert_eq!(err("a IPaddr::10.0.0.300/24\n"), "haresources:1:11: invalid address `10.0.0.300`; expected IP[/prefix[/interface[/broadcast]]]");
    assert_eq!(
        err("a IPaddr::10.0.0.3/33\n"),
        "haresources:1:20: invalid prefix length `33`; expected 0–32"
    );
    assert_eq!(
        err("a  10.0.0.3/24/eth0/x\n"),
        "haresources:1:21: invalid broadcast address `x`; expected IP[/prefix[/interface[/broadcast]]] with an IPv4 address"
    );
    assert_eq!(err("a IPaddr::1.2.3.4::eth0\n"), "haresources:1:3: IPaddr takes one argument; expected IPaddr::IP[/prefix[/interface[/broadcast]]]");
    assert_eq!(
        err("a x::::y\n"),
        "haresources:1:6: empty argument in `x::::y`; expected Name::arg1::arg2"
    );
    assert_eq!(err("a ../../bin/sh\n"), "haresources:1:3: invalid resource name `../../bin/sh`; expected a script name, an IPv4 address or ocf:PROVIDER:AGENT");
    assert_eq!(err("a ocf:heartbeat\n"), "haresources:1:3: invalid OCF resource `ocf:heartbeat`; expected ocf:PROVIDER:AGENT[::name=value…]");
    assert_eq!(
        err("a ocf:heartbeat:IPaddr2::ip=1.2.3.4::bad\n"),
        "haresources:1:38: invalid OCF parameter `bad`; expected name=value"
    );
}

#[test]
fn resolution_prefers_resource_d_then_init_d() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (rd, id, ocf) = (dir.path().join("rd"), dir.path().join("id"), dir.path().join("ocf"));
    for d in [&rd, &id, &ocf.join("heartbeat")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mk = |p: std::path::PathBuf, mode: u32| {
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    mk(rd.join("both"), 0o755);
    mk(id.join("both"), 0o755);
    mk(id.join("httpd"), 0o755);
    mk(id.join("noexec"), 0o644);
    mk(ocf.join("heartbeat/apache"), 0o755);
    let roots = ScriptRoots { resource_d: rd.clone(), init_d: id.clone(), ocf };
    let mut h = parse("a 10.0.0.1 both httpd ocf:heartbeat:apache\n").unwrap();
    resolve_scripts(&mut h, &roots).unwrap();
    let paths: Vec<&ScriptPath> = h.groups[0].resources.iter().map(|r| &r.script).collect();
    assert_eq!(paths[0], &ScriptPath::Builtin);
    assert_eq!(paths[1], &ScriptPath::Found(rd.join("both")));
    assert_eq!(paths[2], &ScriptPath::Found(id.join("httpd")));
    let mut h = parse("a MailTo::ops@example.org\n").unwrap();
    resolve_scripts(&mut h, &roots).unwrap();
    assert_eq!(h.groups[0].resources[0].script, ScriptPath::Builtin, "MailTo is built in");
    let mut h = parse("a 10.0.0.1\nb   missing::x\n").unwrap();
    let e = resolve_scripts(&mut h, &roots).unwrap_err().to_string();
    assert!(
        e.starts_with("haresources:2:5: unknown resource script `missing`: not found in"),
        "{e}"
    );
    let mut h = parse("a noexec\n").unwrap();
    let e = resolve_scripts(&mut h, &roots).unwrap_err().to_string();
    assert!(e.ends_with("noexec is not executable; expected chmod +x"), "{e}");
    let mut h = parse("a ocf:pacemaker:nope\n").unwrap();
    assert!(resolve_scripts(&mut h, &roots)
        .unwrap_err()
        .to_string()
        .starts_with("haresources:1:3: unknown OCF agent `ocf:pacemaker:nope`"));
}

fn arb_spec() -> impl Strategy<Value = IpAddrSpec> {
    (
        any::<u32>(),
        proptest::option::of(0u8..=32),
        proptest::option::of("[a-z]{1,5}[0-9](:[0-9])?"),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(a, prefix, interface, b)| IpAddrSpec {
            address: Ipv4Addr::from(a).into(),
            prefix,
            interface,
            broadcast: b.map(Ipv4Addr::from),
        })
}

fn arb_spec6() -> impl Strategy<Value = IpAddrSpec> {
    (any::<u128>(), proptest::option::of(0u8..=128), proptest::option::of("[a-z]{1,5}[0-9]"))
        .prop_map(|(a, prefix, interface)| IpAddrSpec {
            address: std::net::Ipv6Addr::from(a).into(),
            prefix,
            interface,
            broadcast: None,
        })
}

proptest! {
    #[test]
    fn ip_spec_round_trip(spec in arb_spec()) {
        prop_assert_eq!(parse_ip_spec(&spec.to_string()), Ok(spec));
    }

    #[test]
    fn ipv6_spec_round_trip_through_both_agents(spec in arb_spec6()) {
        prop_assert_eq!(parse_ip_spec(&spec.to_string()), Ok(spec.clone()));
        for agent in ["IPv6addr", "IPaddr2"] {
            let h = parse(&format!("a {agent}::{spec}\n")).map_err(|e| {
                proptest::test_runner::TestCaseError::fail(e.to_string())
            })?;
            let kind = &h.groups[0].resources[0].kind;
            let is_spec = matches!(kind, ResourceKind::IpAddr { spec: s, .. } if *s == spec);
            prop_assert!(is_spec, "{agent}::{spec} gave {kind:?}");
        }
    }

    #[test]
    fn haresources_line_round_trip(node in "[a-z][a-z0-9-]{0,10}", specs in proptest::collection::vec(arb_spec(), 1..5), scripts in proptest::collection::vec("[A-Za-z][A-Za-z0-9_]{0,8}(::[a-z0-9/]{1,6}){0,3}", 0..4)) {
        let mut words: Vec<String> = specs.iter().map(|s| format!("IPaddr::{s}")).collect();
        words.extend(scripts.iter().filter(|s| !s.starts_with("IPaddr") && !s.starts_with("ocf")).cloned());
        let text = format!("{node} {}\n", words.join(" "));
        let h = parse(&text).unwrap();
        let got: Vec<&str> = h.groups[0].resources.iter().map(|r| r.spec.as_str()).collect();
        prop_assert_eq!(got, words.iter().map(String::as_str).collect::<Vec<_>>());
        for (r, s) in h.groups[0].resources.iter().zip(&specs) {
            let ok = matches!(&r.kind, ResourceKind::IpAddr { spec, .. } if spec == s);
            prop_assert!(ok, "{:?}", r.kind);
        }
    }

    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        let _ = parse_haresources(Path::new("h"), &text);
    }
}

/// A line of `n` address resources, eight per physical line (continued with `\`).
fn address_group(n: usize) -> String {
    let mut s = "n1".to_string();
    for i in 0..n {
        if i > 0 && i % 8 == 0 {
            s.push_str(" \\\n ");
        }
        s.push_str(&format!(" IPaddr::10.99.{}.{}/24/eth0", 1 + i / 200, 1 + i % 200));
    }
    s.push('\n');
    s
}

#[test]
fn large_groups_up_to_the_limit() {
    let h = parse(&address_group(MAX_RESOURCES_PER_GROUP)).unwrap();
    assert_eq!(h.groups.len(), 1);
    assert_eq!(h.groups[0].resources.len(), MAX_RESOURCES_PER_GROUP);
    let e = err(&address_group(MAX_RESOURCES_PER_GROUP + 1));
    assert!(e.contains("too many resources in one group; at most 1024"), "{e}");
    // The error points at the first resource over the limit: resource 1025 is the first on
    // physical line 129 (eight per line).
    assert!(e.starts_with("haresources:129:"), "{e}");
}

#[test]
fn ipv6_addresses_through_ipv6addr_and_ipaddr2_mixed_with_ipv4() {
    let h =
        parse("a IPv6addr::2001:db8::10/64/eth0 IPaddr2::fd99::5/64 10.0.0.5/24 httpd\n").unwrap();
    let r = &h.groups[0].resources;
    assert_eq!(h.groups[0].key(), "IPv6addr::2001:db8::10/64/eth0");
    let want = IpAddrSpec {
        address: "2001:db8::10".parse().unwrap(),
        prefix: Some(64),
        interface: Some("eth0".into()),
        broadcast: None,
    };
    assert_eq!(r[0].kind, ResourceKind::IpAddr { agent: IpAgent::Ipv6Addr, spec: want });
    assert!(matches!(&r[1].kind, ResourceKind::IpAddr { agent: IpAgent::IpAddr2, spec }
        if spec.address.is_ipv6() && spec.prefix == Some(64) && spec.interface.is_none()));
    assert!(matches!(&r[2].kind, ResourceKind::IpAddr { agent: IpAgent::IpAddr, spec }
        if spec.address.is_ipv4()));
    assert_eq!(r.len(), 4);
}

#[test]
fn ipv6_errors_name_the_column_and_the_fix() {
    let err = |s: &str| parse(s).unwrap_err().to_string();
    assert_eq!(
        err("a IPaddr::2001:db8::1\n"),
        "haresources:1:11: IPaddr takes an IPv4 address, not `2001:db8::1`; expected \
         IPv6addr::2001:db8::1 or IPaddr2::2001:db8::1"
    );
    assert_eq!(
        err("a IPv6addr::10.0.0.1\n"),
        "haresources:1:13: IPv6addr takes an IPv6 address, not `10.0.0.1`; expected \
         IPaddr::10.0.0.1 or IPaddr2::10.0.0.1"
    );
    assert_eq!(
        err("a IPv6addr::fd99::1/129\n"),
        "haresources:1:21: invalid prefix length `129`; expected 0–128"
    );
    assert_eq!(
        err("a IPv6addr::fd99::1/64/eth0/ff::1\n"),
        "haresources:1:29: unexpected broadcast `ff::1`; IPv6 has no broadcast"
    );
    assert_eq!(
        err("a IPv6addr::fd99::1/64/eth0::x\n"),
        "haresources:1:24: invalid interface `eth0::x`; expected a name such as eth0 or eth0:1"
    );
    assert_eq!(
        err("a IPv6addr::zz::1\n"),
        "haresources:1:13: invalid address `zz::1`; expected IP[/prefix[/interface[/broadcast]]]"
    );
}
