//! Printing: stdout lines that survive a closed pipe, aligned tables, JSON, times, events.

use std::fmt;
use std::io::Write;

use helium_bridge_core::events::Event;

/// `println!` for results: a closed pipe (`| head`) ends the process quietly instead of
/// panicking.
macro_rules! out {
    ($($t:tt)*) => { $crate::output::line(format_args!($($t)*)) };
}

/// `eprintln!` for notes, warnings and errors: with stderr gone (`2>&1 | head`) there is no one
/// to tell, so nothing is written instead of a panic.
macro_rules! note {
    ($($t:tt)*) => { $crate::output::note_line(format_args!($($t)*)) };
}

pub fn note_line(args: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

pub fn line(args: fmt::Arguments<'_>) {
    let mut o = std::io::stdout().lock();
    if let Err(e) = writeln!(o, "{args}").and_then(|()| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        note!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Pretty JSON on stdout.
pub fn json<T: serde::Serialize + ?Sized>(v: &T) {
    out!("{}", serde_json::to_string_pretty(v).expect("values serialise"));
}

/// Left-aligned columns separated by two spaces; no trailing blanks. Widths are as a terminal
/// shows them (`日本` takes four columns).
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    use unicode_width::UnicodeWidthStr;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let render = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            s.extend(std::iter::repeat_n(' ', w - cell.width()));
        }
        s.trim_end().to_string()
    };
    out!("{}", render(&mut headers.iter().copied()));
    for row in rows {
        out!("{}", render(&mut row.iter().map(String::as_str)));
    }
}

/// `key:  value` lines with the values aligned.
pub fn fields(pairs: &[(&str, String)]) {
    let w = pairs.iter().map(|(k, _)| k.chars().count() + 1).max().unwrap_or(0);
    for (k, v) in pairs {
        out!("{:<w$} {v}", format!("{k}:"));
    }
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

pub fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

/// Milliseconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn time(ms: i64) -> String {
    let (secs, _) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// JSON text pretty-printed as it is: members in their order, keys and numbers as written (a
/// tree would sort the members and write the numbers its own way). One pass over the text,
/// however deep it nests; text that is not JSON is as it was.
pub fn json_text(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let line = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // (An empty one stays on its line.)
                while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
                match chars.peek() {
                    Some('}' | ']') => out.push(chars.next().unwrap_or(' ')),
                    _ => {
                        depth += 1;
                        line(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                line(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                line(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// One event as a line of text: `2025-01-02 03:04:05Z #12 info  uplink: message [device …]`.
pub fn event_line(e: &Event) -> String {
    // A stored event's number (for `monitor --since-id`); routine news is not stored and has none.
    let id = if e.id > 0 { format!(" #{}", e.id) } else { String::new() };
    let mut s = format!("{}Z{id} {:<5} {}: {}", time(e.at_ms), e.level, e.kind, e.message);
    if let Some(d) = e.device_id.as_deref().filter(|d| !e.message.contains(d)) {
        s.push_str(&format!(" [device {d}]"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::time(0), "1970-01-01 00:00:00");
        assert_eq!(super::time(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(super::time(1_735_787_045_999), "2025-01-02 03:04:05");
    }

    #[test]
    fn json_text_keeps_member_order_and_number_text() {
        let text = r#"{"b":1,"a":0.000001,"n":{"x":[1e+21,{},[]],"é\"":"q"},"e":[]}"#;
        assert_eq!(
            super::json_text(text),
            "{\n  \"b\": 1,\n  \"a\": 0.000001,\n  \"n\": {\n    \"x\": [\n      1e+21,\n      {},\n      []\n    ],\n    \"é\\\"\": \"q\"\n  },\n  \"e\": []\n}"
        );
        assert_eq!(super::json_text("[]"), "[]");
        assert_eq!(super::json_text("not json"), "not json");
        assert_eq!(
            super::json_text(r#"{"a\\":"]},{[","b":[ ]}"#),
            "{\n  \"a\\\\\": \"]},{[\",\n  \"b\": []\n}"
        );
        // Deep nesting is one pass, not one call a level.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(super::json_text(&deep).lines().count(), 9999);
    }
}
