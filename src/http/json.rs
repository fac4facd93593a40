//! JSON without an allocator: a strict pull reader (RFC 8259) that the job
//! parser drives field by field, and a writer over a [`Writer`].
//!
//! Why our own and not serde-json-core: the job body needs (1) an `envs`
//! object with arbitrary keys decoded into fixed storage, (2) every string
//! unescaped (`\uXXXX`, surrogate pairs) into one shared arena with a NUL
//! after it, ready for execve, and (3) precise reasons (`missing field:
//! exec`) plus a distinct 501 for an unknown descriptor type whatever order
//! the keys come in. serde-json-core would bring serde and a proc-macro
//! derive, give per-field `heapless::String`s sized for the worst case (far
//! larger than one arena), and report one generic error kind. This reader is
//! a few hundred lines, borrows nothing and never recurses past
//! [`DEPTH_MAX`].

use crate::http::t;
use super::{Error, Full};
use super::response::Writer;

/// Deepest nesting of arrays and objects the reader skips through (the job
/// schema itself is four deep).
pub const DEPTH_MAX: usize = 16;

/// A pull reader over a complete JSON text.
pub struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

/// The one-letter escapes of a string, and what each stands for.
const ESCAPED: &[u8; 8] = b"\"\\/bfnrt";
const UNESCAPED: &[u8; 8] = b"\"\\/\x08\x0c\n\r\t";

/// A text that is not JSON: 400 `malformed JSON: <what was wrong>`.
pub fn malformed(what: super::Text) -> Error {
    Error::with(super::Status::BadRequest, t!("malformed JSON"), what)
}

fn syntax<T>(what: super::Text) -> Result<T, Error> {
    Err(malformed(what))
}

impl<'a> Reader<'a> {
    pub fn new(s: &'a [u8]) -> Self {
        Reader { s, pos: 0 }
    }

    /// Byte offset of the next unread byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn byte(&mut self) -> Option<u8> {
        let b = self.s.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    /// The next byte after whitespace, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    /// Consume `c` (after whitespace) if it is next.
    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    // (Out of line: smaller, measured.)
    #[inline(never)]
    pub fn expect(&mut self, c: u8, what: super::Text) -> Result<(), Error> {
        if self.eat(c) { Ok(()) } else { syntax(what) }
    }

    /// Inside an array or object whose opening bracket was consumed: true
    /// when an element (or member) follows, its separating comma consumed;
    /// false once `close` is consumed. `first` starts true.
    pub fn more(&mut self, close: u8, first: &mut bool) -> Result<bool, Error> {
        let was_first = core::mem::replace(first, false);
        if self.eat(close) {
            // `[1,]` cannot get here: after a comma an element is parsed.
            return Ok(false);
        }
        if !was_first {
            self.expect(b',', t!("expected , or closing bracket"))?;
        }
        Ok(true)
    }

    /// The end of the text: only whitespace may remain.
    pub fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => syntax(t!("trailing data")),
        }
    }

    /// A string, unescaped into `out` piece by piece. Checks UTF-8, control
    /// characters, escapes and surrogate pairs; refuses `\u0000` since no
    /// such string could be passed to execve. `Ok(false)` when `out`
    /// answered false (it is full): the rest of the string is not read.
    pub fn string(&mut self, out: &mut dyn FnMut(&[u8]) -> bool) -> Result<bool, Error> {
        self.expect(b'"', t!("expected string"))?;
        loop {
            // A run of plain bytes; escapes and the quote are ASCII, so a
            // UTF-8 sequence never straddles two runs.
            let start = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = self.s.get(start..self.pos).unwrap_or(&[]);
            if utf8_run(run).1 > 0 {
                return syntax(t!("invalid UTF-8"));
            }
            if !run.is_empty() && !out(run) {
                return Ok(false);
            }
            match self.byte() {
                None => return syntax(t!("unterminated string")),
                Some(b'"') => return Ok(true),
                Some(b'\\') => {
                    let mut tmp = [0u8; 4];
                    let e = self.byte();
                    let piece: &[u8] = match ESCAPED.iter().position(|&c| Some(c) == e) {
                        Some(i) => UNESCAPED.get(i..=i).unwrap_or(&[]),
                        None if e == Some(b'u') => {
                            let c = self.unicode_escape()?;
                            if c == '\0' {
                                return syntax(t!("NUL in string"));
                            }
                            c.encode_utf8(&mut tmp).as_bytes()
                        }
                        None => return syntax(t!("bad escape")),
                    };
                    if !out(piece) {
                        return Ok(false);
                    }
                }
                Some(_) => return syntax(t!("control character in string")),
            }
        }
    }

    /// After `\u`: four hex digits, and a second escape for a surrogate pair.
    #[inline(never)] // (rare: out of the string reader's loop)
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let hi = self.hex4()?;
        let cp = match hi {
            0xD800..=0xDBFF => {
                if self.byte() != Some(b'\\') || self.byte() != Some(b'u') {
                    return syntax(t!("lone surrogate"));
                }
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return syntax(t!("lone surrogate"));
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return syntax(t!("lone surrogate")),
            c => c,
        };
        char::from_u32(cp).map_or(syntax(t!("bad escape")), Ok)
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0;
        for _ in 0..4 {
            let d = match self.byte() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return syntax(t!("bad escape")),
            };
            v = v * 16 + d as u32;
        }
        Ok(v)
    }

    /// A number, checked against the grammar
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; its text.
    pub fn number(&mut self) -> Result<&'a [u8], Error> {
        self.ws();
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.s.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return syntax(t!("bad number")),
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return syntax(t!("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return syntax(t!("bad number"));
            }
        }
        Ok(self.s.get(start..self.pos).unwrap_or(&[]))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.s.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        let end = self.pos + word.len();
        if self.s.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            syntax(t!("unexpected token"))
        }
    }

    /// Check and pass over one value of any kind; `depth` is how deep it
    /// already is. Iterative on bracket kinds, so no recursion at all.
    pub fn skip(&mut self, depth: usize) -> Result<(), Error> {
        // Open brackets, as bits: 1 = object, 0 = array.
        let mut stack: u32 = 0;
        let mut level = 0usize;
        let mut first;
        loop {
            // One value at the current position.
            first = match self.peek() {
                Some(c @ (b'{' | b'[')) => {
                    self.pos += 1;
                    if depth + level + 1 > DEPTH_MAX {
                        return syntax(t!("nesting too deep"));
                    }
                    stack = (stack << 1) | (c == b'{') as u32;
                    level += 1;
                    true
                }
                Some(b'"') => {
                    self.string(&mut |_| true)?;
                    false
                }
                Some(b't') => self.literal(b"true").map(|_| false)?,
                Some(b'f') => self.literal(b"false").map(|_| false)?,
                Some(b'n') => self.literal(b"null").map(|_| false)?,
                Some(b'-' | b'0'..=b'9') => self.number().map(|_| false)?,
                _ => return syntax(t!("expected value")),
            };
            // Close what ends here; find where the next value starts.
            loop {
                if level == 0 {
                    return Ok(());
                }
                let obj = stack & 1 == 1;
                let close = if obj { b'}' } else { b']' };
                if self.more(close, &mut first)? {
                    if obj {
                        self.string(&mut |_| true)?;
                        self.expect(b':', t!("expected :"))?;
                    }
                    break;
                }
                stack >>= 1;
                level -= 1;
            }
        }
    }
}

/// Parse an unsigned integer number text (no fraction, no exponent, no
/// sign); `None` for anything else or past u64.
pub fn as_u64(number: &[u8]) -> Option<u64> {
    crate::out::parse_u64(number)
}

/// Whether the writer checks its use: in the unit tests and debug builds.
/// Every writer of ours is fixed code whose every shape the tests write
/// (and the HTTP tests read back as JSON); the release binary leaves the
/// checks out (0.2 KiB). Unchecked misuse writes bad JSON, never more than
/// fits and never a panic.
pub const CHECKED: bool = cfg!(any(test, debug_assertions));

/// Writes JSON into a [`Writer`]: commas, colons and escapes are its
/// business; misuse (a value where a key belongs, unbalanced brackets,
/// nesting past 32) fails the writer like running out of room, never a
/// panic, where [`CHECKED`]. Nothing is checked call by call: `finish`
/// tells whether exactly one whole value was written and fit.
pub struct Json<'w, 'b> {
    w: &'w mut Writer<'b>,
    depth: u8,
    /// Bit i: the container at depth i+1 is an object.
    objects: u32,
    /// Bit i: the container at depth i+1 has an element already.
    nonempty: u32,
    after_key: bool,
    done: bool,
}

impl<'w, 'b> Json<'w, 'b> {
    pub fn new(w: &'w mut Writer<'b>) -> Self {
        Json { w, depth: 0, objects: 0, nonempty: 0, after_key: false, done: false }
    }

    fn bit(&self) -> u32 {
        1u32 << (self.depth.saturating_sub(1) & 31)
    }

    fn in_object(&self) -> bool {
        self.depth > 0 && self.objects & self.bit() != 0
    }

    /// Separator before a value (or a key).
    fn element(&mut self) {
        if self.depth == 0 {
            if CHECKED && self.done {
                self.w.fail();
            }
            return;
        }
        if self.nonempty & self.bit() != 0 {
            self.w.push(b",");
        }
        self.nonempty |= self.bit();
    }

    fn value(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if CHECKED && self.in_object() {
            self.w.fail();
        } else {
            self.element();
        }
    }

    fn closed_value(&mut self) {
        if CHECKED && self.depth == 0 {
            self.done = true;
        }
    }

    fn open(&mut self, c: &[u8], object: bool) {
        self.value();
        if CHECKED && self.depth >= 32 {
            return self.w.fail();
        }
        self.w.push(c);
        self.depth += 1;
        let bit = self.bit();
        self.nonempty &= !bit;
        if CHECKED {
            self.objects = if object { self.objects | bit } else { self.objects & !bit };
        }
    }

    fn close(&mut self, c: &[u8], object: bool) {
        if self.depth == 0 || CHECKED && (self.after_key || self.in_object() != object) {
            return self.w.fail();
        }
        self.w.push(c);
        self.depth -= 1;
        self.closed_value();
    }

    // (Out of line: smaller, measured.)
    #[inline(never)]
    pub fn begin_object(&mut self) {
        self.open(b"{", true)
    }

    pub fn end_object(&mut self) {
        self.close(b"}", true)
    }

    pub fn begin_array(&mut self) {
        self.open(b"[", false)
    }

    pub fn end_array(&mut self) {
        self.close(b"]", false)
    }

    pub fn key(&mut self, k: &[u8]) {
        if CHECKED && (!self.in_object() || self.after_key) {
            return self.w.fail();
        }
        self.element();
        self.quoted(&[k]);
        self.w.push(b":");
        self.after_key = true;
    }

    /// A string value (bytes that are not UTF-8 become U+FFFD).
    pub fn str(&mut self, s: &[u8]) {
        self.str_parts(&[s])
    }

    /// One string value made of several pieces.
    pub fn str_parts(&mut self, parts: &[&[u8]]) {
        self.value();
        self.quoted(parts);
        self.closed_value();
    }

    pub fn u64(&mut self, v: u64) {
        self.value();
        self.w.u64(v);
        self.closed_value();
    }

    pub fn i64(&mut self, v: i64) {
        self.value();
        self.w.i64(v);
        self.closed_value();
    }

    pub fn bool(&mut self, v: bool) {
        self.value();
        self.w.text(if v { "true" } else { "false" });
        self.closed_value();
    }

    pub fn null(&mut self) {
        self.value();
        self.w.text("null");
        self.closed_value();
    }

    /// `"key":"value"` in an object.
    pub fn field_str(&mut self, k: &[u8], v: &[u8]) {
        self.key(k);
        self.str(v)
    }

    /// `"key":number` in an object.
    pub fn field_u64(&mut self, k: &[u8], v: u64) {
        self.key(k);
        self.u64(v)
    }

    /// Whether exactly one complete value was written, and it fit.
    pub fn finish(&self) -> Result<(), Full> {
        let whole = !CHECKED || (self.depth == 0 && self.done && !self.after_key);
        if whole && !self.w.is_full() { Ok(()) } else { Err(Full) }
    }

    fn quoted(&mut self, parts: &[&[u8]]) {
        self.w.push(b"\"");
        for part in parts {
            let mut rest = *part;
            while !rest.is_empty() {
                let (valid, bad) = utf8_run(rest);
                escape(self.w, rest.get(..valid).unwrap_or(&[]));
                if bad > 0 {
                    self.w.text("\u{fffd}");
                }
                rest = rest.get(valid + bad..).unwrap_or(&[]);
            }
        }
        self.w.push(b"\"");
    }
}

/// How many bytes at the start of `s` are valid UTF-8, and how many bytes
/// after them are one broken sequence (0 at the end): its longest start
/// that a valid sequence could have, at least a byte, as core's
/// `Utf8Chunks` (one U+FFFD each when written). One small decoder for the
/// reader's check and the writer's replacement, instead of core's
/// validator and lossy iterator (0.9 KiB together).
#[inline(never)]
fn utf8_run(s: &[u8]) -> (usize, usize) {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        // The sequence's length and the range of its second byte (RFC 3629:
        // no overlong forms, no surrogates, nothing past U+10FFFF).
        let (n, lo, hi) = match b {
            0x00..=0x7f => {
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xed => (3, 0x80, 0x9f),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            _ => return (i, 1),
        };
        for k in 1..n {
            let (lo, hi) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
            match s.get(i + k) {
                Some(&c) if (lo..=hi).contains(&c) => {}
                _ => return (i, k),
            }
        }
        i += n;
    }
    (i, 0)
}

/// `"`, `\` and control characters escaped; everything else as is.
fn escape(w: &mut Writer, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rest = s;
    while !rest.is_empty() {
        let plain =
            rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(plain);
        w.push(run);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => w.push(b"\\\""),
            b'\\' => w.push(b"\\\\"),
            _ => w.push(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize & 15], HEX[(b & 15) as usize]]),
        };
        rest = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut r = Reader::new(s);
        r.string(&mut |p| {
            out.extend_from_slice(p);
            true
        })?;
        r.end()?;
        Ok(out)
    }

    fn skip(s: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(s);
        r.skip(0)?;
        r.end()
    }

    #[test]
    fn string_escapes_and_surrogates() {
        assert_eq!(decode(br#""a\"b\\c\/d\b\f\n\r\t""#).unwrap(), b"a\"b\\c/d\x08\x0c\n\r\t");
        assert_eq!(decode(br#""\u0041\u00e9\u20AC""#).unwrap(), "Aé€".as_bytes());
        assert_eq!(decode(br#""\ud83d\ude00""#).unwrap(), "😀".as_bytes());
        assert_eq!(decode("\"héllo 😀\"".as_bytes()).unwrap(), "héllo 😀".as_bytes());
        assert_eq!(decode(br#""""#).unwrap(), b"");
        for (bad, why) in [
            (&br#""\ud83d""#[..], t!("lone surrogate")),
            (br#""\ud83dx""#, t!("lone surrogate")),
            (br#""\ud83d\u0041""#, t!("lone surrogate")),
            (br#""\ude00""#, t!("lone surrogate")),
            (br#""\u0000""#, t!("NUL in string")),
            (b"\"a\0b\"", t!("control character in string")),
            (b"\"a\nb\"", t!("control character in string")),
            (br#""\x41""#, t!("bad escape")),
            (br#""\u12G4""#, t!("bad escape")),
            (br#""\u12""#, t!("bad escape")),
            (b"\"abc", t!("unterminated string")),
            (b"\"abc\\", t!("bad escape")),
            (b"\"\xff\"", t!("invalid UTF-8")),
            (b"\"\xed\xa0\x80\"", t!("invalid UTF-8")),
            (b"\"\xc3\"", t!("invalid UTF-8")),
            (b"'a'", t!("expected string")),
        ] {
            assert_eq!(decode(bad), Err(malformed(why)), "{:?}", bad);
        }
        assert_eq!(decode(br#""a" x"#), Err(malformed(t!("trailing data"))));
        let mut r = Reader::new(br#""abcdef""#);
        let mut room = 3usize;
        assert_eq!(
            r.string(&mut |p| {
                let ok = p.len() <= room;
                room = room.saturating_sub(p.len());
                ok
            }),
            Ok(false)
        );
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for good in [&b"0"[..], b"-0", b"12", b"1.5", b"-1.25e+10", b"1E5", b"0.0e-0"] {
            let mut r = Reader::new(good);
            assert_eq!(r.number(), Ok(good), "{:?}", good);
        }
        for bad in [
            &b"01"[..],
            b"+1",
            b"1.",
            b".5",
            b"1e",
            b"-",
            b"0x10",
            b"1e+",
            b"NaN",
            b"Infinity",
            b"--1",
        ] {
            assert!(skip(bad).is_err(), "{:?}", bad);
        }
        assert_eq!(as_u64(b"4294967295"), Some(4294967295));
        assert_eq!(as_u64(b"1.0"), None);
        assert_eq!(as_u64(b"-1"), None);
        assert_eq!(as_u64(b"99999999999999999999"), None);
    }

    #[test]
    fn skipping_checks_every_value() {
        for good in [
            &br#"{"a":[1,{"b":null},true,false,"x"],"c":{}}"#[..],
            b" [ ] ",
            b"{}",
            b"\"s\"",
            b"-1e3",
            b"null",
            b"[[],[[]],{}]",
            b"{\"a\":{\"b\":{\"c\":[]}}}",
        ] {
            assert_eq!(skip(good), Ok(()), "{:?}", core::str::from_utf8(good));
        }
        for bad in [
            &b"[1,]"[..],
            b"[,1]",
            b"{\"a\":1,}",
            b"{\"a\"}",
            b"{\"a\" 1}",
            b"{1:2}",
            b"[1 2]",
            b"[",
            b"{",
            b"]",
            b"",
            b"tru",
            b"nul",
            b"[true false]",
            b"{\"a\":1}}",
            b"[1]]",
            b"{\"a\":1]",
            b"[1}",
            b"{'a':1}",
            b"[01]",
        ] {
            assert!(skip(bad).is_err(), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}{}", "[".repeat(DEPTH_MAX), "]".repeat(DEPTH_MAX));
        assert_eq!(skip(ok.as_bytes()), Ok(()));
        let deep = format!("{}{}", "[".repeat(DEPTH_MAX + 1), "]".repeat(DEPTH_MAX + 1));
        assert_eq!(skip(deep.as_bytes()), Err(malformed(t!("nesting too deep"))));
        let huge = "[".repeat(100_000);
        assert_eq!(skip(huge.as_bytes()), Err(malformed(t!("nesting too deep"))));
        let mut r = Reader::new(b"[[1]]");
        assert_eq!(r.skip(DEPTH_MAX - 1), Err(malformed(t!("nesting too deep"))));
    }

    fn write(f: impl FnOnce(&mut Json)) -> Result<String, Full> {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let mut j = Json::new(&mut w);
        f(&mut j);
        j.finish()?;
        Ok(String::from_utf8(w.bytes().to_vec()).unwrap())
    }

    #[test]
    fn utf8_runs_split_as_core_does() {
        const B: [u8; 25] = [
            0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
            0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
        ];
        let check = |s: &[u8]| {
            let want = match s.utf8_chunks().next() {
                Some(c) => (c.valid().len(), c.invalid().len()),
                None => (0, 0),
            };
            assert_eq!(utf8_run(s), want, "{s:02x?}");
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        for &a in &B {
            for &b in &B {
                for &c in &B {
                    for &d in &B {
                        check(&[a, b, c, d]);
                    }
                }
            }
        }
        check("ünï😀".as_bytes());
    }

    #[test]
    fn writer_places_commas_and_escapes() {
        let s = write(|j| {
            j.begin_object();
            j.field_str(b"name", b"web");
            j.field_str(b"q", b"a\"b\\c\n\x01\x1f\x7f");
            j.key(b"exits");
            j.begin_array();
            j.str(b"0");
            j.str(b"SIGKILL");
            j.begin_object();
            j.end_object();
            j.i64(-3);
            j.bool(true);
            j.null();
            j.end_array();
            j.field_u64(b"pid", 812);
            j.key(b"bad");
            j.str(b"a\xffb");
            j.end_object()
        })
        .unwrap();
        assert_eq!(
            s,
            "{\"name\":\"web\",\"q\":\"a\\\"b\\\\c\\u000a\\u0001\\u001f\x7f\",\"exits\":[\"0\",\"SIGKILL\",{},-3,true,null],\"pid\":812,\"bad\":\"a\u{fffd}b\"}"
        );
        // what we write, we read back
        let mut r = Reader::new(s.as_bytes());
        assert_eq!(r.skip(0), Ok(()));
        assert_eq!(decode(br#""a\"b\\c\u000a\u0001\u001f""#).unwrap(), b"a\"b\\c\n\x01\x1f");
    }

    #[test]
    fn writer_refuses_misuse_and_overflow() {
        assert_eq!(write(|j| j.begin_object()), Err(Full));
        assert_eq!(
            write(|j| {
                j.begin_object();
                j.str(b"x")
            }),
            Err(Full)
        );
        assert_eq!(
            write(|j| {
                j.begin_array();
                j.key(b"x")
            }),
            Err(Full)
        );
        assert_eq!(
            write(|j| {
                j.begin_array();
                j.end_object()
            }),
            Err(Full)
        );
        assert_eq!(
            write(|j| {
                j.begin_object();
                j.key(b"a");
                j.end_object()
            }),
            Err(Full)
        );
        assert_eq!(
            write(|j| {
                j.u64(1);
                j.u64(2)
            }),
            Err(Full)
        );
        assert_eq!(write(|j| j.end_array()), Err(Full));
        assert_eq!(write(|_| {}), Err(Full));
        assert_eq!(
            write(|j| {
                for _ in 0..33 {
                    j.begin_array();
                }
            }),
            Err(Full)
        );
        assert_eq!(write(|j| j.str(&[b'a'; 300])), Err(Full));
        assert_eq!(write(|j| j.u64(7)).unwrap(), "7");
        // After a misuse nothing more is written, even what would be right.
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let mut j = Json::new(&mut w);
        j.begin_object();
        j.str(b"x");
        j.key(b"k");
        j.u64(1);
        j.end_object();
        assert_eq!(j.finish(), Err(Full));
        assert_eq!(w.bytes(), b"{");
    }
}
