//! A small strerror: the errors nitroctl is likely to meet, else `errno N`.
//! Numbers are Linux's generic ones (x86_64, arm, aarch64 agree).

use nitro::words::{self, Words};

const TABLE: &[(&[u8], u8)] = &[
    (b"Operation not permitted", 1),
    (b"No such file or directory", 2),
    (b"Resource temporarily unavailable", 11),
    (b"Permission denied", 13),
    (b"Not a directory", 20),
    (b"Invalid argument", 22),
    (b"Read-only file system", 30),
    (b"File name too long", 36),
    (b"Too many levels of symbolic links", 40),
    (b"Address already in use", 98),
    (b"No buffer space available", 105),
    (b"Connection refused", 111),
];
const PACKED: Words<{ words::bytes(TABLE) }, { TABLE.len() }, u8> = Words::pack(TABLE);

/// Append the description of `errno` (a positive error number).
pub fn describe(o: &mut nitro::out::Text, errno: i32) {
    match u8::try_from(errno).ok().and_then(|e| PACKED.word(e)) {
        Some(text) => o.s(text),
        None => o.t("errno ").i(errno as i64),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_errors() {
        let mut o = nitro::out::Out::<64>::new();
        describe(&mut o, 111);
        assert_eq!(o.bytes(), b"Connection refused");
        o.clear();
        describe(&mut o, 77);
        assert_eq!(o.bytes(), b"errno 77");
    }
}
