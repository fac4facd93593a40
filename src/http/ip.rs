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
    v6(s).map(|b| IpAddr::V6(Ipv6Addr::from(b)))
}

/// Four decimal numbers 0..=255 of 1-3 digits, without leading zeros.
fn v4(s: &[u8]) -> Option<[u8; 4]> {
    let (mut q, mut k, mut val, mut digits) = ([0u8; 4], 0, 0u16, 0);
    for &c in s {
        if c == b'.' {
            if digits == 0 || k == 3 {
                return None;
            }
            *q.get_mut(k)? = val as u8;
            (k, val, digits) = (k + 1, 0, 0);
            continue;
        }
        let d = c.wrapping_sub(b'0');
        if d > 9 || (digits > 0 && val == 0) {
            return None;
        }
        val = val * 10 + u16::from(d);
        digits += 1;
        if val > 255 {
            return None;
        }
    }
    if digits == 0 || k != 3 {
        return None;
    }
    q[3] = val as u8;
    Some(q)
}

/// Eight groups of 1-4 hex digits; one `::` stands for one or more zero
/// groups; the last two groups may be written as a dotted quad. One pass,
/// as inet_pton(3) reads it: groups are written as they end, and what
/// follows `::` is moved to the end at last.
fn v6(s: &[u8]) -> Option<[u8; 16]> {
    let mut b = [0u8; 16];
    // Bytes written; where `::` stands; the group being read.
    let (mut n, mut gap, mut val, mut digits) = (0, None, 0u16, 0);
    let mut i = usize::from(s.starts_with(b"::"));
    // Where the group being read began (a dotted quad starts there).
    let mut start = i;
    while let Some(&c) = s.get(i) {
        i += 1;
        if let Some(d) = (c as char).to_digit(16) {
            if digits == 4 {
                return None;
            }
            val = val << 4 | d as u16;
            digits += 1;
            continue;
        }
        match c {
            b':' if digits == 0 => {
                // `::` (once), not a lone `:` at the start.
                if gap.is_some() || i == 1 {
                    return None;
                }
                gap = Some(n);
            }
            // A group ends; a `:` at the very end ends none.
            b':' if i < s.len() => {
                b.get_mut(n..n + 2)?.copy_from_slice(&val.to_be_bytes());
                (n, val, digits) = (n + 2, 0, 0);
            }
            b'.' => {
                b.get_mut(n..n + 4)?.copy_from_slice(&v4(s.get(start..)?)?);
                (n, digits) = (n + 4, 0);
                break;
            }
            _ => return None,
        }
        start = i;
    }
    if digits > 0 {
        b.get_mut(n..n + 2)?.copy_from_slice(&val.to_be_bytes());
        n += 2;
    }
    match gap {
        // `::` stands for at least one group.
        Some(g) if n < 16 => {
            b.copy_within(g..n, g + 16 - n);
            b.get_mut(g..g + 16 - n)?.fill(0);
        }
        None if n == 16 => {}
        _ => return None,
    }
    Some(b)
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
