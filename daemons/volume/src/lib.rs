//! Cairn's on-disk volume format: the files the storage daemon writes backups into
//! and reads restores from. Plain `std::io`, no async: tests run on `Cursor`s and
//! offline tools (`cairn volume ls`) use the same code.
//!
//! ```
//! use std::io::Cursor;
//! use cairn_types::{JobId, JobLevel, JobStatus, JobType};
//! use cairn_volume::*;
//!
//! # fn main() -> Result<(), VolumeError> {
//! let label = VolumeLabel::new("Full-0001", "Full", "Backup", "File", 1_700_000_000);
//! let mut w = VolumeWriter::create(Cursor::new(Vec::new()), &label, format::DEFAULT_BLOCK_SIZE_V1)?;
//! let session = SessionKey { id: 1, time: 1_700_000_000 };
//! let start = w.begin_session(&SessionLabel {
//!     session, job_id: JobId(7), job: "nightly.2023-11-14_22.13.20_07".into(),
//!     job_name: "nightly".into(), client: "web-fd".into(), fileset: "Web".into(),
//!     pool_name: "Full".into(), level: JobLevel::Full, job_type: JobType::Backup,
//!     start_time: 1_700_000_000,
//! })?;
//! let attrs = b"1 3 /etc/hosts\0A A IH/ B A A A BA A A A A A A A A\0\0\0\x000\0";
//! let _ = w.write_record(1, format::stream::UNIX_ATTRIBUTES, attrs)?;
//! let _ = w.write_record(1, format::stream::FILE_DATA, b"127.0.0.1 localhost\n")?;
//! let end = w.end_session(&SessionEndLabel {
//!     job_id: JobId(7), end_time: 1_700_000_060, files: 1, bytes: 20, errors: 0,
//!     status: JobStatus::Terminated,
//! })?;
//! assert!(start.block <= end.block); // JobMedia StartBlock / EndBlock
//!
//! let volume = w.finish()?;
//! let (mut r, label) = VolumeReader::open(volume)?;
//! assert_eq!(label.writer, format!("Cairn {}", cairn_types::CAIRN_VERSION));
//! assert!(matches!(r.next_entry()?, Some(Entry::SessionStart(s)) if s.job_id == JobId(7)));
//! let rec = r.next_record()?; // the attributes record (labels are skipped)
//! assert_eq!(rec.map(|r| (r.header.file_index, r.header.stream)), Some((1, 1)));
//! assert_eq!(r.next_record()?.map(|r| r.data), Some(b"127.0.0.1 localhost\n".to_vec()));
//! # Ok(()) }
//! ```
//!
//! # Map
//! - [`format`](mod@format): every on-disk constant and the header layouts; `FORMAT.md` is the spec.
//! - [`VolumeWriter`] / [`VolumeReader`]: labels, sessions, records over
//!   `Write + Seek` / `Read + Seek`.
//! - [`VolumeBackend`] with [`FileDirBackend`] and [`MemBackend`], and the
//!   [`conformance`] suite every backend runs.
//! - [`list_volume`] / [`format_listing`]: the offline lister.
//! - [`VolumeError`]: the crate's one error type.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod backend;
mod error;
pub mod format;
mod label;
mod listing;
mod reader;
mod writer;

pub use backend::{
    FileDirBackend, MemBackend, MemFile, VolumeBackend, VolumeFile, VolumeRead, conformance,
    validate_volume_name,
};
pub use error::{Result, VolumeError};
pub use label::{SessionEndLabel, SessionKey, SessionLabel, VolumeLabel, writer_program};
pub use listing::{
    FileListing, ListOptions, SessionListing, VolumeListing, decode_attributes, file_type_name,
    format_listing, format_time, list_reader, list_volume, list_volume_with,
};
pub use reader::{Entry, Header, Record, RecordHeader, VolumeReader};
pub use writer::{
    AppendReport, TornBlock, TornReason, Truncate, VolPosition, VolumeWriter, WriteStatus,
};
