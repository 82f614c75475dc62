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
