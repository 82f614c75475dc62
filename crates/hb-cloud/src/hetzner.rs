//! Hetzner Cloud floating IPs (`/v1/floating_ips`), server id from the metadata service.
//! Actions address a floating IP by its numeric id, so a lookup lists the account's floating
//! IPs (page by page) and finds ours by address.

use std::net::IpAddr;

use crate::http::{Base, Request};
use crate::provider::{excerpt, id_of, json, ActionState, Holder, Lookup, Provider};

/// Floating IPs listed per page.
const PER_PAGE: u32 = 50;

/// The Hetzner Cloud API.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hetzner;

impl Provider for Hetzner {
    fn name(&self) -> &'static str {
        "hetzner"
    }

    fn instance_id_request(&self) -> Request {
        Request::get(Base::Metadata, "/hetzner/v1/metadata/instance-id".into())
    }

    fn parse_instance_id(&self, body: &str) -> Result<u64, String> {
        body.trim().parse().map_err(|_| format!("server id is not a number: {}", excerpt(body)))
    }

    fn lookup_request(&self, _ip: IpAddr, page: u32) -> Request {
        Request::get(Base::Api, format!("/v1/floating_ips?page={page}&per_page={PER_PAGE}"))
    }

    fn parse_lookup(&self, ip: IpAddr, body: &str) -> Result<Lookup, String> {
        let v = json(body)?;
        let list = v
            .get("floating_ips")
            .and_then(serde_json::Value::as_array)
            .ok_or("no `floating_ips` list in the answer")?;
        for f in list {
            // IPv6 floating IPs are networks (`2001:db8::/64`): compare the address part.
            let addr = f.get("ip").and_then(serde_json::Value::as_str).unwrap_or("");
            let addr = addr.split('/').next().unwrap_or("");
            if addr.parse::<IpAddr>().ok() == Some(ip) {
                let instance = f.get("server").and_then(serde_json::Value::as_u64);
                let handle = id_of(f, "floating IP")?.to_string();
                return Ok(Lookup::Found(Holder { instance, handle }));
            }
        }
        let next = v.pointer("/meta/pagination/next_page").and_then(serde_json::Value::as_u64);
        Ok(match next.and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Lookup::Next(n),
            None => Lookup::Missing,
        })
    }

    fn assign_request(&self, handle: &str, instance: u64) -> Request {
        let body = serde_json::json!({ "server": instance }).to_string();
        Request::post(format!("/v1/floating_ips/{handle}/actions/assign"), body)
    }

    fn unassign_request(&self, handle: &str) -> Request {
        Request::post(format!("/v1/floating_ips/{handle}/actions/unassign"), "{}".into())
    }

    fn parse_action(&self, body: &str) -> Result<ActionState, String> {
        let v = json(body)?;
        let a = v.get("action").ok_or("no `action` in the answer")?;
        let id = id_of(a, "action")?;
        match a.get("status").and_then(serde_json::Value::as_str) {
            Some("running") => Ok(ActionState::InProgress(id)),
            Some("success") => Ok(ActionState::Completed),
            Some("error") => {
                let why = a.pointer("/error/message").and_then(serde_json::Value::as_str);
                Ok(ActionState::Errored(match why {
                    Some(m) => format!("action {id} failed: {}", excerpt(m)),
                    None => format!("action {id} failed"),
                }))
            }
            other => Err(format!("unknown action status {other:?}")),
        }
    }

    fn action_request(&self, _handle: &str, id: u64) -> Request {
        Request::get(Base::Api, format!("/v1/floating_ips/actions/{id}"))
    }

    fn error_message(&self, body: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let e = v.get("error")?;
        let msg = e.get("message")?.as_str()?;
        Some(match e.get("code").and_then(serde_json::Value::as_str) {
            Some(code) => format!("{code}: {}", excerpt(msg)),
            None => excerpt(msg),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_pages_and_actions() {
        let p = Hetzner;
        let ip: IpAddr = [78, 46, 1, 2].into();
        let page1 = r#"{"floating_ips":[{"id":4711,"ip":"1.2.3.4","server":null}],
                        "meta":{"pagination":{"page":1,"next_page":2}}}"#;
        assert_eq!(p.parse_lookup(ip, page1), Ok(Lookup::Next(2)));
        let page2 = r#"{"floating_ips":[{"id":4712,"ip":"78.46.1.2","server":42}],
                        "meta":{"pagination":{"page":2,"next_page":null}}}"#;
        assert_eq!(
            p.parse_lookup(ip, page2),
            Ok(Lookup::Found(Holder { instance: Some(42), handle: "4712".into() }))
        );
        let none = r#"{"floating_ips":[],"meta":{"pagination":{"next_page":null}}}"#;
        assert_eq!(p.parse_lookup(ip, none), Ok(Lookup::Missing));
        let v6: IpAddr = "2001:db8::".parse().unwrap();
        let six = r#"{"floating_ips":[{"id":5,"ip":"2001:db8::/64","server":null}]}"#;
        assert!(matches!(
            p.parse_lookup(v6, six),
            Ok(Lookup::Found(Holder { instance: None, .. }))
        ));
        let a = p.assign_request("4712", 42);
        assert_eq!(a.path, "/v1/floating_ips/4712/actions/assign");
        assert_eq!(a.body.as_deref(), Some(r#"{"server":42}"#));
        assert_eq!(
            p.parse_action(r#"{"action":{"id":3,"status":"running","error":null}}"#),
            Ok(ActionState::InProgress(3))
        );
        assert_eq!(
            p.parse_action(
                r#"{"action":{"id":3,"status":"error","error":{"code":"x","message":"locked"}}}"#
            ),
            Ok(ActionState::Errored("action 3 failed: locked".into()))
        );
        assert_eq!(
            p.error_message(
                r#"{"error":{"code":"unauthorized","message":"unable to authenticate"}}"#
            ),
            Some("unauthorized: unable to authenticate".into())
        );
    }
}
