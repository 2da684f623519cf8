//! [`VolumeWriter`]: labels a volume, appends sessions and records in checksummed blocks.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use crate::error::{Result, VolumeError};
use crate::format::{
    BLOCK_HEADER_LEN_V1, BLOCK_SIZE_MAX_V1, BLOCK_SIZE_MIN_V1, BlockHeaderV1,
    CURRENT_FORMAT_VERSION, EOS_LABEL_V1, LABEL_MAX_LEN_V1, LABEL_STREAM_V1, REC_CONT_V1,
    REC_MORE_V1, REC_SPLIT_NEXT_V1, REC_SPLIT_PREV_V1, REC_TORN_V1, RECORD_HEADER_LEN_V1,
    RecordHeaderV1, SOS_LABEL_V1, VOL_LABEL_V1,
};
use crate::label::{self, SessionEndLabel, SessionKey, SessionLabel, VolumeLabel};
use crate::reader;

const BH: usize = BLOCK_HEADER_LEN_V1;
const RH: usize = RECORD_HEADER_LEN_V1;

/// Where a block sits on a volume: its number and the byte offset of its header.
///
/// This is what the storage daemon records as JobMedia (StartBlock/EndBlock, and for
/// Bareos-style file addressing see [`VolPosition::bareos_file_block`]) and what a
/// bootstrap hands back to [`crate::VolumeReader::seek_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct VolPosition {
    /// Block number (0 = the volume label block).
    pub block: u32,
    /// Byte offset of the block header from the start of the volume.
    pub offset: u64,
}

impl VolPosition {
    /// The `(VolFile, VolBlock)` pair Bareos uses for disk volumes: the high and low
    /// 32 bits of the byte offset.
    pub fn bareos_file_block(&self) -> (u32, u32) {
        (
            (self.offset >> 32) as u32,
            (self.offset & 0xffff_ffff) as u32,
        )
    }
}

/// The outcome of storing (part of) a record's data.
#[must_use = "a record may have been cut short by a full volume"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStatus {
    /// Every byte was stored.
    Complete,
    /// The volume reached its byte limit after `written` bytes of this call's data.
    /// The record is stored with the "continued in a later record" flag; the caller
    /// closes this volume and writes the remaining bytes on the next one with
    /// [`VolumeWriter::write_record_continuation`] (or
    /// [`VolumeWriter::begin_record_continuation`]) after starting the session there.
    Split { written: usize },
}

/// Lets [`VolumeWriter::open_append`] cut a torn tail off a volume.
pub trait Truncate {
    /// Set the length of the underlying file or buffer to `len` bytes.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl Truncate for std::fs::File {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

fn vec_truncate(v: &mut Vec<u8>, len: u64) -> io::Result<()> {
    let len =
        usize::try_from(len).map_err(|_| io::Error::other("length does not fit in memory"))?;
    v.truncate(len);
    Ok(())
}

impl Truncate for Cursor<Vec<u8>> {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        vec_truncate(self.get_mut(), len)
    }
}

impl Truncate for Cursor<&mut Vec<u8>> {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        vec_truncate(self.get_mut(), len)
    }
}

impl<T: Truncate + ?Sized> Truncate for &mut T {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        (**self).truncate(len)
    }
}

impl<T: Truncate + ?Sized> Truncate for Box<T> {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        (**self).truncate(len)
    }
}

/// Why the tail of a volume was discarded by [`VolumeWriter::open_append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TornReason {
    /// The volume ends inside the block (or inside its header).
    Truncated,
    /// The last block's header is not a valid header (e.g. zero-filled by a crash).
    BadHeader,
    /// The last block is complete but its data checksum does not match.
    Checksum,
}

/// A torn last block found (and cut off) when opening a volume for append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornBlock {
    /// Where the torn block started; appending continues here, with the same number.
    pub position: VolPosition,
    /// How many bytes were discarded.
    pub discarded: u64,
    pub reason: TornReason,
}

/// What [`VolumeWriter::open_append`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendReport {
    /// The volume label.
    pub label: VolumeLabel,
    /// The volume's block size (from its label).
    pub block_size: usize,
    /// The last complete, good block.
    pub last_block: VolPosition,
    /// The volume's length after any torn tail was cut off.
    pub volume_bytes: u64,
    /// The torn tail, if there was one. The storage daemon should log it as a warning.
    pub torn: Option<TornBlock>,
    /// A record whose end was lost (the last good block ends inside it). The writer
    /// marks it as ended-torn at the start of its first block, so readers return it
    /// with [`crate::Record::torn`] set and carry on.
    pub torn_record: Option<crate::RecordHeader>,
}

#[derive(Debug)]
struct OpenRecord {
    file_index: i32,
    stream: i32,
    split_prev: bool,
    /// Offset in `buf` of the current fragment's header; `None` when the next byte
    /// needs a continuation fragment first.
    frag_at: Option<usize>,
    frag_len: usize,
    /// The volume filled up before all of the record's data was stored.
    cut: bool,
}

/// Writes a volume: a label block, then sessions of records, in checksummed blocks.
///
/// The writer holds exactly one block in memory and writes each block with one
/// `write_all`; record data is copied straight into that buffer, so there is no
/// allocation or system call per record. Blocks are variable-length: a block is
/// written when it is full, on [`flush`](Self::flush) and at the end of a session.
///
/// Nothing is flushed on drop (errors could not be reported): call
/// [`finish`](Self::finish) or [`flush`](Self::flush).
#[derive(Debug)]
pub struct VolumeWriter<W> {
    w: W,
    label: VolumeLabel,
    block_size: usize,
    buf: Vec<u8>,
    block_number: u32,
    block_offset: u64,
    first_session: Option<SessionKey>,
    session: Option<SessionKey>,
    record: Option<OpenRecord>,
    max_bytes: Option<u64>,
    reserve: u64,
    start_offset: u64,
    last_written: Option<VolPosition>,
    failed: bool,
}

fn check_block_size(size: usize) -> Result<()> {
    if (BLOCK_SIZE_MIN_V1..=BLOCK_SIZE_MAX_V1).contains(&size) {
        Ok(())
    } else {
        Err(VolumeError::InvalidBlockSize {
            size,
            min: BLOCK_SIZE_MIN_V1,
            max: BLOCK_SIZE_MAX_V1,
        })
    }
}

/// Bytes a label of `len` payload bytes can take, fragment and block headers included.
fn label_space(len: usize, block_size: usize) -> u64 {
    let per_block = block_size - BH - RH;
    let blocks = len.div_ceil(per_block) + 2;
    (len + blocks * (BH + RH)) as u64
}

impl<W: Write + Seek> VolumeWriter<W> {
    /// Label a new volume: writes block 0 holding the volume label at the start of `w`
    /// (which should be empty: a longer old tail would be left behind) and flushes.
    /// `label.writer` and `label.format_version` are set to this program and format.
    pub fn create(mut w: W, label: &VolumeLabel, block_size: usize) -> Result<Self> {
        check_block_size(block_size)?;
        let mut label = label.clone();
        label.writer = label::writer_program();
        label.format_version = CURRENT_FORMAT_VERSION;
        let payload = label::encode_volume(&label, block_size as u32).map_err(|len| {
            VolumeError::LabelTooLarge {
                len,
                max: LABEL_MAX_LEN_V1,
            }
        })?;
        w.seek(SeekFrom::Start(0))?;
        let mut vw = Self::new(w, label, block_size, 0, 0);
        let limit = vw.label_limit();
        vw.write_label(VOL_LABEL_V1, SessionKey::default(), &payload, limit)?;
        vw.flush()?;
        Ok(vw)
    }

    fn new(
        w: W,
        label: VolumeLabel,
        block_size: usize,
        block_number: u32,
        block_offset: u64,
    ) -> Self {
        let mut buf = Vec::with_capacity(block_size);
        buf.resize(BH, 0);
        VolumeWriter {
            w,
            label,
            block_size,
            buf,
            block_number,
            block_offset,
            first_session: None,
            session: None,
            record: None,
            max_bytes: None,
            reserve: label_space(LABEL_MAX_LEN_V1, block_size),
            start_offset: block_offset,
            last_written: None,
            failed: false,
        }
    }

    /// Limit the volume to `max` bytes (Bareos `Maximum Volume Bytes`); `None` for no
    /// limit. Record data stops short of the limit by enough room for an
    /// end-of-session label, so [`end_session`](Self::end_session) always fits.
    pub fn set_max_bytes(&mut self, max: Option<u64>) {
        self.max_bytes = max;
    }

    /// The volume label as written.
    pub fn label(&self) -> &VolumeLabel {
        &self.label
    }

    /// The block size.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// The open session, if any.
    pub fn session(&self) -> Option<SessionKey> {
        self.session
    }

    /// The block the next byte will go into (the block being filled). Its number is
    /// final; its offset is where it will be written.
    pub fn position(&self) -> VolPosition {
        VolPosition {
            block: self.block_number,
            offset: self.block_offset,
        }
    }

    /// The last block written to the underlying writer.
    pub fn last_written(&self) -> Option<VolPosition> {
        self.last_written
    }

    /// The volume's length including the block still in memory.
    pub fn volume_bytes(&self) -> u64 {
        self.block_offset + self.pending() as u64
    }

    /// Bytes this writer added to the volume (including the block still in memory).
    pub fn bytes_written(&self) -> u64 {
        self.volume_bytes() - self.start_offset
    }

    /// True when the byte limit leaves no room for another record: the caller ends the
    /// session here (that still fits) or closes the volume and continues on the next.
    pub fn is_full(&self) -> bool {
        !self.can_place(self.data_limit(), RH + 1)
    }

    /// Write a start-of-session label and make it the open session. Returns the
    /// position of the block holding the label (JobMedia StartBlock).
    pub fn begin_session(&mut self, label: &SessionLabel) -> Result<VolPosition> {
        self.usable()?;
        if self.session.is_some() {
            return Err(self.state("a session is already open"));
        }
        if self.is_full() {
            return Err(VolumeError::VolumeFull {
                volume: self.label.volume_name.clone(),
            });
        }
        let payload = label::encode_session(label).map_err(|len| VolumeError::LabelTooLarge {
            len,
            max: LABEL_MAX_LEN_V1,
        })?;
        // The start label must leave the reserve for the end label intact.
        let limit = self.data_limit();
        let pos = self.write_label(SOS_LABEL_V1, label.session, &payload, limit)?;
        self.session = Some(label.session);
        Ok(pos)
    }

    /// Write an end-of-session label, close the session and flush. Returns the
    /// position of the last block of the session (JobMedia EndBlock).
    pub fn end_session(&mut self, label: &SessionEndLabel) -> Result<VolPosition> {
        self.usable()?;
        let Some(session) = self.session else {
            return Err(self.state("no session is open"));
        };
        if self.record.is_some() {
            return Err(self.state("a record is still open"));
        }
        let payload = label::encode_session_end(label, session).map_err(|len| {
            VolumeError::LabelTooLarge {
                len,
                max: LABEL_MAX_LEN_V1,
            }
        })?;
        let limit = self.label_limit();
        self.write_label(EOS_LABEL_V1, session, &payload, limit)?;
        let pos = self.position();
        self.flush()?;
        self.session = None;
        Ok(pos)
    }

    /// Write a whole record of the open session.
    pub fn write_record(
        &mut self,
        file_index: i32,
        stream: i32,
        data: &[u8],
    ) -> Result<WriteStatus> {
        self.begin_record(file_index, stream)?;
        let status = self.write_record_part(data)?;
        self.end_record()?;
        Ok(status)
    }

    /// Write a record that continues the data of a record cut by a full volume (or
    /// deliberately split by the caller): readers see it flagged as a continuation.
    pub fn write_record_continuation(
        &mut self,
        file_index: i32,
        stream: i32,
        data: &[u8],
    ) -> Result<WriteStatus> {
        self.begin_record_continuation(file_index, stream)?;
        let status = self.write_record_part(data)?;
        self.end_record()?;
        Ok(status)
    }

    /// Start a record whose data follows in [`write_record_part`](Self::write_record_part)
    /// calls and ends with [`end_record`](Self::end_record), so a large file never has
    /// to be in memory at once. `file_index` must be positive (negative values are
    /// label codes). Fails with [`VolumeError::VolumeFull`] when
    /// [`is_full`](Self::is_full).
    pub fn begin_record(&mut self, file_index: i32, stream: i32) -> Result<()> {
        self.start_record(file_index, stream, false)
    }

    /// Like [`begin_record`](Self::begin_record), for a continuation record.
    pub fn begin_record_continuation(&mut self, file_index: i32, stream: i32) -> Result<()> {
        self.start_record(file_index, stream, true)
    }

    fn start_record(&mut self, file_index: i32, stream: i32, split_prev: bool) -> Result<()> {
        self.usable()?;
        if self.session.is_none() {
            return Err(self.state("no session is open"));
        }
        if self.record.is_some() {
            return Err(self.state("a record is already open"));
        }
        if file_index <= 0 {
            return Err(
                self.state("record FileIndex must be positive (negative values are label codes)")
            );
        }
        let limit = self.data_limit();
        if !self.make_room(limit, RH + 1)? {
            return Err(VolumeError::VolumeFull {
                volume: self.label.volume_name.clone(),
            });
        }
        self.record = Some(OpenRecord {
            file_index,
            stream,
            split_prev,
            frag_at: None,
            frag_len: 0,
            cut: false,
        });
        self.open_fragment(false);
        Ok(())
    }

    /// Append data to the open record.
    pub fn write_record_part(&mut self, data: &[u8]) -> Result<WriteStatus> {
        self.usable()?;
        if self.record.is_none() {
            return Err(self.state("no record is open"));
        }
        let limit = self.data_limit();
        let written = self.put(data, limit)?;
        if written == data.len() {
            Ok(WriteStatus::Complete)
        } else {
            if let Some(r) = self.record.as_mut() {
                r.cut = true;
            }
            Ok(WriteStatus::Split { written })
        }
    }

    /// Close the open record.
    pub fn end_record(&mut self) -> Result<()> {
        self.usable()?;
        let Some(rec) = self.record.as_ref() else {
            return Err(self.state("no record is open"));
        };
        if rec.frag_at.is_none() {
            // The previous fragment promised more (an explicit flush); end with an
            // empty continuation fragment. It may use the reserve.
            let limit = self.label_limit();
            if !self.make_room(limit, RH)? {
                return Err(VolumeError::VolumeFull {
                    volume: self.label.volume_name.clone(),
                });
            }
            self.open_fragment(true);
        }
        self.close_fragment(false);
        self.record = None;
        Ok(())
    }

    /// Write the block in memory (if it holds anything) and flush the underlying
    /// writer. A record still open continues in the next block.
    pub fn flush(&mut self) -> Result<()> {
        self.usable()?;
        if self.pending() > 0 {
            if self.record.as_ref().is_some_and(|r| r.frag_at.is_some()) {
                self.close_fragment(true);
                if let Some(r) = self.record.as_mut() {
                    r.frag_at = None;
                }
            }
            self.write_block()?;
        }
        self.w.flush()?;
        Ok(())
    }

    /// Flush and hand back the underlying writer. A session may stay open (the job
    /// continues on another volume); an open record is an error.
    pub fn finish(mut self) -> Result<W> {
        if self.record.is_some() {
            return Err(self.state("a record is still open"));
        }
        self.flush()?;
        Ok(self.w)
    }

    // --- internals ---------------------------------------------------------------

    fn state(&self, what: &'static str) -> VolumeError {
        VolumeError::State {
            volume: self.label.volume_name.clone(),
            what,
        }
    }

    fn usable(&self) -> Result<()> {
        if self.failed {
            Err(self.state("an earlier write failed; the volume must be reopened for append"))
        } else {
            Ok(())
        }
    }

    /// Bytes in the block buffer after the header.
    fn pending(&self) -> usize {
        self.buf.len() - BH
    }

    fn label_limit(&self) -> u64 {
        self.max_bytes.unwrap_or(u64::MAX)
    }

    fn data_limit(&self) -> u64 {
        self.max_bytes
            .map_or(u64::MAX, |m| m.saturating_sub(self.reserve))
    }

    /// Free bytes in the current block under `limit`.
    fn room(&self, limit: u64) -> usize {
        let cap = limit
            .saturating_sub(self.block_offset)
            .min(self.block_size as u64) as usize;
        cap.saturating_sub(self.buf.len())
    }

    /// Whether `need` bytes fit in the current block or, failing that, a new one.
    fn can_place(&self, limit: u64, need: usize) -> bool {
        if self.room(limit) >= need {
            return true;
        }
        let next = self.block_offset
            + if self.pending() > 0 {
                self.buf.len() as u64
            } else {
                0
            };
        let cap = limit.saturating_sub(next).min(self.block_size as u64) as usize;
        cap >= BH + need
    }

    /// Ensure `need` bytes fit in the current block, writing it out if a new block is
    /// needed. False when even a new block cannot take them.
    fn make_room(&mut self, limit: u64, need: usize) -> Result<bool> {
        if self.room(limit) >= need {
            return Ok(true);
        }
        if !self.can_place(limit, need) {
            return Ok(false);
        }
        if self.pending() > 0 {
            self.write_block()?;
        }
        Ok(self.room(limit) >= need)
    }

    /// Place the header of a fragment of the open record (room already ensured).
    fn open_fragment(&mut self, cont: bool) {
        let Some(rec) = self.record.as_mut() else {
            return;
        };
        let session = self.session.unwrap_or_default();
        let at = self.buf.len();
        let mut flags = if cont { REC_CONT_V1 } else { 0 };
        if rec.split_prev {
            flags |= REC_SPLIT_PREV_V1;
        }
        let h = RecordHeaderV1 {
            session_id: session.id,
            session_time: session.time,
            file_index: rec.file_index,
            stream: rec.stream,
            length: 0,
            flags,
        };
        self.buf.resize(at + RH, 0);
        h.encode(&mut self.buf[at..]);
        rec.frag_at = Some(at);
        rec.frag_len = 0;
        if self.first_session.is_none() {
            self.first_session = Some(session);
        }
    }

    /// Patch the current fragment's length and flags.
    fn close_fragment(&mut self, more: bool) {
        let Some(rec) = self.record.as_ref() else {
            return;
        };
        let Some(at) = rec.frag_at else { return };
        let mut flags = u32::from_le_bytes([
            self.buf[at + 20],
            self.buf[at + 21],
            self.buf[at + 22],
            self.buf[at + 23],
        ]);
        if more {
            flags |= REC_MORE_V1;
        } else if rec.cut {
            flags |= REC_SPLIT_NEXT_V1;
        }
        self.buf[at + 16..at + 20].copy_from_slice(&(rec.frag_len as u32).to_le_bytes());
        self.buf[at + 20..at + 24].copy_from_slice(&flags.to_le_bytes());
    }

    /// Copy data into blocks under `limit`; returns how much fitted.
    fn put(&mut self, mut data: &[u8], limit: u64) -> Result<usize> {
        let mut written = 0;
        while !data.is_empty() {
            let frag_open = self.record.as_ref().is_some_and(|r| r.frag_at.is_some());
            if !frag_open {
                if !self.make_room(limit, RH + 1)? {
                    break;
                }
                self.open_fragment(true);
            }
            let room = self.room(limit);
            if room == 0 {
                let next_fits = self.pending() > 0 && {
                    let next = self.block_offset + self.buf.len() as u64;
                    limit.saturating_sub(next).min(self.block_size as u64) as usize > BH + RH
                };
                if !next_fits {
                    break;
                }
                self.close_fragment(true);
                if let Some(r) = self.record.as_mut() {
                    r.frag_at = None;
                }
                self.write_block()?;
                continue;
            }
            let n = room.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            if let Some(r) = self.record.as_mut() {
                r.frag_len += n;
            }
            data = &data[n..];
            written += n;
        }
        Ok(written)
    }

    /// Write a label record (whole, under the label limit) and return the position of
    /// the block it starts in.
    fn write_label(
        &mut self,
        code: i32,
        session: SessionKey,
        payload: &[u8],
        limit: u64,
    ) -> Result<VolPosition> {
        if self
            .volume_bytes()
            .saturating_add(label_space(payload.len(), self.block_size))
            > limit
        {
            return Err(VolumeError::VolumeFull {
                volume: self.label.volume_name.clone(),
            });
        }
        if !self.make_room(limit, RH + 1)? {
            return Err(VolumeError::VolumeFull {
                volume: self.label.volume_name.clone(),
            });
        }
        let pos = self.position();
        let saved = self.session;
        self.session = Some(session);
        self.record = Some(OpenRecord {
            file_index: code,
            stream: LABEL_STREAM_V1,
            split_prev: false,
            frag_at: None,
            frag_len: 0,
            cut: false,
        });
        self.open_fragment(false);
        let written = self.put(payload, limit);
        self.session = saved;
        let written = written?;
        if written != payload.len() {
            self.record = None;
            self.failed = true;
            return Err(VolumeError::VolumeFull {
                volume: self.label.volume_name.clone(),
            });
        }
        self.close_fragment(false);
        self.record = None;
        Ok(pos)
    }

    /// Checksum and write the block buffer, then start the next block.
    fn write_block(&mut self) -> Result<()> {
        let len = self.buf.len();
        let first = self.first_session.unwrap_or_default();
        let h = BlockHeaderV1 {
            version: CURRENT_FORMAT_VERSION,
            flags: 0,
            number: self.block_number,
            length: len as u32,
            first_session_id: first.id,
            first_session_time: first.time,
            body_crc: crc32fast::hash(&self.buf[BH..]),
        };
        let mut hb = [0u8; BH];
        h.encode(&mut hb);
        self.buf[..BH].copy_from_slice(&hb);
        if let Err(e) = self.w.write_all(&self.buf) {
            self.failed = true;
            return Err(e.into());
        }
        self.last_written = Some(self.position());
        self.block_offset += len as u64;
        self.block_number = self.block_number.wrapping_add(1);
        self.buf.truncate(BH);
        self.first_session = None;
        Ok(())
    }
}

impl<W: Read + Write + Seek + Truncate> VolumeWriter<W> {
    /// Open an existing volume to append to it. Reads the label, walks the block
    /// headers to the end and verifies the last block's checksum. A torn last block
    /// (the volume ends inside it, its header is garbage, or its data checksum fails)
    /// is reported in [`AppendReport::torn`] and cut off; new blocks continue with
    /// its number. A complete good block is never overwritten. Damage before the last
    /// block is an error: appending would bury it.
    pub fn open_append(mut w: W) -> Result<(Self, AppendReport)> {
        let scan = reader::scan_for_append(&mut w)?;
        let file_len = w.seek(SeekFrom::End(0))?;
        if file_len > scan.end_offset {
            w.truncate(scan.end_offset)?;
        }
        w.seek(SeekFrom::Start(scan.end_offset))?;
        check_block_size(scan.block_size)?;
        let mut vw = Self::new(
            w,
            scan.label.clone(),
            scan.block_size,
            scan.next_block,
            scan.end_offset,
        );
        vw.last_written = Some(scan.last_block);
        let torn_record = scan.dangling.map(|h| {
            // An empty continuation fragment that ends the record as torn.
            let marker = RecordHeaderV1 {
                length: 0,
                flags: REC_CONT_V1 | REC_TORN_V1,
                ..h
            };
            let at = vw.buf.len();
            vw.buf.resize(at + RH, 0);
            marker.encode(&mut vw.buf[at..]);
            vw.first_session = Some(SessionKey {
                id: h.session_id,
                time: h.session_time,
            });
            crate::RecordHeader {
                session: SessionKey {
                    id: h.session_id,
                    time: h.session_time,
                },
                file_index: h.file_index,
                stream: h.stream,
                split_prev: h.flags & REC_SPLIT_PREV_V1 != 0,
            }
        });
        let report = AppendReport {
            label: scan.label,
            block_size: scan.block_size,
            last_block: scan.last_block,
            volume_bytes: scan.end_offset,
            torn: scan.torn,
            torn_record,
        };
        Ok((vw, report))
    }
}
