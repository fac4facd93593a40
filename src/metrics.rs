//! `GET /metrics`: the Prometheus text format (version 0.0.4).

use crate::http::response::Writer;
use crate::state::State;
use crate::core::{Core, ServiceView};

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

fn family(w: &mut Writer, name: &str, kind: &str, help: &str) {
    w.text("# HELP ").text(name).text(" ").text(help).text("\n# TYPE ").text(name).text(" ").text(kind).text("\n");
}

/// One line per service of family `name`, the value from `value`; with
/// `state`, the state's name is a second label.
fn per_service(w: &mut Writer, core: &Core, now: u64, name: &str, state: bool, value: fn(&ServiceView) -> u64) {
    for v in core.services(now) {
        w.text(name).text("{service=\"");
        label(w, v.name.as_bytes());
        if state {
            w.text("\",state=\"").push(v.state.name());
        }
        w.text("\"} ").u64(value(&v)).text("\n");
    }
}

/// The whole body (`w` is full if it did not fit).
pub fn write(w: &mut Writer, core: &Core, now: u64) {
    family(w, "nitro_service_state", "gauge", "Service state: 1 DOWN 2 SETUP 3 STARTING 4 UP 5 ONESHOT 6 SHUTDOWN 7 RESTART 8 FATAL 9 DELAY.");
    per_service(w, core, now, "nitro_service_state", true, |v| v.state as u64);
    family(w, "nitro_service_up", "gauge", "1 when the service is UP or ONESHOT.");
    per_service(w, core, now, "nitro_service_up", false, |v| matches!(v.state, State::Up | State::Oneshot) as u64);
    family(w, "nitro_service_restarts_total", "counter", "Starts of the run process after the first.");
    per_service(w, core, now, "nitro_service_restarts_total", false, |v| v.starts.saturating_sub(1) as u64);
    family(w, "nitro_service_uptime_seconds", "gauge", "Seconds since the service last started or stopped.");
    per_service(w, core, now, "nitro_service_uptime_seconds", false, |v| v.uptime as u64);
    let info = core.info();
    family(w, "nitro_reaps_total", "counter", "Children reaped by the supervisor.");
    w.text("nitro_reaps_total ").u64(info.total_reaps as u64).text("\n");
    family(w, "nitro_service_reaps_total", "counter", "Reaped setup, run and finish processes.");
    w.text("nitro_service_reaps_total ").u64(info.total_sv_reaps as u64).text("\n");
    family(w, "nitro_slots_used", "gauge", "Service table slots in use.");
    w.text("nitro_slots_used ").u64(info.entries as u64).text("\n");
    family(w, "nitro_slots_max", "gauge", "Service table slots.");
    w.text("nitro_slots_max ").u64(crate::config::MAX_SERVICES as u64).text("\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escape_backslash_quote_and_newline() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        label(&mut w, b"a\\b\"c\nd");
        assert_eq!(w.bytes(), b"a\\\\b\\\"c\\nd");
    }
}
