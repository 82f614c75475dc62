//! The stand-in's endpoints: DigitalOcean reserved IPs and Hetzner floating IPs, and the
//! actions that move them.

use std::net::IpAddr;
use std::time::Instant;

use super::{Answer, Assignment, Fault, Req, State, MAX_RECORDS};

type Routed = std::result::Result<Answer, (u16, &'static str, String)>;

pub(super) fn route(
    s: &mut State,
    req: &Req,
    fault: Option<Fault>,
    t0: Instant,
    hetzner: bool,
) -> Routed {
    let not_found =
        || (404, "not_found", "The resource you were accessing could not be found.".to_owned());
    let path = req.path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ok = |v: serde_json::Value| -> Answer { (200, v.to_string(), None, None) };
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["v2", "reserved_ips", ip]) => {
            let ip: IpAddr = ip.parse().map_err(|_| not_found())?;
            let (_, holder) = s.ips.get(&ip).ok_or_else(not_found)?;
            let droplet =
                holder.map(|id| serde_json::json!({"id": id, "name": format!("droplet-{id}")}));
            Ok(ok(
                serde_json::json!({"reserved_ip": {"ip": ip.to_string(), "droplet": droplet, "locked": false}}),
            ))
        }
        ("POST", ["v2", "reserved_ips", ip, "actions"]) => {
            let ip: IpAddr = ip.parse().map_err(|_| not_found())?;
            s.ips.get(&ip).ok_or_else(not_found)?;
            let v: serde_json::Value = serde_json::from_str(&req.body)
                .map_err(|_| (422, "unprocessable_entity", "body is not JSON".to_owned()))?;
            let target = match v.get("type").and_then(|t| t.as_str()) {
                Some("assign") => {
                    Some(v.get("droplet_id").and_then(serde_json::Value::as_u64).ok_or((
                        422,
                        "unprocessable_entity",
                        "droplet_id is required".to_owned(),
                    ))?)
                }
                Some("unassign") => None,
                _ => return Err((422, "unprocessable_entity", "unknown action type".to_owned())),
            };
            let id = new_action(s, ip, target, fault, t0);
            Ok((201, action_json(s, id, hetzner), None, None))
        }
        ("GET", ["v2", "reserved_ips", _, "actions", id])
        | ("GET", ["v1", "floating_ips", "actions", id]) => {
            let id: u64 = id.parse().map_err(|_| not_found())?;
            poll_action(s, id, t0);
            if !s.actions.contains_key(&id) {
                return Err(not_found());
            }
            Ok((200, action_json(s, id, hetzner), None, None))
        }
        ("GET", ["v1", "floating_ips"]) => {
            let mut list: Vec<_> =
                s.ips.iter().map(|(ip, (id, holder))| (*id, *ip, *holder)).collect();
            list.sort();
            let items: Vec<_> = list
                .iter()
                .map(|(id, ip, holder)| serde_json::json!({"id": id, "ip": ip.to_string(), "server": holder}))
                .collect();
            Ok(ok(
                serde_json::json!({"floating_ips": items, "meta": {"pagination": {"page": 1, "next_page": null}}}),
            ))
        }
        ("POST", ["v1", "floating_ips", fid, "actions", kind]) => {
            let fid: u64 = fid.parse().map_err(|_| not_found())?;
            let ip = s
                .ips
                .iter()
                .find(|(_, (id, _))| *id == fid)
                .map(|(ip, _)| *ip)
                .ok_or_else(not_found)?;
            let target = match *kind {
                "assign" => {
                    let v: serde_json::Value = serde_json::from_str(&req.body).unwrap_or_default();
                    Some(v.get("server").and_then(serde_json::Value::as_u64).ok_or((
                        422,
                        "invalid_input",
                        "server is required".to_owned(),
                    ))?)
                }
                "unassign" => None,
                _ => return Err(not_found()),
            };
            let id = new_action(s, ip, target, fault, t0);
            Ok((201, action_json(s, id, hetzner), None, None))
        }
        _ => Err(not_found()),
    }
}

/// Records an action; one without a fault completes at once (the IP moves now).
fn new_action(
    s: &mut State,
    ip: IpAddr,
    target: Option<u64>,
    fault: Option<Fault>,
    t0: Instant,
) -> u64 {
    s.next_action += 1;
    let id = s.next_action;
    let (polls, errors) = match fault {
        Some(Fault::InProgressPolls(n)) => (n, false),
        Some(Fault::ActionErrors) => (1, true),
        _ => (0, false),
    };
    s.actions.insert(id, (ip, target, polls, errors));
    if polls == 0 {
        finish(s, id, t0);
    }
    id
}

fn poll_action(s: &mut State, id: u64, t0: Instant) {
    if let Some(a) = s.actions.get_mut(&id) {
        if a.2 > 0 {
            a.2 -= 1;
            if a.2 == 0 {
                finish(s, id, t0);
            }
        }
    }
}

fn finish(s: &mut State, id: u64, t0: Instant) {
    let Some(&(ip, target, _, errors)) = s.actions.get(&id) else { return };
    if errors {
        return;
    }
    if let Some(e) = s.ips.get_mut(&ip) {
        if e.1 != target {
            e.1 = target;
            if s.history.len() < MAX_RECORDS {
                s.history.push(Assignment { at: t0.elapsed(), ip, holder: target });
            }
        }
    }
}

fn action_json(s: &State, id: u64, hetzner: bool) -> String {
    let (polls, errors) = s.actions.get(&id).map_or((0, false), |a| (a.2, a.3));
    let status = match (polls, errors, hetzner) {
        (0, true, false) => "errored",
        (0, false, false) => "completed",
        (_, _, false) => "in-progress",
        (0, true, true) => "error",
        (0, false, true) => "success",
        (_, _, true) => "running",
    };
    let error = (polls == 0 && errors)
        .then(|| serde_json::json!({"code": "action_failed", "message": "injected failure"}));
    serde_json::json!({"action": {"id": id, "status": status, "type": "assign_ip", "error": error}})
        .to_string()
}
