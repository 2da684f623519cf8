//! Bareos's `lstat` attribute encoding: 16 `stat` fields written as "base64
//! integers" (digits `A–Z a–z 0–9 + /` = 0–63, most significant first, no padding,
//! a leading `-` for negative values), separated by single spaces.
//!
//! ```
//! use cairn_types::lstat::Lstat;
//! let l = Lstat::decode("gD IC/n IHt B A A A Hmg BAA BA BX7C7h BWiFmV BX7C7i A A U").unwrap();
//! assert_eq!(l.mode, 0o100755);
//! assert_eq!(l.size, 31136);
//! assert_eq!(l.encode(), "gD IC/n IHt B A A A Hmg BAA BA BX7C7h BWiFmV BX7C7i A A U");
//! ```

use serde::{Deserialize, Serialize};

const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encode one integer.
pub fn encode_int(v: i64) -> String {
    let mut out = String::new();
    let neg = v < 0;
    let mut u = v.unsigned_abs();
    if u == 0 {
        return "A".into();
    }
    let mut buf = Vec::new();
    while u > 0 {
        buf.push(DIGITS[(u & 63) as usize]);
        u >>= 6;
    }
    if neg {
        out.push('-');
    }
    for b in buf.iter().rev() {
        out.push(*b as char);
    }
    out
}

/// Decode one integer; `None` on a character outside the alphabet.
pub fn decode_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for c in digits.bytes() {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        v = v.checked_mul(64)?.checked_add(d as i64)?;
    }
    Some(if neg { -v } else { v })
}

/// The decoded `stat` of a file as Bareos stores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lstat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    /// FileIndex of the hard-link master (0 when not a hard link).
    pub link_fi: i64,
    pub flags: u64,
    /// Stream id used for the file's data.
    pub data_stream: i64,
}

impl Lstat {
    /// Encode as 16 space-separated base64 integers.
    pub fn encode(&self) -> String {
        [
            self.dev as i64,
            self.ino as i64,
            self.mode as i64,
            self.nlink as i64,
            self.uid as i64,
            self.gid as i64,
            self.rdev as i64,
            self.size,
            self.blksize,
            self.blocks,
            self.atime,
            self.mtime,
            self.ctime,
            self.link_fi,
            self.flags as i64,
            self.data_stream,
        ]
        .iter()
        .map(|v| encode_int(*v))
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// Decode 13 to 16 fields (older records lack the tail).
    pub fn decode(s: &str) -> Option<Lstat> {
        let f: Vec<i64> = s.split_whitespace().map(decode_int).collect::<Option<Vec<_>>>()?;
        if f.len() < 13 || f.len() > 16 {
            return None;
        }
        let g = |i: usize| f.get(i).copied().unwrap_or(0);
        Some(Lstat {
            dev: g(0) as u64,
            ino: g(1) as u64,
            mode: g(2) as u32,
            nlink: g(3) as u64,
            uid: g(4) as u32,
            gid: g(5) as u32,
            rdev: g(6) as u64,
            size: g(7),
            blksize: g(8),
            blocks: g(9),
            atime: g(10),
            mtime: g(11),
            ctime: g(12),
            link_fi: g(13),
            flags: g(14) as u64,
            data_stream: g(15),
        })
    }
}

/// The lstat of a directory that was not backed up itself (bvfs, restore trees).
pub const EMPTY_LSTAT: &str = "A A A A A A A A A A A A A A";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_decodes() {
        let l = Lstat::decode("gD IC/n IHt B A A A Hmg BAA BA BX7C7h BWiFmV BX7C7i A A U").unwrap_or_default();
        assert_eq!(l.dev, 2051);
        assert_eq!(l.ino, 2109415);
        assert_eq!(l.mode, 33261);
        assert_eq!(l.size, 31136);
        assert_eq!(l.blksize, 4096);
        assert_eq!(l.blocks, 64);
        assert_eq!(l.atime, 1475096289);
        assert_eq!(l.mtime, 1451776405);
        assert_eq!(l.ctime, 1475096290);
        assert_eq!(l.data_stream, 20);
    }

    #[test]
    fn ints_round_trip() {
        for v in [0i64, 1, 63, 64, 4095, 4096, -1, -4096, i64::MAX, 1_700_000_000] {
            assert_eq!(decode_int(&encode_int(v)), Some(v), "{v}");
        }
        assert_eq!(decode_int("*"), None);
        assert_eq!(decode_int(""), None);
        assert_eq!(Lstat::decode(EMPTY_LSTAT), Some(Lstat::default()));
        assert_eq!(Lstat::decode("A A"), None);
    }
}
