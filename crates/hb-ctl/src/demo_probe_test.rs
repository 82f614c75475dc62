use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A log of probes every 10 ms from `start`; each piece is (how many probes, answer).
fn log_of(start: u64, pieces: &[(u64, Option<&str>)]) -> ProbeLog {
    let mut log = ProbeLog::default();
    let mut t = start;
    for (n, who) in pieces {
        for _ in 0..*n {
            log.push(ms(t), who.map(str::to_string));
            t += 10;
        }
    }
    log
}

#[test]
fn failover_outage_spans_last_answer_to_first_answer() {
    // n1 answers 0..=990 ms, the event is at 1000 ms, nobody answers 1000..=2190, n2 from 2200.
    let log = log_of(0, &[(100, Some("n1")), (120, None), (50, Some("n2"))]);
    assert_eq!(log.runs().len(), 3);
    let o = outage(log.runs(), ms(995), ms(2700));
    assert_eq!(o.before.as_deref(), Some("n1"));
    assert_eq!(o.after.as_deref(), Some("n2"));
    assert_eq!(o.failed, 120);
    assert_eq!(o.outage, Some(ms(2200 - 990)));
    assert_eq!(log.gap_before_current(), Some(ms(1210)));
}

#[test]
fn switch_without_failed_probe_is_zero_outage() {
    let log = log_of(0, &[(50, Some("n2")), (50, Some("n1"))]);
    let o = outage(log.runs(), ms(300), ms(1000));
    assert_eq!(o.outage, Some(Duration::ZERO));
    assert_eq!(o.failed, 0);
    assert_eq!((o.before.as_deref(), o.after.as_deref()), (Some("n2"), Some("n1")));
    assert_eq!(log.gap_before_current(), None);
}

#[test]
fn flapping_counts_from_first_failure_to_last_recovery() {
    // After the event at 500: n2, 3 failures, n1, n2, 5 failures, then n1 for good.
    let log = log_of(
        0,
        &[
            (60, Some("n2")),
            (3, None),
            (4, Some("n1")),
            (2, Some("n2")),
            (5, None),
            (30, Some("n1")),
        ],
    );
    let o = outage(log.runs(), ms(500), ms(2000));
    assert_eq!(o.failed, 8);
    // Last answer before the first failure: 590; first answer after the last failure: 740.
    assert_eq!(o.outage, Some(ms(740 - 590)));
    assert_eq!(o.after.as_deref(), Some("n1"));
}

#[test]
fn failures_outside_the_window_do_not_count() {
    let log =
        log_of(0, &[(10, Some("n1")), (10, None), (100, Some("n1")), (10, None), (10, Some("n2"))]);
    // Window 300..1000 sees only answers from n1.
    let o = outage(log.runs(), ms(300), ms(1000));
    assert_eq!(o.outage, Some(Duration::ZERO));
    assert_eq!(o.failed, 0);
    // The next window sees the second failure run.
    let o = outage(log.runs(), ms(1000), ms(1500));
    assert_eq!((o.failed, o.outage), (10, Some(ms(1300 - 1190))));
}

#[test]
fn no_recovery_in_the_window_is_none() {
    let log = log_of(0, &[(10, Some("n1")), (40, None)]);
    let o = outage(log.runs(), ms(95), ms(1000));
    assert_eq!(o.outage, None);
    assert_eq!(o.failed, 40);
    assert_eq!(o.after.as_deref(), Some("n1"));
}

#[test]
fn the_log_stops_growing_at_its_limit() {
    let mut log = ProbeLog::default();
    for i in 0..(2 * MAX_RUNS as u64) {
        let who = (i % 2 == 0).then(|| "n1".to_string());
        log.push(ms(i), who);
    }
    assert_eq!(log.runs().len(), MAX_RUNS);
    assert_eq!(log.current().map(|r| r.last), Some(ms(2 * MAX_RUNS as u64 - 1)));
}

#[test]
fn parses_served_by_answers_only_from_200s() {
    let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nserved by n1\n";
    assert_eq!(served_by(ok).as_deref(), Some("n1"));
    assert_eq!(served_by(b"HTTP/1.0 404 Not Found\r\n\r\nserved by n1\n"), None);
    assert_eq!(served_by(b"HTTP/1.0 200 OK\r\n\r\nhello\n"), None);
    assert_eq!(served_by(b"HTTP/1.0 200 OK\r\n\r\nserved by a b\n"), None);
    assert_eq!(served_by(b"HTTP/1.0 200 OK\r\nserved by n1"), None);
    assert_eq!(served_by(b""), None);
}
