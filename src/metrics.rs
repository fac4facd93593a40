//! `GET /metrics`: the Prometheus text format (version 0.0.4).

use crate::http::response::Writer;
use crate::state::State;
use crate::core::Core;

/// The longest `/metrics` body: per service four lines, each with the name
/// escaped at its worst (every byte doubled), the longest state name and the
/// longest numbers; then the fixed families.
pub const BODY_MAX: usize = {
    let label = 2 * crate::config::NAME_MAX;
    let state = 29 + label + 9 + 8 + 3 + 1 + 1;
    let up = 26 + label + 3 + 1 + 1;
    let restarts = 38 + label + 3 + 10 + 1;
    let uptime = 38 + label + 3 + 20 + 1;
    crate::config::MAX_SERVICES * (state + up + restarts + uptime) + 2048
};

/// A label value with `\`, `"` and newline escaped.
fn label(w: &mut Writer, v: &[u8]) {
    for &b in v {
        match b {
            b'\\' => w.push(b"\\\\"),
            b'"' => w.push(b"\\\""),
            b'\n' => w.push(b"\\n"),
            _ => w.push(&[b]),
        };
    }
}

/// Every family, a line each: name, type, help. The first four have a line
/// per service, the others one value (`write`). (One text walked by one
/// loop: a call per family, with its three strings, was more code.)
const FAMILIES: &[u8] = b"\
nitro_service_state gauge Service state: 1 DOWN 2 SETUP 3 STARTING 4 UP 5 ONESHOT 6 SHUTDOWN 7 RESTART 8 FATAL 9 DELAY.
nitro_service_up gauge 1 when the service is UP or ONESHOT.
nitro_service_restarts_total counter Starts of the run process after the first.
nitro_service_uptime_seconds gauge Seconds since the service last started or stopped.
nitro_reaps_total counter Children reaped by the supervisor.
nitro_service_reaps_total counter Reaped setup, run and finish processes.
nitro_slots_used gauge Service table slots in use.
nitro_slots_max gauge Service table slots.";

/// The whole body (`w` is full if it did not fit).
pub fn write(w: &mut Writer, core: &Core, now: u64) {
    let info = core.info();
    let totals = [info.total_reaps as u64, info.total_sv_reaps as u64, info.entries as u64, crate::config::MAX_SERVICES as u64];
    for (i, line) in crate::words::split(FAMILIES, b'\n').enumerate() {
        let mut words = crate::words::split(line, b' ');
        let (name, kind) = (words.next().unwrap_or(b""), words.next().unwrap_or(b""));
        let help = line.get(name.len() + kind.len() + 2..).unwrap_or(b"");
        w.text("# HELP ").push(name).text(" ").push(help).text("\n# TYPE ").push(name).text(" ").push(kind).text("\n");
        if let Some(&n) = totals.get(i.wrapping_sub(4)) {
            w.push(name).text(" ").u64(n).text("\n");
            continue;
        }
        for v in core.services(now) {
            w.push(name).text("{service=\"");
            label(w, v.name.as_bytes());
            if i == 0 {
                w.text("\",state=\"").push(v.state.name());
            }
            let value = match i {
                0 => v.state as u64,
                1 => matches!(v.state, State::Up | State::Oneshot) as u64,
                2 => v.starts.saturating_sub(1) as u64,
                _ => v.uptime as u64,
            };
            w.text("\"} ").u64(value).text("\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write` reads four families per service and four totals from the
    /// table: each line a name, a type and a help text.
    #[test]
    fn eight_families_each_with_a_type_and_help() {
        let lines: Vec<&[u8]> = crate::words::split(FAMILIES, b'\n').collect();
        assert_eq!(lines.len(), 4 + 4);
        for l in lines {
            let l = std::str::from_utf8(l).unwrap();
            let mut w = l.splitn(3, ' ');
            let (name, kind, help) = (w.next().unwrap(), w.next().unwrap(), w.next().unwrap());
            assert!(name.starts_with("nitro_") && !name.contains(|c: char| !(c.is_ascii_lowercase() || c == '_')), "{l}");
            assert!(kind == "gauge" || kind == "counter", "{l}");
            assert!(help.ends_with('.') && !help.starts_with(' '), "{l}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{l}");
        }
    }

    #[test]
    fn labels_escape_backslash_quote_and_newline() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        label(&mut w, b"a\\b\"c\nd");
        assert_eq!(w.bytes(), b"a\\\\b\\\"c\\nd");
    }
}
