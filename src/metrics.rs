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
// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
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

/// Every family, a line each: its type (`c` counter, `g` gauge), then its
/// name and help as the HELP line has them. The first four have a line per
/// service, the others one value (`write`). (One text walked by one loop: a
/// call per family, with its three strings, was more code.)
const FAMILIES: &[u8] = b"\
gnitro_service_state Service state: 1 DOWN 2 SETUP 3 STARTING 4 UP 5 ONESHOT 6 SHUTDOWN 7 RESTART 8 FATAL 9 DELAY.
gnitro_service_up 1 when the service is UP or ONESHOT.
cnitro_service_restarts_total Starts of the run process after the first.
gnitro_service_uptime_seconds Seconds since the service last started or stopped.
cnitro_reaps_total Children reaped by the supervisor.
cnitro_service_reaps_total Reaped setup, run and finish processes.
gnitro_slots_used Service table slots in use.
gnitro_slots_max Service table slots.";

/// The whole body (`w` is full if it did not fit).
pub fn write(w: &mut Writer, core: &Core, now: u64) {
    let info = core.info();
    let totals = [info.total_reaps as u64, info.total_sv_reaps as u64, info.entries as u64, crate::config::MAX_SERVICES as u64];
    for (i, line) in crate::words::split(FAMILIES, b'\n').enumerate() {
        let (&kind, family) = line.split_first().unwrap_or((&b'g', b""));
        let name = crate::words::split(family, b' ').next().unwrap_or(b"");
        w.text("# HELP ").push(family).text("\n# TYPE ").push(name).text(if kind == b'c' { " counter\n" } else { " gauge\n" });
        if let Some(&n) = totals.get(i.wrapping_sub(4)) {
            sample(w.push(name), n);
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
            sample(w.text("\"}"), value);
        }
    }
}

/// A sample's value and the end of its line.
fn sample(w: &mut Writer, value: u64) {
    w.text(" ").u64(value).text("\n");
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
            let kind = match &l[..1] {
                "c" => "counter",
                "g" => "gauge",
                other => panic!("type {other:?} in {l}"),
            };
            let (name, help) = l[1..].split_once(' ').unwrap();
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
