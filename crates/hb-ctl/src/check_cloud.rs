//! The `cloud.conf` part of `hbctl check-config`'s effective settings (token never shown).

use hb_config::cloud::CloudConf;
use hb_config::time::format_time;

/// One `cloud PROVIDER key=value…` line per provider section.
pub fn cloud_settings(cloud: &CloudConf) -> Vec<String> {
    cloud
        .providers
        .iter()
        .map(|p| {
            let token = match &p.token_file {
                Some(f) => format!("token_file={} (token not shown)", f.display()),
                None => "token=(inline, not shown)".to_owned(),
            };
            let id = p.instance_id.map_or("(metadata service)".to_owned(), |i| i.to_string());
            format!(
                "cloud {} api_url={} metadata_url={} instance_id={id} {token} timeout={} \
                 action_timeout={} retries={} retry_backoff={} verify_interval={} \
                 unassign_on_stop={}",
                p.kind.name(),
                p.api_url,
                p.metadata_url,
                format_time(p.request_timeout),
                format_time(p.action_timeout),
                p.retries,
                format_time(p.retry_backoff),
                format_time(p.verify_interval),
                if p.unassign_on_stop { "yes" } else { "no" },
            )
        })
        .collect()
}

/// The `arbiter …` line for `arbiter.conf` (nothing shown of the key but its path).
pub fn arbiter_settings(
    a: &hb_config::arbiter::ArbiterConf,
    deadtime: std::time::Duration,
) -> String {
    let file = |f: &Option<std::path::PathBuf>| {
        f.as_ref().map_or("-".to_owned(), |p| p.display().to_string())
    };
    let grace = match a.unreachable {
        hb_config::arbiter::Unreachable::Keep => String::new(),
        hb_config::arbiter::Unreachable::Release => {
            format!(" grace={}", format_time(a.grace_for(deadtime)))
        }
    };
    format!(
        "arbiter etcd endpoints={} tls={} ca_file={} cert_file={} key_file={} keys={}/{}/groups/* \
         lease_ttl={} unreachable={}{grace} timeout={}",
        a.endpoints.join(","),
        if a.tls() { "yes" } else { "no" },
        file(&a.ca_file),
        file(&a.cert_file),
        file(&a.key_file),
        a.prefix,
        a.cluster,
        format_time(a.lease_ttl_for(deadtime)),
        a.unreachable.name(),
        format_time(a.timeout),
    )
}
