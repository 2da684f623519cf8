//! Every on-disk constant of the Cairn volume format, and the byte layout of the two
//! fixed headers (block and record). `FORMAT.md` beside this crate is the prose spec;
//! this module is its executable half.
//!
//! # Rule: never edit a released constant — add a new version
//!
//! Names carry the format version they belong to (`…_V1`). Once a version has been
//! released, volumes written with it exist on disks and tapes we do not control, so
//! its constants and layouts are frozen forever. A change of layout or meaning gets a
//! new set of `…_V2` constants, a new `FORMAT_VERSION_V2`, readers that accept both
//! and a new section in `FORMAT.md`; `CURRENT_FORMAT_VERSION` then moves.
//!
//! All integers are little-endian. Checksums are CRC-32 (IEEE 802.3 polynomial, as
//! computed by `crc32fast`).

/// Magic at the start of every block: ASCII `CRNB` ("Cairn block").
pub const BLOCK_MAGIC_V1: [u8; 4] = *b"CRNB";
/// Format version 1: the only version so far.
pub const FORMAT_VERSION_V1: u16 = 1;
/// The version this crate writes.
pub const CURRENT_FORMAT_VERSION: u16 = FORMAT_VERSION_V1;

/// Length of the block header (v1).
pub const BLOCK_HEADER_LEN_V1: usize = 32;
/// Length of a record (fragment) header (v1).
pub const RECORD_HEADER_LEN_V1: usize = 24;

/// Smallest block size a writer accepts (header + record header + some payload).
pub const BLOCK_SIZE_MIN_V1: usize = 1024;
/// Default block size: 256 KiB, the default `Maximum Network Buffer Size` of the
/// file daemon, so one network frame of file data usually lands in one block.
pub const DEFAULT_BLOCK_SIZE_V1: usize = 256 * 1024;
/// Largest block size a writer accepts and a reader will allocate for.
pub const BLOCK_SIZE_MAX_V1: usize = 16 * 1024 * 1024;

/// Largest encoded label payload (volume, session start and session end labels).
/// Bounding labels lets a writer reserve room for the end-of-session label when a
/// volume has a byte limit.
pub const LABEL_MAX_LEN_V1: usize = 16 * 1024;
/// First line of every label payload: identifies the label text format and version.
pub const LABEL_TEXT_MAGIC_V1: &str = "cairn-label 1";

// Label codes: a record whose FileIndex is negative is a label. The values follow
// Bareos's PRE_LABEL..EOT_LABEL numbering so that `bls` users read them the same way.
/// Reserved (Bareos: label of a volume prepared but not yet written). Never written.
pub const PRE_LABEL_V1: i32 = -1;
/// The volume label; the first record of block 0.
pub const VOL_LABEL_V1: i32 = -2;
/// Reserved (Bareos: end of medium). Never written.
pub const EOM_LABEL_V1: i32 = -3;
/// Start-of-session label: a job begins writing to this volume.
pub const SOS_LABEL_V1: i32 = -4;
/// End-of-session label: a job finished; carries its final counts and status.
pub const EOS_LABEL_V1: i32 = -5;
/// Reserved (Bareos: end of tape). Never written.
pub const EOT_LABEL_V1: i32 = -6;
/// The stream id written in label records.
pub const LABEL_STREAM_V1: i32 = 0;

/// Record flag: this fragment continues a record begun in the previous block.
pub const REC_CONT_V1: u32 = 1 << 0;
/// Record flag: the record continues in the next block (this is not its last fragment).
pub const REC_MORE_V1: u32 = 1 << 1;
/// Record flag (on a record's last fragment): the data continues in a later record with
/// the same session, FileIndex and stream, normally on the next volume (the volume
/// filled up).
pub const REC_SPLIT_NEXT_V1: u32 = 1 << 2;
/// Record flag (on every fragment): this record continues the data of an earlier record
/// with the same session, FileIndex and stream.
pub const REC_SPLIT_PREV_V1: u32 = 1 << 3;
/// Record flag (on an empty continuation fragment): the record's remaining fragments
/// were lost in a torn write; the record ends here, incomplete. Written by
/// `open_append` when the last good block ends inside a record.
pub const REC_TORN_V1: u32 = 1 << 4;
/// All record flags version 1 defines; others must be zero.
pub const REC_FLAGS_KNOWN_V1: u32 =
    REC_CONT_V1 | REC_MORE_V1 | REC_SPLIT_NEXT_V1 | REC_SPLIT_PREV_V1 | REC_TORN_V1;

/// Stream ids and file types used by this crate, as defined by the Bareos protocol
/// (`include/streams.h`, `include/filetypes.h`; protocol.md §5.5). Not versioned:
/// they belong to the payload, which the volume format stores opaquely.
pub mod stream {
    /// `STREAM_UNIX_ATTRIBUTES`: `<FileIndex> <FileType> <path>\0<lstat>\0<link>\0<extra>\0<delta>\0`.
    pub const UNIX_ATTRIBUTES: i32 = 1;
    /// `STREAM_FILE_DATA`: raw file content.
    pub const FILE_DATA: i32 = 2;
    /// `STREAM_UNIX_ATTRIBUTES_EX`.
    pub const UNIX_ATTRIBUTES_EX: i32 = 5;
}

/// The block header, version 1 (32 bytes):
///
/// | offset | size | field |
/// |---:|---:|---|
/// | 0 | 4 | magic `CRNB` |
/// | 4 | 2 | format version (1) |
/// | 6 | 2 | flags (0; reserved) |
/// | 8 | 4 | block number (0 = the label block, then +1 per block) |
/// | 12 | 4 | block length, header included |
/// | 16 | 4 | VolSessionId of the first record header in the block (0 if none) |
/// | 20 | 4 | VolSessionTime of that record (0 if none) |
/// | 24 | 4 | CRC-32 of bytes 32..block length (the body) |
/// | 28 | 4 | CRC-32 of bytes 0..28 (the header) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeaderV1 {
    pub version: u16,
    pub flags: u16,
    pub number: u32,
    pub length: u32,
    pub first_session_id: u32,
    pub first_session_time: u32,
    pub body_crc: u32,
}

/// Why a block header could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    BadMagic([u8; 4]),
    Version(u16),
    HeaderCrc { stored: u32, computed: u32 },
    Length(u32),
}

impl BlockHeaderV1 {
    /// Encode into `out[..32]`, computing the header CRC.
    pub fn encode(&self, out: &mut [u8; BLOCK_HEADER_LEN_V1]) {
        out[0..4].copy_from_slice(&BLOCK_MAGIC_V1);
        out[4..6].copy_from_slice(&self.version.to_le_bytes());
        out[6..8].copy_from_slice(&self.flags.to_le_bytes());
        out[8..12].copy_from_slice(&self.number.to_le_bytes());
        out[12..16].copy_from_slice(&self.length.to_le_bytes());
        out[16..20].copy_from_slice(&self.first_session_id.to_le_bytes());
        out[20..24].copy_from_slice(&self.first_session_time.to_le_bytes());
        out[24..28].copy_from_slice(&self.body_crc.to_le_bytes());
        let hcrc = crc32fast::hash(&out[0..28]);
        out[28..32].copy_from_slice(&hcrc.to_le_bytes());
    }

    /// Decode and validate (magic, then version, then header CRC, then length bounds).
    pub fn decode(b: &[u8; BLOCK_HEADER_LEN_V1]) -> Result<Self, HeaderFault> {
        let magic = [b[0], b[1], b[2], b[3]];
        if magic != BLOCK_MAGIC_V1 {
            return Err(HeaderFault::BadMagic(magic));
        }
        let version = u16_at(b, 4);
        if version != FORMAT_VERSION_V1 {
            return Err(HeaderFault::Version(version));
        }
        let stored = u32_at(b, 28);
        let computed = crc32fast::hash(&b[0..28]);
        if stored != computed {
            return Err(HeaderFault::HeaderCrc { stored, computed });
        }
        let length = u32_at(b, 12);
        if (length as usize) < BLOCK_HEADER_LEN_V1 || length as usize > BLOCK_SIZE_MAX_V1 {
            return Err(HeaderFault::Length(length));
        }
        Ok(BlockHeaderV1 {
            version,
            flags: u16_at(b, 6),
            number: u32_at(b, 8),
            length,
            first_session_id: u32_at(b, 16),
            first_session_time: u32_at(b, 20),
            body_crc: u32_at(b, 24),
        })
    }
}

/// A record (fragment) header, version 1 (24 bytes):
///
/// | offset | size | field |
/// |---:|---:|---|
/// | 0 | 4 | VolSessionId (u32) |
/// | 4 | 4 | VolSessionTime (u32) |
/// | 8 | 4 | FileIndex (i32; negative = label code) |
/// | 12 | 4 | stream id (i32) |
/// | 16 | 4 | length of the payload bytes of this fragment that follow |
/// | 20 | 4 | flags (`REC_*_V1`) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeaderV1 {
    pub session_id: u32,
    pub session_time: u32,
    pub file_index: i32,
    pub stream: i32,
    pub length: u32,
    pub flags: u32,
}

impl RecordHeaderV1 {
    /// Encode into the first 24 bytes of `out`.
    pub fn encode(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.session_id.to_le_bytes());
        out[4..8].copy_from_slice(&self.session_time.to_le_bytes());
        out[8..12].copy_from_slice(&self.file_index.to_le_bytes());
        out[12..16].copy_from_slice(&self.stream.to_le_bytes());
        out[16..20].copy_from_slice(&self.length.to_le_bytes());
        out[20..24].copy_from_slice(&self.flags.to_le_bytes());
    }

    /// Decode the first 24 bytes of `b` (the caller checks there are 24).
    pub fn decode(b: &[u8]) -> Self {
        RecordHeaderV1 {
            session_id: u32_at(b, 0),
            session_time: u32_at(b, 4),
            file_index: u32_at(b, 8) as i32,
            stream: u32_at(b, 12) as i32,
            length: u32_at(b, 16),
            flags: u32_at(b, 20),
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_header_round_trip_and_faults() {
        let h = BlockHeaderV1 {
            version: FORMAT_VERSION_V1,
            flags: 0,
            number: 7,
            length: 4096,
            first_session_id: 3,
            first_session_time: 1_700_000_000,
            body_crc: 0xdead_beef,
        };
        let mut b = [0u8; BLOCK_HEADER_LEN_V1];
        h.encode(&mut b);
        assert_eq!(&b[0..4], b"CRNB");
        assert_eq!(BlockHeaderV1::decode(&b), Ok(h));
        let mut bad = b;
        bad[9] ^= 1;
        assert!(matches!(
            BlockHeaderV1::decode(&bad),
            Err(HeaderFault::HeaderCrc { .. })
        ));
        let mut bad = b;
        bad[4] = 9;
        assert_eq!(BlockHeaderV1::decode(&bad), Err(HeaderFault::Version(9)));
        let mut bad = b;
        bad[0] = b'X';
        assert!(matches!(
            BlockHeaderV1::decode(&bad),
            Err(HeaderFault::BadMagic(_))
        ));
    }

    #[test]
    fn record_header_round_trip() {
        let h = RecordHeaderV1 {
            session_id: 1,
            session_time: 2,
            file_index: SOS_LABEL_V1,
            stream: -3,
            length: 99,
            flags: REC_MORE_V1,
        };
        let mut b = [0u8; RECORD_HEADER_LEN_V1];
        h.encode(&mut b);
        assert_eq!(RecordHeaderV1::decode(&b), h);
    }
}
