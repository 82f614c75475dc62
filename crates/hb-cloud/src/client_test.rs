use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use hb_config::cloud::parse_cloud_conf;

use super::*;

const TOKEN: &str = "dop_v1_secret_token_value";

/// Answers from a script, records what was asked.
#[derive(Default)]
struct Fake {
    answers: Mutex<VecDeque<Result<Response, String>>>,
    asked: Mutex<Vec<(String, Option<String>, bool)>>,
}

impl Transport for Fake {
    fn send(
        &self,
        url: &str,
        req: &Request,
        token: Option<&hb_config::cloud::CloudToken>,
        _timeout: Duration,
    ) -> Result<Response, String> {
        let mut asked = self.asked.lock().unwrap();
        asked.push((url.to_owned(), req.body.clone(), token.is_some_and(|t| t.expose() == TOKEN)));
        self.answers.lock().unwrap().pop_front().unwrap_or_else(|| Err("script exhausted".into()))
    }
}

/// Virtual time: sleeping advances it.
#[derive(Default)]
struct Virtual(AtomicU64);

impl Timing for Virtual {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
    fn sleep(&self, d: Duration) {
        self.0.fetch_add(u64::try_from(d.as_nanos()).unwrap(), Ordering::SeqCst);
    }
}

fn ok(status: u16, body: &str) -> Result<Response, String> {
    Ok(Response { status, retry_after: None, body: body.into() })
}

fn client(
    extra: &str,
    answers: Vec<Result<Response, String>>,
) -> (ReservedIpClient, Arc<Fake>, Arc<Virtual>) {
    let text = format!(
        "provider digitalocean\ntoken {TOKEN}\napi_url http://api\nmetadata_url http://meta\n\
         retries 3\nretry_backoff 1\naction_timeout 10\n{extra}"
    );
    let conf = parse_cloud_conf(Path::new("cloud.conf"), &text, &|_| unreachable!()).unwrap();
    let fake = Arc::new(Fake { answers: Mutex::new(answers.into()), ..Fake::default() });
    let time = Arc::new(Virtual::default());
    let c =
        ReservedIpClient::new(conf.providers[0].clone(), fake.clone()).with_timing(time.clone());
    (c, fake, time)
}

const IP: [u8; 4] = [45, 55, 96, 8];
const HELD_BY_7: &str = r#"{"reserved_ip":{"droplet":{"id":7}}}"#;
const HELD_BY_9: &str = r#"{"reserved_ip":{"droplet":{"id":9}}}"#;

fn action(status: &str) -> String {
    format!(r#"{{"action":{{"id":5,"status":"{status}"}}}}"#)
}

#[test]
fn start_asks_metadata_assigns_and_polls() {
    let answers = vec![
        ok(200, "7"),
        ok(200, HELD_BY_9),
        ok(201, &action("in-progress")),
        ok(200, &action("in-progress")),
        ok(200, &action("completed")),
    ];
    let (c, fake, time) = client("", answers);
    let s = c.start(IP.into()).unwrap();
    assert_eq!(s, Started { previous: Some(9), instance: 7, already_ours: false });
    let asked = fake.asked.lock().unwrap();
    let urls: Vec<&str> = asked.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://meta/metadata/v1/id",
            "http://api/v2/reserved_ips/45.55.96.8",
            "http://api/v2/reserved_ips/45.55.96.8/actions",
            "http://api/v2/reserved_ips/45.55.96.8/actions/5",
            "http://api/v2/reserved_ips/45.55.96.8/actions/5",
        ]
    );
    assert!(!asked[0].2, "the metadata service never sees the token");
    assert!(asked[1..].iter().all(|a| a.2), "every API call carries it");
    assert_eq!(asked[2].1.as_deref(), Some(r#"{"droplet_id":7,"type":"assign"}"#));
    assert_eq!(time.now(), FIRST_POLL * 3, "polled after 200 ms then 400 ms");
}

#[test]
fn start_is_idempotent_and_id_is_cached() {
    let (c, fake, _) = client("", vec![ok(200, "7"), ok(200, HELD_BY_7), ok(200, HELD_BY_7)]);
    assert!(c.start(IP.into()).unwrap().already_ours);
    assert_eq!(c.status(IP.into()), Ok(Held::Ours));
    assert_eq!(fake.asked.lock().unwrap().len(), 3, "no assign, metadata asked once");
}

#[test]
fn retries_honour_retry_after_then_give_up() {
    let busy = Ok(Response {
        status: 429,
        retry_after: Some(Duration::from_secs(7)),
        body: String::new(),
    });
    let answers = vec![busy, ok(503, "down"), Err("connection refused".into()), ok(500, "")];
    let (c, fake, time) = client("droplet_id 7\n", answers);
    let e = c.status(IP.into()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "looking up reserved IP 45.55.96.8: gave up after 4 attempts; last: HTTP 500: (empty body)"
    );
    assert_eq!(fake.asked.lock().unwrap().len(), 4);
    // Retry-After 7 s, then the doubled backoff 2 s, then 4 s.
    assert_eq!(time.now(), Duration::from_secs(7 + 2 + 4));
    let (c, _, _) = client("droplet_id 7\n", vec![ok(502, "x"), ok(200, HELD_BY_9)]);
    assert_eq!(c.status(IP.into()), Ok(Held::Other(9)), "a retry that succeeds is success");
}

#[test]
fn client_errors_are_final_and_name_status_and_message() {
    for (status, body, want) in [
        (
            401,
            r#"{"id":"unauthorized","message":"Unable to authenticate you"}"#,
            "unauthorized: Unable to authenticate you",
        ),
        (
            403,
            r#"{"id":"forbidden","message":"You do not have access"}"#,
            "forbidden: You do not have access",
        ),
        (
            404,
            r#"{"id":"not_found","message":"The resource could not be found."}"#,
            "not_found: The resource could not be found.",
        ),
        (
            422,
            &format!(r#"{{"id":"unprocessable_entity","message":"bad token {TOKEN}"}}"#),
            "unprocessable_entity: bad token <redacted>",
        ),
    ] {
        let (c, fake, _) = client("droplet_id 7\n", vec![ok(status, body), ok(200, HELD_BY_7)]);
        let e = c.start(IP.into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("looking up reserved IP 45.55.96.8: HTTP {status} from the digitalocean API: {want}")
        );
        assert_eq!(fake.asked.lock().unwrap().len(), 1, "{status} is not retried");
        assert!(!format!("{e} {e:?} {c:?}").contains(TOKEN));
    }
}

#[test]
fn errored_and_stuck_actions_fail() {
    let answers =
        vec![ok(200, HELD_BY_9), ok(201, &action("in-progress")), ok(200, &action("errored"))];
    let (c, _, _) = client("droplet_id 7\n", answers);
    assert_eq!(
        c.start(IP.into()).unwrap_err().to_string(),
        "assigning 45.55.96.8 to 7: action 5 errored"
    );
    let mut answers = vec![ok(200, HELD_BY_9)];
    answers.extend((0..40).map(|_| ok(200, &action("in-progress"))));
    let (c, fake, time) = client("droplet_id 7\n", answers);
    let e = c.start(IP.into()).unwrap_err().to_string();
    assert_eq!(
        e,
        "assigning 45.55.96.8 to 7: action 5 still in progress after 10s (action_timeout)"
    );
    assert_eq!(time.now(), Duration::from_secs(10), "gave up at the deadline, not later");
    assert!(fake.asked.lock().unwrap().len() < 15, "polls back off");
}

#[test]
fn stop_is_a_no_op_unless_asked() {
    let (c, fake, _) = client("droplet_id 7\n", vec![]);
    assert_eq!(c.stop(IP.into()), Ok(false));
    assert!(fake.asked.lock().unwrap().is_empty());
    let answers = vec![ok(200, HELD_BY_7), ok(201, &action("completed"))];
    let (c, fake, _) = client("droplet_id 7\nunassign_on_stop yes\n", answers);
    assert_eq!(c.stop(IP.into()), Ok(true));
    assert_eq!(fake.asked.lock().unwrap()[1].1.as_deref(), Some(r#"{"type":"unassign"}"#));
    let (c, _, _) = client("droplet_id 7\nunassign_on_stop yes\n", vec![ok(200, HELD_BY_9)]);
    assert_eq!(c.stop(IP.into()), Ok(false), "never unassigns another node's IP");
}

#[test]
fn bad_answers_are_reported() {
    let (c, _, _) = client("", vec![ok(200, "<html>oops</html>")]);
    assert_eq!(
        c.status(IP.into()).unwrap_err().to_string(),
        "asking the metadata service for this machine's id: unexpected answer from the \
         digitalocean API: droplet id is not a number: <html>oops</html>"
    );
}
