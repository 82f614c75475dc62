//! Heartbeat's time values (`cl_get_msec`): a decimal number of seconds (`2`, `1.7`, `.5`),
//! or the same followed by `ms`/`msec` (milliseconds) or `us`/`usec` (microseconds), case
//! insensitive; the result is rounded to the nearest millisecond (half up).
//!
//! Stricter than heartbeat on garbage: `1.2.3`, `5msfoo` or an empty number are errors here
//! where heartbeat's `atof` would read a prefix.

use std::time::Duration;

/// The largest time accepted (one day): a limit on everything that grows.
pub const MAX_TIME: Duration = Duration::from_secs(86_400);

/// Parses a heartbeat time value. The error says what was expected.
pub fn parse_time(s: &str) -> Result<Duration, String> {
    let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(num_end);
    // Microseconds per unit of the number.
    let per_unit: u128 = match unit.to_ascii_lowercase().as_str() {
        "" => 1_000_000,
        "ms" | "msec" => 1_000,
        "us" | "usec" => 1,
        _ => return Err(bad(s)),
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
        return Err(bad(s));
    }
    if int_part.len() > 12 || frac_part.len() > 12 {
        return Err(too_large_or_precise(s));
    }
    let int: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| bad(s))? };
    let frac: u128 =
        if frac_part.is_empty() { 0 } else { frac_part.parse().map_err(|_| bad(s))? };
    let scale = 10u128.pow(u32::try_from(frac_part.len()).unwrap_or(12));
    // Value in units of (1 µs / scale), then rounded half up to whole milliseconds.
    let scaled = (int * scale + frac) * per_unit;
    let per_ms = 1_000 * scale;
    let ms = (scaled + per_ms / 2) / per_ms;
    let ms = u64::try_from(ms).map_err(|_| too_large_or_precise(s))?;
    let d = Duration::from_millis(ms);
    if d > MAX_TIME {
        return Err(format!("time value `{s}` is larger than the limit of 86400 seconds"));
    }
    Ok(d)
}

/// Prints a time the way [`parse_time`] reads it back: whole seconds bare, otherwise `ms`.
pub fn format_time(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn bad(s: &str) -> String {
    format!(
        "invalid time value `{s}`; expected seconds (`2`, `1.5`) or a number with `ms` or `us` \
         (`1500ms`)"
    )
}

fn too_large_or_precise(s: &str) -> String {
    format!("time value `{s}` has too many digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn heartbeat_examples() {
        // The table in cluster-glue's cl_get_msec comment and ha.cf(5).
        for (s, want) in [
            ("1", 1000),
            ("1000ms", 1000),
            ("1000000us", 1000),
            ("0.1", 100),
            ("100ms", 100),
            ("100000us", 100),
            ("0.001", 1),
            ("1ms", 1),
            ("1000us", 1),
            ("499us", 0),
            ("501us", 1),
            ("500us", 1),
            ("1.7", 1700),
            ("1700ms", 1700),
            ("2000MS", 2000),
            (".5", 500),
            ("5.", 5000),
            ("30msec", 30),
            ("1.5ms", 2),
        ] {
            assert_eq!(parse_time(s), Ok(ms(want)), "{s}");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for s in ["", "ms", ".", "1.2.3", "5s", "5 ms", "-1", "1e3", "5msfoo", "x"] {
            assert!(parse_time(s).is_err(), "{s:?} accepted");
        }
        assert!(parse_time("86401").is_err());
        assert!(parse_time("9999999999999").is_err());
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(n in 0u64..=86_400_000) {
            let d = ms(n);
            prop_assert_eq!(parse_time(&format_time(d)), Ok(d));
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_time(&s);
        }
    }
}
