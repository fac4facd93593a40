//! `GET /metrics`: the Prometheus text format (version 0.0.4).

use crate::http::Full;
use crate::http::response::Writer;
use crate::state::State;
use crate::table::Table;

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
fn label(w: &mut Writer, v: &[u8]) -> Result<(), Full> {
    for &b in v {
        match b {
            b'\\' => w.push(b"\\\\")?,
            b'"' => w.push(b"\\\"")?,
            b'\n' => w.push(b"\\n")?,
            _ => w.push(&[b])?,
        };
    }
    Ok(())
}

fn family(w: &mut Writer, name: &str, kind: &str, help: &str) -> Result<(), Full> {
    w.text("# HELP ")?.text(name)?.text(" ")?.text(help)?.text("\n# TYPE ")?.text(name)?.text(" ")?.text(kind)?.text("\n")?;
    Ok(())
}

fn per_service(w: &mut Writer, t: &Table, name: &str, value: impl Fn(&crate::table::Service) -> u64) -> Result<(), Full> {
    for s in t.slots() {
        let sv = t.get(s);
        w.text(name)?.text("{service=\"")?;
        label(w, sv.name.as_bytes())?;
        w.text("\"} ")?.u64(value(sv))?.text("\n")?;
    }
    Ok(())
}

pub fn write(w: &mut Writer, t: &Table, reaps: u32, sv_reaps: u32, now: u64) -> Result<(), Full> {
    family(w, "nitro_service_state", "gauge", "Service state: 1 DOWN 2 SETUP 3 STARTING 4 UP 5 ONESHOT 6 SHUTDOWN 7 RESTART 8 FATAL 9 DELAY.")?;
    for s in t.slots() {
        let sv = t.get(s);
        w.text("nitro_service_state{service=\"")?;
        label(w, sv.name.as_bytes())?;
        w.text("\",state=\"")?.text(sv.m.state.name())?.text("\"} ")?.u64(sv.m.state as u64)?.text("\n")?;
    }
    family(w, "nitro_service_up", "gauge", "1 when the service is UP or ONESHOT.")?;
    per_service(w, t, "nitro_service_up", |sv| matches!(sv.m.state, State::Up | State::Oneshot) as u64)?;
    family(w, "nitro_service_restarts_total", "counter", "Starts of the run process after the first.")?;
    per_service(w, t, "nitro_service_restarts_total", |sv| sv.starts.saturating_sub(1) as u64)?;
    family(w, "nitro_service_uptime_seconds", "gauge", "Seconds since the service last started or stopped.")?;
    per_service(w, t, "nitro_service_uptime_seconds", |sv| now.saturating_sub(sv.m.since) / 1000)?;
    family(w, "nitro_reaps_total", "counter", "Children reaped by the supervisor.")?;
    w.text("nitro_reaps_total ")?.u64(reaps as u64)?.text("\n")?;
    family(w, "nitro_service_reaps_total", "counter", "Reaped setup, run and finish processes.")?;
    w.text("nitro_service_reaps_total ")?.u64(sv_reaps as u64)?.text("\n")?;
    family(w, "nitro_slots_used", "gauge", "Service table slots in use.")?;
    w.text("nitro_slots_used ")?.u64(t.count() as u64)?.text("\n")?;
    family(w, "nitro_slots_max", "gauge", "Service table slots.")?;
    w.text("nitro_slots_max ")?.u64(crate::config::MAX_SERVICES as u64)?.text("\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Name;

    #[test]
    fn exposition_format_with_escaped_labels() {
        let mut t = Box::new(Table::new());
        let s = t.insert(Name::new(b"we\"b").unwrap(), 0).unwrap();
        t.get_mut(s).m.state = State::Up;
        t.get_mut(s).starts = 3;
        let mut buf = vec![0u8; 4096];
        let mut w = Writer::new(&mut buf);
        write(&mut w, &t, 7, 5, 9000).unwrap();
        let text = String::from_utf8(w.bytes().to_vec()).unwrap();
        assert!(text.contains("nitro_service_state{service=\"we\\\"b\",state=\"UP\"} 4\n"), "{text}");
        assert!(text.contains("nitro_service_restarts_total{service=\"we\\\"b\"} 2\n"));
        assert!(text.contains("nitro_service_uptime_seconds{service=\"we\\\"b\"} 9\n"));
        assert!(text.contains("nitro_reaps_total 7\n"));
        assert!(text.contains("nitro_slots_used 1\n"));
        assert!(text.contains("# TYPE nitro_service_up gauge\n"));
    }
}
