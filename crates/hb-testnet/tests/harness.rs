//! The harness builds a working network and leaves nothing behind.

use hb_testnet::{skip_or, Testnet};

#[test]
fn nodes_reach_each_other_and_cleanup_is_complete() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let prefix = net.prefix().to_string();
    assert_eq!(Testnet::existing_namespaces(&prefix).map(|v| v.len()).ok(), Some(4));
    assert!(net.ping_from_client(net.node(0).ip).unwrap_or(false));
    assert!(net.ping_from_client(net.node(1).ip).unwrap_or(false));
    let mac = net.mac_of(net.node(1)).unwrap_or_default();
    assert_eq!(net.arping_from_client(net.node(1).ip).ok().flatten(), Some(mac.clone()));
    assert_eq!(net.client_neigh_mac(net.node(1).ip).ok().flatten(), Some(mac));

    // Link cut and restore.
    assert!(net.link_down(net.node(0)).is_ok());
    assert!(!net.ping_from_client(net.node(0).ip).unwrap_or(true));
    assert!(net.link_up(net.node(0)).is_ok());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(net.ping_from_client(net.node(0).ip).unwrap_or(false));

    // 100 % loss blocks, 0 % restores.
    if let Err(e) = net.set_loss(net.node(1), 100) {
        panic!("set_loss: {e}");
    }
    assert!(!net.ping_from_client(net.node(1).ip).unwrap_or(true));
    assert!(net.set_loss(net.node(1), 0).is_ok());
    assert!(net.ping_from_client(net.node(1).ip).unwrap_or(false));

    // Spawned processes get the node's host name and are killed on drop.
    let pid = net.spawn_in(net.node(0), "sleep", &["300"]).unwrap_or(0);
    assert!(pid > 0);
    assert!(net.is_running(pid));
    drop(net);
    // Killed and reaped: not even a zombie entry is left.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(Testnet::existing_namespaces(&prefix).map(|v| v.len()).ok(), Some(0));
}

#[test]
fn spawned_process_sees_private_hostname() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let dir = std::env::temp_dir().join(format!("{}-hn", net.prefix()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("hostname");
    let script = format!("hostname > {}", file.display());
    let pid = net.spawn_in(net.node(0), "sh", &["-c", &script]).unwrap_or(0);
    assert!(pid > 0);
    for _ in 0..50 {
        if !net.is_running(pid) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(std::fs::read_to_string(&file).ok().as_deref(), Some("n1\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn panicking_test_still_cleans_up() {
    let prefix = std::sync::Mutex::new(String::new());
    let result = std::panic::catch_unwind(|| {
        let Some(net) = skip_or(Testnet::new(1)) else { return };
        *prefix.lock().unwrap_or_else(|p| p.into_inner()) = net.prefix().to_string();
        panic!("deliberate");
    });
    let prefix = prefix.into_inner().unwrap_or_else(|p| p.into_inner());
    if prefix.is_empty() {
        return; // skipped
    }
    assert!(result.is_err());
    assert_eq!(Testnet::existing_namespaces(&prefix).map(|v| v.len()).ok(), Some(0));
}

#[test]
fn leftovers_of_a_killed_test_process_are_swept() {
    // Simulate a harness whose process died without Drop: a marker with a dead PID and a
    // namespace with its prefix.
    if !nix::unistd::geteuid().is_root() {
        let _ = skip_or(Testnet::new(1)); // prints "skipped: needs root"
        return;
    }
    let prefix = format!("hbtdead{}", std::process::id() % 10000);
    let ns = format!("{prefix}-n1");
    let made = std::process::Command::new("ip").args(["netns", "add", &ns]).status();
    assert!(made.map(|s| s.success()).unwrap_or(false));
    let _ = std::fs::create_dir_all("/run/hb-testnet");
    // PID 0x7ffffffe is above pid_max: never alive.
    let _ = std::fs::write(format!("/run/hb-testnet/{prefix}"), "2147483646");
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    assert_eq!(Testnet::existing_namespaces(&prefix).map(|v| v.len()).ok(), Some(0));
    assert!(!std::path::Path::new(&format!("/run/hb-testnet/{prefix}")).exists());
    drop(net);
}
