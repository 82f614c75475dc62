//! The real HTTP client (ureq) against the provider stand-in of `hb-testnet` on loopback:
//! every documented endpoint and every failure mode the stand-in can inject.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hb_cloud::{CloudError, Held, ReservedIpClient, UreqTransport};
use hb_config::cloud::parse_cloud_conf;
use hb_testnet::cloud_api::{CloudApi, Fault};

const TOKEN: &str = "dop_v1_standin_secret_0123456789";
const IP: [u8; 4] = [45, 55, 96, 8];
const ME: u64 = 7;
const PEER: u64 = 9;

fn ip() -> IpAddr {
    IP.into()
}

fn setup(provider: &str, token: &str, extra: &str) -> (CloudApi, ReservedIpClient) {
    let api = CloudApi::start(TOKEN).expect("stand-in");
    api.add_ip(ip(), 4711, Some(PEER));
    api.add_instance([127, 0, 0, 1].into(), ME);
    let text = format!(
        "provider {provider}\ntoken {token}\napi_url {u}\nmetadata_url {u}\ntimeout 500ms\n\
         retries 3\nretry_backoff 100ms\naction_timeout 5\n{extra}",
        u = api.url()
    );
    let conf = parse_cloud_conf(Path::new("cloud.conf"), &text, &|_| unreachable!()).expect("conf");
    let client = ReservedIpClient::new(conf.providers[0].clone(), Arc::new(UreqTransport));
    (api, client)
}

fn no_token(e: &CloudError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
}

#[test]
fn digitalocean_assign_status_and_idempotent_start() {
    let (api, c) = setup("digitalocean", TOKEN, "");
    assert_eq!(c.status(ip()), Ok(Held::Other(PEER)));
    let s = c.start(ip()).expect("start");
    assert_eq!((s.previous, s.instance, s.already_ours), (Some(PEER), ME, false));
    assert_eq!(api.holder(ip()), Some(ME));
    assert!(c.start(ip()).expect("again").already_ours);
    assert_eq!(c.status(ip()), Ok(Held::Ours));
    let seen = api.seen();
    let posts = seen.iter().filter(|s| s.line.starts_with("POST")).count();
    assert_eq!(posts, 1, "the second start sent no assign: {seen:?}");
    let metadata = seen.iter().filter(|s| s.line == "GET /metadata/v1/id").count();
    assert_eq!(metadata, 1, "the droplet id is asked once");
    assert!(seen.iter().filter(|s| !s.line.contains("metadata")).all(|s| s.authorized));
    assert_eq!(api.history().len(), 1);
}

#[test]
fn hetzner_floating_ip_by_id() {
    let (api, c) = setup("hetzner", TOKEN, "unassign_on_stop yes\n");
    assert_eq!(c.status(ip()), Ok(Held::Other(PEER)));
    c.start(ip()).expect("start");
    assert_eq!(api.holder(ip()), Some(ME));
    assert!(api.seen().iter().any(|s| s.line == "POST /v1/floating_ips/4711/actions/assign"));
    assert!(api.seen().iter().any(|s| s.line == "GET /hetzner/v1/metadata/instance-id"));
    assert_eq!(c.stop(ip()), Ok(true));
    assert_eq!(api.holder(ip()), None);
}

#[test]
fn refusals_are_immediate_and_say_why() {
    let (api, c) = setup("digitalocean", "dop_v1_wrong_token", "");
    let e = c.start(ip()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "looking up reserved IP 45.55.96.8: HTTP 401 from the digitalocean API: unauthorized: \
         Unable to authenticate you"
    );
    assert_eq!(api.seen().len(), 2, "metadata + one API call, no retry");
    let (api, c) = setup("digitalocean", TOKEN, "");
    let e = c.start([10, 1, 2, 3].into()).unwrap_err();
    assert!(e.to_string().contains("HTTP 404 from the digitalocean API: not_found"), "{e}");
    no_token(&e);
    for code in [403, 422] {
        api.push_fault(Fault::Status(code, format!("injected {code}")));
        let e = c.start(ip()).unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "HTTP {code} from the digitalocean API: injected: injected {code}"
            )),
            "{e}"
        );
        no_token(&e);
    }
    assert_eq!(api.holder(ip()), Some(PEER), "nothing moved");
}

#[test]
fn retries_on_429_500_and_slow_answers() {
    let (api, c) = setup("digitalocean", TOKEN, "");
    api.push_fault(Fault::TooMany(1));
    api.push_fault(Fault::Status(500, "boom".into()));
    api.push_fault(Fault::Slow(Duration::from_secs(2)));
    let t = Instant::now();
    c.start(ip()).expect("start succeeds after three failures");
    let took = t.elapsed();
    // Retry-After 1 s, then 200 ms backoff, then a 500 ms timeout and 400 ms backoff.
    assert!(took >= Duration::from_millis(2000), "{took:?}");
    assert_eq!(api.holder(ip()), Some(ME));
    let statuses: Vec<u16> = api.seen().iter().map(|s| s.status).collect();
    assert_eq!(&statuses[..3], [200, 429, 500], "{statuses:?}");
}

#[test]
fn api_down_gives_up_after_the_retry_limit() {
    let (api, c) = setup("digitalocean", TOKEN, "");
    api.set_down(true);
    let e = c.start(ip()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "looking up reserved IP 45.55.96.8: gave up after 4 attempts; last: HTTP 503: \
         service_unavailable: The API is down for maintenance"
    );
    no_token(&e);
    api.set_down(false);
    drop(api);
    let e = c.status(ip()).unwrap_err();
    assert!(matches!(e, CloudError::GaveUp { attempts: 4, .. }), "{e}");
}

#[test]
fn actions_in_progress_then_completed_or_errored() {
    let (api, c) = setup("digitalocean", TOKEN, "");
    api.push_fault(Fault::InProgressPolls(3));
    c.start(ip()).expect("completes after polls");
    assert_eq!(api.holder(ip()), Some(ME));
    let polls = api.seen().iter().filter(|s| s.line.contains("/actions/")).count();
    assert_eq!(polls, 3);
    api.move_ip(ip(), Some(PEER));
    api.push_fault(Fault::ActionErrors);
    let e = c.start(ip()).unwrap_err();
    assert!(e.to_string().starts_with("assigning 45.55.96.8 to 7: action"), "{e}");
    assert!(e.to_string().ends_with("errored"), "{e}");
    assert_eq!(api.holder(ip()), Some(PEER));
    let (api, c) = setup("hetzner", TOKEN, "");
    api.push_fault(Fault::ActionErrors);
    let e = c.start(ip()).unwrap_err();
    assert!(e.to_string().ends_with("failed: injected failure"), "{e}");
}

#[test]
fn a_non_http_answer_is_retried_then_reported() {
    let (api, c) = setup("digitalocean", TOKEN, "");
    api.push_fault(Fault::Garbage);
    assert_eq!(c.status(ip()), Ok(Held::Other(PEER)), "one garbage answer is retried");
    for _ in 0..4 {
        api.push_fault(Fault::Garbage);
    }
    let e = c.status(ip()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(
            "looking up reserved IP 45.55.96.8: gave up after 4 attempts; last: http://"
        ),
        "{text}"
    );
    no_token(&e);
    eprintln!("garbage answer reported as: {text}");
}
