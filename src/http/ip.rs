//! IP address literals for a job's `network socket` (`bind`): an IPv4
//! dotted quad or an IPv6 address in any RFC 4291 text form (`::`, an IPv4
//! tail). It accepts exactly what `core::net`'s `IpAddr` parser accepts (a
//! test compares the two on every kind of input) in a quarter of its code:
//! that parser is generic over radix and separators, about 2 KiB here.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub fn parse(s: &[u8]) -> Option<IpAddr> {
    if let Some(q) = v4(s) {
        return Some(IpAddr::V4(Ipv4Addr::from(q)));
    }
    v6(s).map(|g| IpAddr::V6(Ipv6Addr::from(g)))
}

/// Four decimal numbers 0..=255 of 1-3 digits, without leading zeros.
fn v4(s: &[u8]) -> Option<[u8; 4]> {
    let mut q = [0u8; 4];
    let mut parts = crate::words::split(s, b'.');
    for o in &mut q {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || (p.len() > 1 && p[0] == b'0') || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = p.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        *o = u8::try_from(n).ok()?;
    }
    parts.next().is_none().then_some(q)
}

/// Eight groups of 1-4 hex digits; one `::` stands for one or more zero
/// groups; the last two groups may be written as a dotted quad.
fn v6(s: &[u8]) -> Option<[u16; 8]> {
    let mut g = [0u16; 8];
    let gap = s.windows(2).position(|w| w == b"::");
    let (head, tail) = match gap {
        Some(i) => (s.get(..i)?, s.get(i + 2..)),
        None => (s, None),
    };
    // A dotted quad only at the very end.
    let n = groups(head, &mut g, tail.is_none())?;
    let Some(tail) = tail else {
        return (n == 8).then_some(g);
    };
    let mut t = [0u16; 8];
    let m = groups(tail, &mut t, true)?;
    if n + m > 7 {
        return None;
    }
    g.get_mut(8 - m..)?.copy_from_slice(t.get(..m)?);
    Some(g)
}

/// `s` as colon-separated groups into `out`; how many (an empty `s` has
/// none). With `quad`, the last may be a dotted quad (two groups).
fn groups(s: &[u8], out: &mut [u16; 8], quad: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut parts = crate::words::split(s, b':').peekable();
    while let Some(p) = parts.next() {
        if quad && parts.peek().is_none() && p.iter().any(|&b| b == b'.') {
            let [a, b, c, d] = v4(p)?;
            out.get_mut(n..n + 2)?.copy_from_slice(&[u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
            return Some(n + 2);
        }
        if p.is_empty() || p.len() > 4 {
            return None;
        }
        *out.get_mut(n)? = p.iter().try_fold(0u16, |v, &d| Some(v << 4 | (d as char).to_digit(16)? as u16))?;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::net::IpAddr;

    fn same(s: &str) {
        assert_eq!(parse(s.as_bytes()), s.parse::<IpAddr>().ok(), "{s:?}");
    }

    #[test]
    fn the_forms_users_write() {
        for s in [
            "0.0.0.0", "127.0.0.1", "255.255.255.255", "192.168.1.20", "::", "::1", "fe80::1",
            "2001:db8::8a2e:370:7334", "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:10.0.0.1",
            "64:ff9b::192.0.2.33", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1::", "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8", "FE80::ABCD",
        ] {
            assert!(parse(s.as_bytes()).is_some(), "{s}");
            same(s);
        }
    }

    #[test]
    fn what_the_standard_parser_refuses_we_refuse() {
        for s in [
            "", ".", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4.",
            " 1.2.3.4", "localhost", "[::1]", ":", ":::", "1:2", "1::2::3", "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::", "1.2.3.4::", "1.2.3.4::1",
            "::1.2.3.4:1", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3", "1:", ":1", "1:2::3:", "::01.2.3.4",
            "1::2:3:4:5:6:7:8", "+1.2.3.4", "1.2.3.-4", "::1%eth0",
        ] {
            same(s);
        }
    }

    /// Random strings over the address alphabet, and valid addresses with
    /// one byte changed, inserted or removed.
    #[test]
    fn agrees_with_the_standard_parser_everywhere() {
        let alphabet = b"0123456789abcdefABCDEFg:.% ";
        let valid = ["1.2.3.4", "::", "fe80::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "2001:db8::1:0"];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let mut s: Vec<u8> = if next(2) == 0 {
                (0..next(46)).map(|_| alphabet[next(alphabet.len())]).collect()
            } else {
                valid[next(valid.len())].as_bytes().to_vec()
            };
            if !s.is_empty() {
                let i = next(s.len());
                match next(3) {
                    0 => s[i] = alphabet[next(alphabet.len())],
                    1 => s.insert(i, alphabet[next(alphabet.len())]),
                    _ => {
                        s.remove(i);
                    }
                }
            }
            let s = std::str::from_utf8(&s).unwrap();
            same(s);
            accepted += usize::from(parse(s.as_bytes()).is_some());
        }
        // Both sides of the border were walked, not only garbage.
        assert!(accepted > 10_000, "{accepted}");
    }
}
