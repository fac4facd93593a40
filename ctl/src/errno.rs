//! A small strerror: the errors nitroctl is likely to meet, else `errno N`.
//! Numbers are Linux's generic ones (x86_64, arm, aarch64 agree).

use nitro::out::Out;

const TABLE: &[(i32, &str)] = &[
    (1, "Operation not permitted"),
    (2, "No such file or directory"),
    (11, "Resource temporarily unavailable"),
    (13, "Permission denied"),
    (20, "Not a directory"),
    (22, "Invalid argument"),
    (30, "Read-only file system"),
    (36, "File name too long"),
    (40, "Too many levels of symbolic links"),
    (98, "Address already in use"),
    (105, "No buffer space available"),
    (111, "Connection refused"),
];

/// Append the description of `errno` (a positive error number).
pub fn describe<const N: usize>(o: &mut Out<N>, errno: i32) {
    match TABLE.iter().find(|(n, _)| *n == errno) {
        Some((_, text)) => o.t(text),
        None => o.t("errno ").i(errno as i64),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_errors() {
        let mut o = Out::<64>::new();
        describe(&mut o, 111);
        assert_eq!(o.bytes(), b"Connection refused");
        o.clear();
        describe(&mut o, 77);
        assert_eq!(o.bytes(), b"errno 77");
    }
}
