//! Building the engine's configuration from the parsed `/etc/ha.d` files.

use hb_config::{Config, Medium};

use crate::config::{AutoFailback, EngineConfig, GroupConfig};

impl EngineConfig {
    /// The engine's view of a parsed configuration: nodes, one link per medium (named by its
    /// interface or device, as `cl_status listhblinks` shows them), timers, `auto_failback` and
    /// the `haresources` groups. `generation` is the last persisted generation number and
    /// `uuid` the node's persistent UUID, both from the state directory.
    pub fn from_config(
        config: &Config,
        local_node: &str,
        generation: u32,
        uuid: [u8; 16],
    ) -> EngineConfig {
        let hacf = &config.hacf;
        let timers = &hacf.timers;
        EngineConfig {
            local_node: local_node.to_lowercase(),
            nodes: hacf.nodes.clone(),
            links: hacf.media.iter().map(link_name).collect(),
            keepalive: timers.keepalive,
            warntime: timers.warntime,
            deadtime: timers.deadtime,
            initdead: timers.initdead,
            auto_failback: match hacf.auto_failback {
                hb_config::AutoFailback::On => AutoFailback::On,
                hb_config::AutoFailback::Off => AutoFailback::Off,
                hb_config::AutoFailback::Legacy => AutoFailback::Legacy,
            },
            groups: config
                .haresources
                .groups
                .iter()
                .map(|g| GroupConfig {
                    name: g.key().to_owned(),
                    preferred_node: g.preferred_node.to_lowercase(),
                    resources: g.resources.iter().map(|r| r.spec.clone()).collect(),
                })
                .collect(),
            generation,
            uuid,
            max_rexmit_delay: hacf.tuning.max_rexmit_delay,
            fencing: !hacf.stonith.is_empty(),
        }
    }
}

fn link_name(medium: &Medium) -> String {
    match medium {
        Medium::Bcast { interface, .. }
        | Medium::Ucast { interface, .. }
        | Medium::Ucast6 { interface, .. }
        | Medium::Mcast { interface, .. }
        | Medium::Mcast6 { interface, .. } => interface.clone(),
        Medium::Serial { device, .. } => device.display().to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const HACF: &str = "keepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\nudpport 694\n\
                        ucast la-e0 10.99.0.12\nbcast la-e1\nauto_failback on\nnode n1 n2\n";
    const HARESOURCES: &str = "n1 10.99.0.50/24 httpd\nn2 IPaddr::10.99.0.51\n";
    const AUTHKEYS: &str = "auth 1\n1 sha1 secret\n";

    #[test]
    fn parsed_files_become_a_valid_engine_config() {
        let config = Config::from_texts(HACF, HARESOURCES, AUTHKEYS, 694).expect("valid config");
        let engine = EngineConfig::from_config(&config, "N1", 41, [7; 16]);
        engine.validate().expect("valid engine config");
        assert_eq!(engine.local_node, "n1");
        assert_eq!(engine.nodes, ["n1", "n2"]);
        assert_eq!(engine.links, ["la-e0", "la-e1"]);
        assert_eq!(engine.keepalive, Duration::from_millis(200));
        assert_eq!(engine.deadtime, Duration::from_secs(2));
        assert_eq!(engine.warntime, Duration::from_secs(1));
        assert_eq!(engine.initdead, Duration::from_secs(4));
        assert_eq!(engine.auto_failback, AutoFailback::On);
        assert_eq!(engine.generation, 41);
        assert_eq!(engine.max_rexmit_delay, Duration::from_millis(250));
        assert_eq!(engine.groups.len(), 2);
        assert_eq!(engine.groups[0].name, "10.99.0.50/24");
        assert_eq!(engine.groups[0].preferred_node, "n1");
        assert_eq!(engine.groups[0].resources, ["10.99.0.50/24", "httpd"]);
        assert_eq!(engine.groups[1].resources, ["IPaddr::10.99.0.51"]);
    }
}
