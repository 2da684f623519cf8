//! Digests (signature streams) and the LZ4 frame format of PROTOCOL.md §5.4.

use cairn_proto::msg::{stream, LZ4_MAGIC};
use md5::Digest as _;

/// A signature algorithm of FileSet Options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Xxh128,
}

impl DigestKind {
    /// From the `Signature =` value (case-insensitive); `None` when unknown.
    pub fn parse(s: &str) -> Option<DigestKind> {
        match s.to_ascii_lowercase().as_str() {
            "md5" => Some(DigestKind::Md5),
            "sha1" => Some(DigestKind::Sha1),
            "sha256" => Some(DigestKind::Sha256),
            "sha512" => Some(DigestKind::Sha512),
            "xxh128" => Some(DigestKind::Xxh128),
            _ => None,
        }
    }
    /// The digest's record stream.
    pub fn stream(self) -> i32 {
        match self {
            DigestKind::Md5 => stream::MD5_DIGEST,
            DigestKind::Sha1 => stream::SHA1_DIGEST,
            DigestKind::Sha256 => stream::SHA256_DIGEST,
            DigestKind::Sha512 => stream::SHA512_DIGEST,
            DigestKind::Xxh128 => stream::XXH128_DIGEST,
        }
    }
    /// The algorithm of a digest stream.
    pub fn from_stream(s: i32) -> Option<DigestKind> {
        match s {
            stream::MD5_DIGEST => Some(DigestKind::Md5),
            stream::SHA1_DIGEST => Some(DigestKind::Sha1),
            stream::SHA256_DIGEST => Some(DigestKind::Sha256),
            stream::SHA512_DIGEST => Some(DigestKind::Sha512),
            stream::XXH128_DIGEST => Some(DigestKind::Xxh128),
            _ => None,
        }
    }
    pub fn hasher(self) -> Hasher {
        match self {
            DigestKind::Md5 => Hasher::Md5(md5::Md5::new()),
            DigestKind::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            DigestKind::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            DigestKind::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            DigestKind::Xxh128 => Hasher::Xxh128(Box::new(xxhash_rust::xxh3::Xxh3::new())),
        }
    }
}

/// A running digest.
pub enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Xxh128(Box<xxhash_rust::xxh3::Xxh3>),
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

impl Hasher {
    pub fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(b),
            Hasher::Sha1(h) => h.update(b),
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
            Hasher::Xxh128(h) => h.update(b),
        }
    }
    /// Feed `n` zero bytes (a sparse hole).
    pub fn update_zeros(&mut self, mut n: u64) {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.update(&ZEROS[..k]);
            n -= k as u64;
        }
    }
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Xxh128(h) => h.digest128().to_be_bytes().to_vec(),
        }
    }
}

/// Compress one data frame: `LZ4C`, u32 BE uncompressed length, u32 BE compressed
/// length, `[u64 BE offset]` when `offset` is given (stream 30), the LZ4 block.
pub fn lz4_frame(data: &[u8], offset: Option<u64>) -> Vec<u8> {
    let bound = lz4_flex::block::get_maximum_output_size(data.len());
    let hdr = if offset.is_some() { 20 } else { 12 };
    let mut out = vec![0u8; hdr + bound];
    // compress_into cannot fail with a buffer of the maximum output size
    let n = lz4_flex::block::compress_into(data, &mut out[hdr..]).unwrap_or(0);
    out.truncate(hdr + n);
    out[..4].copy_from_slice(LZ4_MAGIC);
    out[4..8].copy_from_slice(&(data.len() as u32).to_be_bytes());
    out[8..12].copy_from_slice(&(n as u32).to_be_bytes());
    if let Some(o) = offset {
        out[12..20].copy_from_slice(&o.to_be_bytes());
    }
    out
}

/// Decode a compressed frame: `(offset, bytes)`; `sparse` tells whether the
/// frame carries an offset (stream 30).
pub fn lz4_unframe(frame: &[u8], sparse: bool) -> Result<(Option<u64>, Vec<u8>), String> {
    let mut out = Vec::new();
    let (off, n) = lz4_unframe_into(frame, sparse, &mut out)?;
    out.truncate(n);
    Ok((off, out))
}

/// Decode a compressed frame into `out` (reused: it only grows, so it is not
/// zeroed again for every frame): `(offset, length)`, the bytes are `out[..length]`.
pub fn lz4_unframe_into(frame: &[u8], sparse: bool, out: &mut Vec<u8>) -> Result<(Option<u64>, usize), String> {
    let hdr = if sparse { 20 } else { 12 };
    if frame.len() < hdr || &frame[..4] != LZ4_MAGIC {
        return Err("bad compressed frame header".into());
    }
    let ulen = u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]) as usize;
    let clen = u32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]) as usize;
    if frame.len() != hdr + clen || ulen > 64 * 1024 * 1024 {
        return Err(format!("bad compressed frame lengths {ulen}/{clen} in {} bytes", frame.len()));
    }
    let off = if sparse {
        let mut b = [0u8; 8];
        b.copy_from_slice(&frame[12..20]);
        Some(u64::from_be_bytes(b))
    } else {
        None
    };
    if out.len() < ulen {
        out.resize(ulen, 0);
    }
    let n = lz4_flex::block::decompress_into(&frame[hdr..], &mut out[..ulen]).map_err(|e| format!("LZ4: {e}"))?;
    if n != ulen {
        return Err("LZ4: short block".into());
    }
    Ok((off, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_known_values() {
        let mut h = DigestKind::Md5.hasher();
        h.update(b"abc");
        assert_eq!(h.finish(), hex("900150983cd24fb0d6963f7d28e17f72"));
        let mut h = DigestKind::Sha1.hasher();
        h.update(b"abc");
        assert_eq!(h.finish(), hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
        let mut a = DigestKind::Xxh128.hasher();
        a.update(&[0u8; 100_000]);
        let mut b = DigestKind::Xxh128.hasher();
        b.update_zeros(100_000);
        assert_eq!(a.finish(), b.finish());
        assert_eq!(DigestKind::parse("SHA256").map(DigestKind::stream), Some(17));
        assert_eq!(DigestKind::from_stream(40), Some(DigestKind::Xxh128));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
    }

    #[test]
    fn lz4_frames_round_trip() -> Result<(), String> {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
        let f = lz4_frame(&data, None);
        assert_eq!(&f[..4], b"LZ4C");
        assert!(f.len() < data.len() / 4);
        assert_eq!(lz4_unframe(&f, false)?, (None, data.clone()));
        let f = lz4_frame(&data[..10], Some(1 << 40));
        assert_eq!(lz4_unframe(&f, true)?, (Some(1 << 40), data[..10].to_vec()));
        assert!(lz4_unframe(b"LZ4Cxxxx", false).is_err());
        Ok(())
    }
}
