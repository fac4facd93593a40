//! Tables of words, each with a value, packed when the program is compiled.
//! A table of `(&[u8], T)` puts a pointer and a length (16 bytes on 64-bit)
//! in the binary for every entry; packed, the words are one string and an
//! entry is where its word ends (2 bytes) and its value. The readable table
//! stays in the source and is read only by the compiler.

pub struct Words<const BYTES: usize, const N: usize, T> {
    text: [u8; BYTES],
    ends: [u16; N],
    values: [T; N],
}

/// The length of all the words: the `BYTES` of their `Words`.
pub const fn bytes<T>(table: &[(&[u8], T)]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < table.len() {
        n += table[i].0.len();
        i += 1;
    }
    n
}

impl<const BYTES: usize, const N: usize, T: Copy> Words<BYTES, N, T> {
    /// Pack `table` (N entries, BYTES of words: a mismatch fails to compile).
    pub const fn pack(table: &[(&[u8], T)]) -> Self {
        assert!(table.len() == N && bytes(table) == BYTES && BYTES <= u16::MAX as usize);
        let mut w = Words { text: [0; BYTES], ends: [0; N], values: [table[0].1; N] };
        let mut at = 0;
        let mut i = 0;
        while i < N {
            let word = table[i].0;
            let mut j = 0;
            while j < word.len() {
                w.text[at] = word[j];
                at += 1;
                j += 1;
            }
            w.ends[i] = at as u16;
            w.values[i] = table[i].1;
            i += 1;
        }
        w
    }

    /// The number of the first entry whose word is `word`, when compiling
    /// (a text table checks its users' words); at run time `find` does it,
    /// one copy of the code for every table.
    pub const fn index(&self, word: &[u8]) -> Option<usize> {
        let mut i = 0;
        let mut start = 0;
        while i < N {
            let end = self.ends[i] as usize;
            if end - start == word.len() {
                let mut j = 0;
                while j < word.len() && self.text[start + j] == word[j] {
                    j += 1;
                }
                if j == word.len() {
                    return Some(i);
                }
            }
            start = end;
            i += 1;
        }
        None
    }

    /// The number of `word`, which must be in the table: for constants,
    /// where a missing word fails to compile.
    pub const fn number(&self, word: &[u8]) -> usize {
        match self.index(word) {
            Some(i) => i,
            None => panic!("a word missing from its table"),
        }
    }

    /// The number of the first of the `n` entries from `first` whose word
    /// is `word`, counted from `first` (at run time: one copy of the code
    /// for every table).
    pub fn find(&self, word: &[u8], first: usize, n: usize) -> Option<usize> {
        find(&self.text, &self.ends, word, first, n)
    }

    /// The value of entry `i`.
    pub fn value(&self, i: usize) -> Option<T> {
        self.values.get(i).copied()
    }

    /// The word of entry `i` (empty past the end).
    pub fn at(&self, i: usize) -> &[u8] {
        nth(&self.text, &self.ends, i)
    }

    /// The value of the first entry whose word is `word`.
    pub fn get(&self, word: &[u8]) -> Option<T> {
        self.value(self.find(word, 0, N)?)
    }

    /// The word of the first entry whose value is `v`.
    pub fn word(&self, v: T) -> Option<&[u8]>
    where
        T: PartialEq,
    {
        let i = self.values.iter().position(|&x| x == v)?;
        Some(nth(&self.text, &self.ends, i))
    }
}

/// The pieces of `s` between the bytes `sep` (as `s.split`, but one
/// type for every separator: one copy of the iterator's code, not one per
/// closure).
pub fn split(s: &[u8], sep: u8) -> core::slice::Split<'_, u8, impl FnMut(&u8) -> bool> {
    s.split(move |&b| b == sep)
}

/// See `Words::find` (not generic: every table shares it).
fn find(text: &[u8], ends: &[u16], word: &[u8], first: usize, n: usize) -> Option<usize> {
    (0..n).find(|&i| nth(text, ends, first + i) == word)
}

/// Word `i` (not generic: every table shares it).
fn nth<'a>(text: &'a [u8], ends: &[u16], i: usize) -> &'a [u8] {
    let start = match i.checked_sub(1) {
        Some(p) => ends.get(p).copied().unwrap_or(0),
        None => 0,
    };
    let end = ends.get(i).copied().unwrap_or(0);
    text.get(start as usize..end as usize).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[(&[u8], u8)] = &[(b"one", 1), (b"two", 2), (b"", 0), (b"three", 3), (b"uno", 1)];
    const PACKED: Words<{ bytes(TABLE) }, { TABLE.len() }, u8> = Words::pack(TABLE);

    #[test]
    fn both_ways_first_match_wins() {
        for &(w, v) in TABLE {
            if v != 1 {
                assert_eq!(PACKED.get(w), Some(v));
                assert_eq!(PACKED.word(v), Some(w));
            }
        }
        assert_eq!(PACKED.get(b"uno"), Some(1));
        assert_eq!(PACKED.word(1), Some(&b"one"[..]));
        assert_eq!(PACKED.get(b"four"), None);
        assert_eq!(PACKED.get(b"on"), None);
        assert_eq!(PACKED.word(9), None);
        const THREE: Option<usize> = PACKED.index(b"three");
        assert_eq!((THREE, PACKED.index(b""), PACKED.index(b"th")), (Some(3), Some(2), None));
        assert_eq!((PACKED.at(3), PACKED.at(2), PACKED.at(9)), (&b"three"[..], &b""[..], &b""[..]));
        assert_eq!((PACKED.find(b"uno", 0, 5), PACKED.find(b"uno", 1, 4), PACKED.find(b"uno", 1, 3)), (Some(4), Some(3), None));
        assert_eq!((PACKED.find(b"one", 1, 9), PACKED.find(b"", 0, 9)), (None, Some(2)));
        const TWO: usize = PACKED.number(b"two");
        assert_eq!(TWO, 1);
    }
}
