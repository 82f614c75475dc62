//! The seed's own minimal Puppet recipe (`packaging/puppet/heartbeat_rs/examples/
//! seed_minimal.pp`: package from apt, the three files from a files directory, service
//! `heartbeat`, `service heartbeat reload` on every change) deploys heartbeat-rs with only the
//! package name changed. The package comes from a local apt repository holding the .deb, so
//! Puppet's default `apt` provider installs it as it would from a mirror. See `puppet/mod.rs`
//! for the sandboxed nodes; skipped (with a message) without root, puppet or `HB_DEB`.

mod puppet;

use puppet::{held, wait_for, Cluster};

/// A flat apt repository with the package (the Packages index written from the .deb's own
/// control fields), and an `apt-get update` that reads only it (the sandbox has no network).
const LOCAL_REPO: &str = r#"set -e
mkdir -p /srv/repo
cp /tmp/heartbeat-rs.deb /srv/repo/
cd /srv/repo
{ dpkg-deb -f heartbeat-rs.deb | grep -v "^[[:space:]]*$"
  echo "Filename: ./heartbeat-rs.deb"
  echo "Size: $(stat -c %s heartbeat-rs.deb)"
  echo "SHA256: $(sha256sum heartbeat-rs.deb | cut -d' ' -f1)"
  echo; } > Packages
echo 'deb [trusted=yes] file:/srv/repo ./' > /etc/apt/sources.list.d/heartbeat-rs-local.list
# This network has no mirror to fetch the package's Recommends (logrotate) from.
echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/99-no-network
apt-get update -qq -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/heartbeat-rs-local.list \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
apt-cache policy heartbeat-rs | grep -q 'Candidate: [0-9]'
"#;

/// The cookbook's ha.cf (shared/examples/cookbook-puppet) with this network's addresses and
/// node names.
fn hacf(c: &Cluster, deadtime: u32) -> String {
    let (a, b) = (c.net.node(0).ip, c.net.node(1).ip);
    format!(
        "autojoin none\nucast eth0 {a}\nucast eth0 {b}\nkeepalive 1\ndeadtime {deadtime}\n\
         warntime 5\nudpport 694\nauto_failback on\nnode n1\nnode n2\nuse_logd yes\n"
    )
}

/// Writes the files directory the seed's manifest copies from.
fn write_files(c: &Cluster, deadtime: u32) {
    let vip = c.vip();
    for n in &c.nodes {
        let script = format!(
            "set -e; d=/etc/puppet/files/heartbeat; mkdir -p $d; cd $d\n\
             printf '%s' '{}' > ha.cf\n\
             printf 'n1 IPaddr::{vip}/24/eth0:1\\n' > haresources\n\
             printf 'auth 1\\n1 sha1 topsecretpassword\\n' > authkeys\n",
            hacf(c, deadtime)
        );
        let out = n.sh(&script);
        assert!(out.status.success(), "files: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_seed_recipe_deploys_heartbeat_rs_with_only_the_package_name_changed() {
    let Some(c) = Cluster::new() else { return };
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/puppet/heartbeat_rs/examples/seed_minimal.pp"
    ))
    .expect("seed_minimal.pp");
    assert!(seed.contains("package { 'heartbeat-rs':") && seed.contains("service { 'heartbeat':"));
    for n in &c.nodes {
        let out = n.sh(LOCAL_REPO);
        assert!(out.status.success(), "local repo: {}", String::from_utf8_lossy(&out.stderr));
    }
    write_files(&c, 10);

    for n in &c.nodes {
        let (code, log) = n.apply(&seed);
        assert_eq!(code, 2, "{}: first apply should change things:\n{log}", n.host.hostname);
        assert_eq!(n.stdout("stat -c %a /etc/ha.d/authkeys"), "600");
        assert_eq!(n.stdout("dpkg-query -W -f='${Status}' heartbeat-rs"), "install ok installed");
    }
    wait_for("the VIP on n1", || c.holds(0));
    assert!(!c.holds(1), "both nodes hold the VIP");
    assert!(["local", "all"].contains(&held(&c.nodes[0]).as_str()), "{}", held(&c.nodes[0]));
    println!(
        "seed recipe: package from apt, VIP {} on n1 (holding {})",
        c.vip(),
        held(&c.nodes[0])
    );

    for n in &c.nodes {
        let (code, log) = n.apply(&seed);
        assert_eq!(code, 0, "{}: second apply should change nothing:\n{log}", n.host.hostname);
    }

    // The seed's reload on a changed file: same daemon, new deadtime.
    let pids: Vec<String> = c.nodes.iter().map(|n| n.daemon_pid()).collect();
    write_files(&c, 12);
    for (n, pid) in c.nodes.iter().zip(&pids) {
        let (code, log) = n.apply(&seed);
        assert_eq!(code, 2, "{}: changed ha.cf should apply:\n{log}", n.host.hostname);
        assert!(log.contains("Exec[heartbeat reload]"), "{}: no reload:\n{log}", n.host.hostname);
        wait_for("deadtime 12 in the running daemon", || {
            n.stdout("cl_status hbparameter -p deadtime") == "12"
        });
        assert_eq!(&n.daemon_pid(), pid, "{}: the daemon was restarted", n.host.hostname);
    }
    println!("seed recipe: ha.cf deadtime 10 -> 12 applied by service heartbeat reload");

    wait_for("the VIP back on n1 after the reload", || c.holds(0));
    let out = c.nodes[0].sh("service heartbeat stop");
    assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
    wait_for("the VIP on n2", || c.holds(1));
    assert!(!c.holds(0), "n1 kept the VIP after stopping");
    println!("seed recipe: service heartbeat stop on n1 moved the VIP to n2");
}
