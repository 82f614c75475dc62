//! `--partial-member`: a node added to `ha.cf` on some nodes only. Checks the scenario and the
//! configurations the engines get; what clusters do with it is reported by `vopr`.

use hb_sim::core_adapter::engine_config;
use hb_sim::{Knobs, Scenario};

#[test]
fn only_some_nodes_list_the_last_node() {
    let mut checked = 0;
    for nodes in 3..=8 {
        for seed in 0..40 {
            let knobs = Knobs { nodes: Some(nodes), partial_member: true, ..Knobs::default() };
            let sc = Scenario::generate(seed, &knobs);
            let listed = sc.partial_member.clone().expect("drawn with three nodes or more");
            let last = nodes - 1;
            assert!(listed[last]);
            assert!(listed[..last].iter().any(|&l| l), "seed {seed}: nobody else lists it");
            assert!(listed[..last].iter().any(|&l| !l), "seed {seed}: everybody lists it");
            assert!(sc.groups.iter().all(|g| g.preferred != last), "the new node prefers none");
            let name = sc.node_name(last);
            for (k, &l) in listed.iter().enumerate() {
                let cfg = engine_config(&sc, k, 1).expect("config");
                assert_eq!(cfg.nodes.contains(&name), l, "seed {seed} node {k}");
                assert_eq!(cfg.nodes.len(), if l { nodes } else { nodes - 1 });
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
    // Not drawn without the knob, nor with two nodes.
    assert!(Scenario::generate(7, &Knobs::default()).partial_member.is_none());
    let two = Knobs { nodes: Some(2), partial_member: true, ..Knobs::default() };
    assert!(Scenario::generate(7, &two).partial_member.is_none());
    println!("partial membership: {checked} node configurations checked");
}
