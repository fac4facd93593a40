//! SPAT, nitro's control-socket framing: a datagram holds packets of
//! `u16 little-endian payload length, u8 tag, payload`. A length of 0xFFFF
//! opens a group and 0xFFFE closes it (both carry no payload). Unknown
//! packets and groups are skipped by readers. This module is the one codec
//! of the protocol: the supervisor and nitroctl both use it.

/// Packet tags. 1..=9 are state notifications (see [`crate::state::State`]).
pub mod tag {
    pub const OK: u8 = 80;
    pub const ESRCH: u8 = 81;
    pub const ENOSYS: u8 = 82;
    pub const SERVICE: u8 = 100;
    pub const NAME: u8 = 101;
    pub const STATE: u8 = 102;
    pub const PID: u8 = 103;
    pub const WSTATUS: u8 = 104;
    pub const UPTIME: u8 = 105;
    pub const NITRO_PID: u8 = 106;
    pub const MAX_SERVICE: u8 = 107;
    pub const TOTAL_REAPS: u8 = 108;
    pub const TOTAL_SV_REAPS: u8 = 109;
    pub const CMD_UP: u8 = 120;
    pub const CMD_DOWN: u8 = 121;
    pub const CMD_RESTART: u8 = 122;
    pub const CMD_INFO: u8 = 123;
    pub const CMD_LIST: u8 = 124;
    pub const CMD_QUERY: u8 = 125;
    pub const CMD_RESCAN: u8 = 126;
    pub const CMD_SHUTDOWN: u8 = 127;
    pub const CMD_REBOOT: u8 = 128;
    pub const CMD_SIGNAL: u8 = 129;
    pub const CMD_READY: u8 = 130;
}

const LEN_OPEN: u16 = 0xFFFF;
const LEN_CLOSE: u16 = 0xFFFE;

/// One packet as read off the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    Open(u8),
    Close(u8),
    Data(u8, &'a [u8]),
}

/// The packets of a datagram, in order. A packet that claims more bytes
/// than remain ends the iteration with `Err(Truncated)`.
pub struct Packets<'a> {
    rest: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated;

pub fn packets(buf: &[u8]) -> Packets<'_> {
    Packets { rest: buf }
}

impl<'a> Packets<'a> {
    /// What is left to read.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, Truncated>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((head, body)) = self.rest.split_first_chunk::<3>() else {
            self.rest = &[];
            return Some(Err(Truncated));
        };
        let len = u16::from_le_bytes([head[0], head[1]]);
        let tag = head[2];
        let packet = match len {
            LEN_OPEN => {
                self.rest = body;
                Packet::Open(tag)
            }
            LEN_CLOSE => {
                self.rest = body;
                Packet::Close(tag)
            }
            n => {
                let n = n as usize;
                if body.len() < n {
                    self.rest = &[];
                    return Some(Err(Truncated));
                }
                let (payload, rest) = body.split_at(n);
                self.rest = rest;
                Packet::Data(tag, payload)
            }
        };
        Some(Ok(packet))
    }
}

/// A u32 payload (little-endian, exactly four bytes).
pub fn as_u32(payload: &[u8]) -> Option<u32> {
    let b: [u8; 4] = payload.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

pub use crate::buf::Full;

/// Writes packets into a caller-provided buffer (on the project's one byte
/// writer).
pub struct Writer<'a> {
    b: crate::buf::Writer<'a>,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { b: crate::buf::Writer::new(buf) }
    }

    pub fn len(&self) -> usize {
        self.b.len()
    }

    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn bytes(&self) -> &[u8] {
        self.b.bytes()
    }

    /// The packet header, then the payload parts; nothing when it does not
    /// all fit.
    fn head(&mut self, len: u16, tag: u8, payload: &[&[u8]]) -> Result<(), Full> {
        let mark = self.b.len();
        self.b.push(&len.to_le_bytes()).push(&[tag]);
        for p in payload {
            self.b.push(p);
        }
        if self.b.is_full() {
            self.b.truncate(mark);
        }
        self.b.done().map(drop)
    }

    /// A data packet whose payload is the concatenation of `parts`.
    pub fn packet_parts(&mut self, tag: u8, parts: &[&[u8]]) -> Result<(), Full> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if n >= LEN_CLOSE as usize {
            return Err(Full);
        }
        self.head(n as u16, tag, parts)
    }

    pub fn packet(&mut self, tag: u8, payload: &[u8]) -> Result<(), Full> {
        self.packet_parts(tag, &[payload])
    }

    pub fn u32(&mut self, tag: u8, v: u32) -> Result<(), Full> {
        self.packet(tag, &v.to_le_bytes())
    }

    pub fn open(&mut self, tag: u8) -> Result<(), Full> {
        self.head(LEN_OPEN, tag, &[])
    }

    pub fn close(&mut self, tag: u8) -> Result<(), Full> {
        self.head(LEN_CLOSE, tag, &[])
    }
}

/// A request to the supervisor, as a client encodes it (the supervisor
/// decodes it into `core::Command`: `control::decode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Up(&'a [u8]),
    Down(&'a [u8]),
    Restart(&'a [u8]),
    Info,
    List,
    Query(&'a [u8]),
    Rescan,
    Shutdown,
    Reboot,
    /// Signal number and service name.
    Signal(u8, &'a [u8]),
    Ready(&'a [u8]),
}

impl<'a> Command<'a> {
    pub fn encode(&self, w: &mut Writer) -> Result<(), Full> {
        match *self {
            Command::Up(n) => w.packet(tag::CMD_UP, n),
            Command::Down(n) => w.packet(tag::CMD_DOWN, n),
            Command::Restart(n) => w.packet(tag::CMD_RESTART, n),
            Command::Info => w.packet(tag::CMD_INFO, &[]),
            Command::List => w.packet(tag::CMD_LIST, &[]),
            Command::Query(n) => w.packet(tag::CMD_QUERY, n),
            Command::Rescan => w.packet(tag::CMD_RESCAN, &[]),
            Command::Shutdown => w.packet(tag::CMD_SHUTDOWN, &[]),
            Command::Reboot => w.packet(tag::CMD_REBOOT, &[]),
            Command::Signal(sig, n) => w.packet_parts(tag::CMD_SIGNAL, &[&[sig], n]),
            Command::Ready(n) => w.packet(tag::CMD_READY, n),
        }
    }
}

/// One service's status, as in LIST and QUERY replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Status {
    pub state: u8,
    pub pid: u32,
    pub wstatus: i32,
    pub uptime: u32,
}

impl Status {
    /// STATE, PID, WSTATUS, UPTIME packets (the body of a QUERY reply and of
    /// a LIST entry).
    pub fn encode(&self, w: &mut Writer) -> Result<(), Full> {
        w.packet(tag::STATE, &[self.state])?;
        w.u32(tag::PID, self.pid)?;
        w.u32(tag::WSTATUS, self.wstatus as u32)?;
        w.u32(tag::UPTIME, self.uptime)
    }

    /// Fold one packet into the status; false when it is none of its fields.
    pub fn absorb(&mut self, tag: u8, payload: &[u8]) -> bool {
        match (tag, payload) {
            (tag::STATE, &[s]) => self.state = s,
            (tag::PID, p) if p.len() == 4 => self.pid = as_u32(p).unwrap_or(0),
            (tag::WSTATUS, p) if p.len() == 4 => self.wstatus = as_u32(p).unwrap_or(0) as i32,
            (tag::UPTIME, p) if p.len() == 4 => self.uptime = as_u32(p).unwrap_or(0),
            _ => return false,
        }
        true
    }
}

/// A LIST entry: `SERVICE{ NAME(name NUL) STATE PID WSTATUS UPTIME }`.
/// nitro counts a NUL after the name; we do the same, byte for byte.
pub fn encode_list_entry(w: &mut Writer, name: &[u8], st: &Status) -> Result<(), Full> {
    let mark = w.len();
    let r = (|| {
        w.open(tag::SERVICE)?;
        w.packet_parts(tag::NAME, &[name, &[0]])?;
        st.encode(w)?;
        w.close(tag::SERVICE)
    })();
    if r.is_err() {
        w.b.truncate(mark);
    }
    r
}

/// A name packet's payload without nitro's trailing NUL.
pub fn name_of(payload: &[u8]) -> &[u8] {
    match payload.split_last() {
        Some((0, rest)) => rest,
        _ => payload,
    }
}

/// A state notification: tag = state, payload = service name.
pub fn encode_notification(w: &mut Writer, state: u8, name: &[u8]) -> Result<(), Full> {
    w.packet(state, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entry_matches_nitro_bytes() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let st = Status { state: 4, pid: 0x01020304, wstatus: -1, uptime: 5 };
        encode_list_entry(&mut w, b"b", &st).unwrap();
        assert_eq!(
            w.bytes(),
            &[
                0xff, 0xff, 0x64, 0x02, 0x00, 0x65, b'b', 0x00, 0x01, 0x00, 0x66, 0x04, 0x04,
                0x00, 0x67, 4, 3, 2, 1, 0x04, 0x00, 0x68, 0xff, 0xff, 0xff, 0xff, 0x04, 0x00,
                0x69, 5, 0, 0, 0, 0xfe, 0xff, 0x64
            ][..]
        );
    }

    #[test]
    fn packets_round_trip_and_groups() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        Command::Signal(15, b"web").encode(&mut w).unwrap();
        w.open(7).unwrap();
        w.close(7).unwrap();
        let got: heapless::Vec<_, 8> = packets(w.bytes()).collect();
        assert_eq!(got[0], Ok(Packet::Data(tag::CMD_SIGNAL, &[15, b'w', b'e', b'b'][..])));
        assert_eq!(got[1], Ok(Packet::Open(7)));
        assert_eq!(got[2], Ok(Packet::Close(7)));
    }

    #[test]
    fn truncated_packet_is_an_error_not_a_read_past_the_end() {
        let got: heapless::Vec<_, 4> = packets(&[5, 0, 120, b'a']).collect();
        assert_eq!(&got[..], &[Err(Truncated)]);
        let got: heapless::Vec<_, 4> = packets(&[0, 0, 80, 1]).collect();
        assert_eq!(&got[..], &[Ok(Packet::Data(80, &[][..])), Err(Truncated)]);
    }

    #[test]
    fn writer_reports_full_and_keeps_what_fit() {
        let mut buf = [0u8; 40];
        let mut w = Writer::new(&mut buf);
        let st = Status::default();
        assert!(encode_list_entry(&mut w, b"abc", &st).is_ok());
        let n = w.len();
        assert_eq!(encode_list_entry(&mut w, b"abc", &st), Err(Full));
        assert_eq!(w.len(), n);
    }

    #[test]
    fn query_reply_layout() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        Status { state: 1, pid: 0, wstatus: 0, uptime: 2 }.encode(&mut w).unwrap();
        assert_eq!(&w.bytes()[..4], &[1, 0, 0x66, 1]);
        let mut st = Status::default();
        for p in packets(w.bytes()) {
            if let Ok(Packet::Data(t, p)) = p {
                assert!(st.absorb(t, p));
            }
        }
        assert_eq!(st, Status { state: 1, pid: 0, wstatus: 0, uptime: 2 });
    }
}
