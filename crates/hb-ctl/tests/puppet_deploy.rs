//! Deploys a two-node cluster with the Puppet module (`packaging/puppet/heartbeat_rs`) and the
//! locally built .deb; see `puppet/mod.rs` for how each node is a private copy of this
//! machine. Skipped (with a message) without root, puppet or `HB_DEB`.

mod puppet;

use puppet::{held, wait_for, Cluster, Node};

/// The class declaration both nodes apply, as the seed's site manifest would.
fn manifest(c: &Cluster, deadtime: &str) -> String {
    let (a, b, vip) = (c.net.node(0).ip, c.net.node(1).ip, c.vip());
    format!(
        "class {{ 'heartbeat_rs':
           nodes            => ['n1', 'n2'],
           media            => [{{ type => 'ucast', interface => 'eth0', peer => '{a}' }},
                                {{ type => 'ucast', interface => 'eth0', peer => '{b}' }}],
           keepalive        => '200ms',
           warntime         => 1,
           deadtime         => {deadtime},
           initdead         => 4,
           auto_failback    => 'on',
           auth_key         => Sensitive('puppet-deployed-secret'),
           groups           => [{{ 'node' => 'n1', 'resources' => ['IPaddr::{vip}/24/eth0'] }}],
           package_source   => '/tmp/heartbeat-rs.deb',
           service_provider => 'debian',
         }}"
    )
}

#[test]
fn puppet_deploys_a_pair_that_fails_over_and_reloads() {
    let Some(c) = Cluster::new() else { return };
    let (nodes, vip) = (&c.nodes, c.vip());
    let site = manifest(&c, "2");

    // First run: package, files, service.
    for n in nodes {
        let (code, log) = n.apply(&site);
        assert_eq!(code, 2, "{}: first apply should change things:\n{log}", n.host.hostname);
        assert_eq!(n.stdout("stat -c %a /etc/ha.d/authkeys"), "600");
        assert_eq!(n.stdout("dpkg-query -W -f='${Status}' heartbeat-rs"), "install ok installed");
        assert!(!log.contains("puppet-deployed-secret"), "the key leaked into the log:\n{log}");
    }
    wait_for("the VIP on n1", || c.holds(0));
    assert!(!c.holds(1), "both nodes hold the VIP");
    // heartbeat's sentence; n1 holds its own ("local") group, n2 no group of n1's ("foreign").
    assert!(["local", "all"].contains(&held(&nodes[0]).as_str()), "{}", held(&nodes[0]));
    assert!(["none", "local"].contains(&held(&nodes[1]).as_str()), "{}", held(&nodes[1]));
    println!(
        "first apply: VIP {vip} on n1; cl_status rscstatus -m: n1 holding {}, n2 holding {}",
        held(&nodes[0]),
        held(&nodes[1])
    );

    // Second run: nothing to do.
    for n in nodes {
        let (code, log) = n.apply(&site);
        assert_eq!(code, 0, "{}: second apply should change nothing:\n{log}", n.host.hostname);
    }
    println!("second apply: no change on either node");

    // A changed timer: applied with a reload (same daemon process), not a restart.
    let pids: Vec<String> = nodes.iter().map(Node::daemon_pid).collect();
    assert!(pids.iter().all(|p| !p.is_empty()), "daemon pids: {pids:?}");
    let changed = manifest(&c, "3");
    for n in nodes {
        let (code, log) = n.apply(&changed);
        assert_eq!(code, 2, "{}: changed timer should apply:\n{log}", n.host.hostname);
        assert!(log.contains("Triggered 'refresh'"), "{}: no reload:\n{log}", n.host.hostname);
    }
    for (n, pid) in nodes.iter().zip(&pids) {
        wait_for("deadtime 3 in the running daemon", || {
            n.stdout("cl_status hbparameter -p deadtime") == "3"
        });
        assert_eq!(&n.daemon_pid(), pid, "{}: the daemon was restarted", n.host.hostname);
    }
    wait_for("the VIP back on n1 after the reload", || c.holds(0));
    println!("changed deadtime 2 -> 3: applied by reload, daemon pids unchanged {pids:?}");

    // A bad parameter that Puppet's types accept (deadtime 300ms is not above twice keepalive)
    // fails hbctl check-config in validate_cmd; the running daemon keeps its files and config.
    let before = nodes[0].stdout("cat /etc/ha.d/ha.cf");
    let bad = manifest(&c, "'300ms'");
    let (code, log) = nodes[0].apply(&bad);
    assert!(code & 4 != 0, "a bad deadtime should fail the run (code {code}):\n{log}");
    assert!(
        log.contains("hbctl check-config") && log.contains("deadtime ("),
        "the failure should come from check-config and name the setting:\n{log}"
    );
    assert_eq!(nodes[0].stdout("cat /etc/ha.d/ha.cf"), before, "ha.cf changed");
    assert_eq!(nodes[0].stdout("cl_status hbparameter -p deadtime"), "3");
    assert_eq!(nodes[0].daemon_pid(), pids[0]);
    assert!(c.holds(0), "n1 lost the VIP after a refused change");
    println!("bad deadtime 300ms: run failed in validation, ha.cf and the daemon untouched");

    // Stopping the primary (as the seed does: service heartbeat stop) moves the VIP.
    let out = nodes[0].sh("service heartbeat stop");
    assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
    wait_for("the VIP on n2", || c.holds(1));
    assert!(!c.holds(0), "n1 kept the VIP after stopping");
    assert!(["foreign", "all"].contains(&held(&nodes[1]).as_str()), "{}", held(&nodes[1]));
    println!("service heartbeat stop on n1: VIP moved to n2 (holding {})", held(&nodes[1]));
}
