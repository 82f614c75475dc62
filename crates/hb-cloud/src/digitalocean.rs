//! DigitalOcean reserved IPs (`/v2/reserved_ips`), droplet id from `/metadata/v1/id`.

use std::net::IpAddr;

use crate::http::{Base, Request};
use crate::provider::{excerpt, id_of, json, ActionState, Holder, Lookup, Provider};

/// The DigitalOcean API.
#[derive(Debug, Clone, Copy, Default)]
pub struct DigitalOcean;

impl Provider for DigitalOcean {
    fn name(&self) -> &'static str {
        "digitalocean"
    }

    fn instance_id_request(&self) -> Request {
        Request::get(Base::Metadata, "/metadata/v1/id".into())
    }

    fn parse_instance_id(&self, body: &str) -> Result<u64, String> {
        body.trim().parse().map_err(|_| format!("droplet id is not a number: {}", excerpt(body)))
    }

    fn lookup_request(&self, ip: IpAddr, _page: u32) -> Request {
        Request::get(Base::Api, format!("/v2/reserved_ips/{ip}"))
    }

    fn parse_lookup(&self, ip: IpAddr, body: &str) -> Result<Lookup, String> {
        let v = json(body)?;
        let r = v.get("reserved_ip").ok_or("no `reserved_ip` in the answer")?;
        let instance = match r.get("droplet") {
            None | Some(serde_json::Value::Null) => None,
            Some(d) => Some(id_of(d, "droplet")?),
        };
        Ok(Lookup::Found(Holder { instance, handle: ip.to_string() }))
    }

    fn assign_request(&self, handle: &str, instance: u64) -> Request {
        let body = serde_json::json!({ "type": "assign", "droplet_id": instance }).to_string();
        Request::post(format!("/v2/reserved_ips/{handle}/actions"), body)
    }

    fn unassign_request(&self, handle: &str) -> Request {
        let body = serde_json::json!({ "type": "unassign" }).to_string();
        Request::post(format!("/v2/reserved_ips/{handle}/actions"), body)
    }

    fn parse_action(&self, body: &str) -> Result<ActionState, String> {
        let v = json(body)?;
        let a = v.get("action").ok_or("no `action` in the answer")?;
        let id = id_of(a, "action")?;
        match a.get("status").and_then(serde_json::Value::as_str) {
            Some("in-progress") => Ok(ActionState::InProgress(id)),
            Some("completed") => Ok(ActionState::Completed),
            Some("errored") => Ok(ActionState::Errored(format!("action {id} errored"))),
            other => Err(format!("unknown action status {other:?}")),
        }
    }

    fn action_request(&self, handle: &str, id: u64) -> Request {
        Request::get(Base::Api, format!("/v2/reserved_ips/{handle}/actions/{id}"))
    }

    fn error_message(&self, body: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let msg = v.get("message")?.as_str()?;
        Some(match v.get("id").and_then(serde_json::Value::as_str) {
            Some(id) => format!("{id}: {}", excerpt(msg)),
            None => excerpt(msg),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers() {
        let p = DigitalOcean;
        let ip: IpAddr = [45, 55, 96, 8].into();
        let a = p.assign_request("45.55.96.8", 7);
        assert_eq!(a.path, "/v2/reserved_ips/45.55.96.8/actions");
        let body: serde_json::Value =
            serde_json::from_str(a.body.as_deref().unwrap_or("")).unwrap();
        assert_eq!(body, serde_json::json!({"type": "assign", "droplet_id": 7}));
        let held =
            r#"{"reserved_ip":{"ip":"45.55.96.8","droplet":{"id":7,"name":"a"},"locked":false}}"#;
        assert_eq!(
            p.parse_lookup(ip, held),
            Ok(Lookup::Found(Holder { instance: Some(7), handle: "45.55.96.8".into() }))
        );
        let free = r#"{"reserved_ip":{"ip":"45.55.96.8","droplet":null}}"#;
        assert!(matches!(
            p.parse_lookup(ip, free),
            Ok(Lookup::Found(Holder { instance: None, .. }))
        ));
        assert!(p.parse_lookup(ip, "<html>").unwrap_err().starts_with("not JSON"));
        let act = |s: &str| p.parse_action(&format!(r#"{{"action":{{"id":9,"status":"{s}"}}}}"#));
        assert_eq!(act("in-progress"), Ok(ActionState::InProgress(9)));
        assert_eq!(act("completed"), Ok(ActionState::Completed));
        assert!(matches!(act("errored"), Ok(ActionState::Errored(_))));
        assert!(act("weird").is_err());
        assert_eq!(p.action_request("45.55.96.8", 9).path, "/v2/reserved_ips/45.55.96.8/actions/9");
        assert_eq!(
            p.error_message(r#"{"id":"unauthorized","message":"Unable to authenticate you"}"#),
            Some("unauthorized: Unable to authenticate you".into())
        );
        assert_eq!(p.parse_instance_id("3164494\n"), Ok(3164494));
    }
}
