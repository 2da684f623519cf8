//! The crate's one error type.

use std::io;

/// Everything that can go wrong reading or writing a volume.
///
/// Errors about volume contents name the volume (`"?"` when the volume label has not
/// been read yet and no name was given), the block number and the byte offset of the
/// block in the volume. [`VolumeError::Truncated`] means the data simply ends early
/// (a torn or interrupted write); [`VolumeError::Checksum`], [`VolumeError::BadMagic`]
/// and [`VolumeError::Corrupt`] mean the bytes that are there are wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VolumeError {
    /// An I/O error from the underlying file or buffer.
    #[error("volume I/O error: {0}")]
    Io(#[from] io::Error),

    /// The block does not start with the Cairn block magic: not a Cairn volume, or
    /// garbage where a block should be.
    #[error(
        "volume \"{volume}\": bad magic {found:02x?} at block {block} (offset {offset}); not a Cairn volume block"
    )]
    BadMagic {
        volume: String,
        block: u32,
        offset: u64,
        found: [u8; 4],
    },

    /// The block was written by a format version this reader does not know.
    #[error(
        "volume \"{volume}\": block {block} (offset {offset}) has format version {found}; this reader supports version {supported}"
    )]
    UnsupportedVersion {
        volume: String,
        block: u32,
        offset: u64,
        found: u16,
        supported: u16,
    },

    /// A checksum did not match: the block's bytes were altered.
    #[error(
        "volume \"{volume}\": {part} checksum mismatch in block {block} (offset {offset}): stored {stored:08x}, computed {computed:08x}"
    )]
    Checksum {
        volume: String,
        block: u32,
        offset: u64,
        /// `"header"` or `"data"`.
        part: &'static str,
        stored: u32,
        computed: u32,
    },

    /// The volume ends in the middle of a block (or of a record that continues into a
    /// block that is missing): an interrupted write, not corruption.
    #[error(
        "volume \"{volume}\": truncated at block {block} (offset {offset}): expected {expected} more bytes, found {found}"
    )]
    Truncated {
        volume: String,
        block: u32,
        offset: u64,
        expected: u64,
        found: u64,
    },

    /// Structurally invalid contents that passed the checksums (or a block length or
    /// number that makes no sense).
    #[error("volume \"{volume}\": corrupt block {block} (offset {offset}): {reason}")]
    Corrupt {
        volume: String,
        block: u32,
        offset: u64,
        reason: String,
    },

    /// A label record could not be decoded, or the volume does not begin with one.
    #[error("volume \"{volume}\": bad label: {reason}")]
    BadLabel { volume: String, reason: String },

    /// A label's encoding exceeds [`crate::format::LABEL_MAX_LEN_V1`].
    #[error("label too large: {len} bytes (maximum {max})")]
    LabelTooLarge { len: usize, max: usize },

    /// The requested block size is outside the supported range.
    #[error("invalid block size {size}: must be between {min} and {max}")]
    InvalidBlockSize { size: usize, min: usize, max: usize },

    /// The volume reached its byte limit; nothing more can start on it.
    #[error("volume \"{volume}\" is full")]
    VolumeFull { volume: String },

    /// An API call out of order (e.g. a record outside a session).
    #[error("volume \"{volume}\": {what}")]
    State { volume: String, what: &'static str },

    /// `seek_block` asked for a block past the end of the volume.
    #[error("volume \"{volume}\": no block {block} (the volume has {blocks} blocks)")]
    NoSuchBlock {
        volume: String,
        block: u32,
        blocks: u32,
    },

    /// A backend has no volume of that name.
    #[error("no volume named \"{volume}\"")]
    NotFound { volume: String },

    /// A backend already has a volume of that name.
    #[error("volume \"{volume}\" already exists")]
    AlreadyExists { volume: String },

    /// The name cannot be used as a volume name (empty, path separators, ...).
    #[error("invalid volume name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
}

/// Result alias for this crate.
pub type Result<T, E = VolumeError> = std::result::Result<T, E>;
