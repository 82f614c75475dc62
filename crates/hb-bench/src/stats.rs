//! Statistics over repeated runs and their Markdown formatting. Pure functions, unit-tested.

use serde::Serialize;

/// min / median / max over the samples that have a value, and how many did not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Smallest value.
    pub min: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values.
    pub n: usize,
}

/// Summarises `values`; `None` when there are none.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Some(Summary { min: v[0], median, max: v[n - 1], n })
}

/// A duration in milliseconds, human-sized: `0.8 ms`, `12 ms`, `1.23 s`, `31.0 s`.
pub fn fmt_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 10_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// A table cell: `median (min–max)`, just the value for one sample, plus `, k/n failed` when
/// some runs produced no value, `–` when none did.
pub fn cell(values: &[f64], failed: usize) -> String {
    let mut s = match summarize(values) {
        None if failed == 0 => return "–".into(),
        None => return format!("no takeover ({failed}/{failed})"),
        Some(s) if s.n == 1 => fmt_ms(s.median),
        Some(s) => format!("{} ({}–{})", fmt_ms(s.median), fmt_ms(s.min), fmt_ms(s.max)),
    };
    if failed > 0 {
        s.push_str(&format!(", {failed}/{} failed", values.len() + failed));
    }
    s
}

/// Renders a Markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|", header.join(" | "));
    for _ in header {
        s.push_str("---|");
    }
    s.push('\n');
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// Replaces the body of the `## Performance` section of a README (up to the next `## `
/// heading) with `body`; appends the section if it is missing.
pub fn replace_section(readme: &str, heading: &str, body: &str) -> String {
    let marker = format!("## {heading}\n");
    let Some(start) = readme.find(&marker) else {
        let mut s = readme.trim_end().to_string();
        s.push_str(&format!("\n\n{marker}\n{}\n", body.trim_end()));
        return s;
    };
    let after = start + marker.len();
    let end = readme[after..].find("\n## ").map_or(readme.len(), |i| after + i + 1);
    format!("{}{marker}\n{}\n\n{}", &readme[..start], body.trim(), &readme[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_even_and_empty() {
        let s = summarize(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((s.min, s.median, s.max, s.n), (1.0, 2.0, 3.0, 3));
        let s = summarize(&[4.0, 1.0, 2.0, 10.0]).expect("values");
        assert_eq!((s.min, s.median, s.max, s.n), (1.0, 3.0, 10.0, 4));
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[f64::NAN]), None);
    }

    #[test]
    fn formats_durations_and_cells() {
        assert_eq!(fmt_ms(0.84), "0.8 ms");
        assert_eq!(fmt_ms(12.4), "12 ms");
        assert_eq!(fmt_ms(1234.0), "1.23 s");
        assert_eq!(fmt_ms(31_000.0), "31.0 s");
        assert_eq!(cell(&[], 0), "–");
        assert_eq!(cell(&[], 2), "no takeover (2/2)");
        assert_eq!(cell(&[5.0], 0), "5.0 ms");
        assert_eq!(cell(&[300.0, 100.0, 200.0], 0), "200 ms (100 ms–300 ms)");
        assert_eq!(cell(&[100.0, 200.0], 1), "150 ms (100 ms–200 ms), 1/3 failed");
        let t = table(&["a", "b"], &[vec!["1".into(), "2".into()]]);
        assert_eq!(t, "| a | b |\n|---|---|\n| 1 | 2 |\n");
    }

    #[test]
    fn replaces_only_the_named_section() {
        let r = "# T\n\n## Performance\n\nold\n\n## License\n\nGPL\n";
        let out = replace_section(r, "Performance", "new\n");
        assert_eq!(out, "# T\n\n## Performance\n\nnew\n\n## License\n\nGPL\n");
        let out = replace_section("# T\n", "Performance", "x");
        assert_eq!(out, "# T\n\n## Performance\n\nx\n");
        let tail = "# T\n## Performance\nold\n";
        assert_eq!(replace_section(tail, "Performance", "y"), "# T\n## Performance\n\ny\n\n");
    }
}
