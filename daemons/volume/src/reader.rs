//! [`VolumeReader`]: reads labels and records back, block by block, checking every
//! checksum.

use std::io::{self, Read, Seek, SeekFrom};

use crate::error::{Result, VolumeError};
use crate::format::{
    BLOCK_HEADER_LEN_V1, BlockHeaderV1, EOS_LABEL_V1, FORMAT_VERSION_V1, HeaderFault,
    LABEL_MAX_LEN_V1, REC_CONT_V1, REC_FLAGS_KNOWN_V1, REC_MORE_V1, REC_SPLIT_NEXT_V1,
    REC_SPLIT_PREV_V1, REC_TORN_V1, RECORD_HEADER_LEN_V1, RecordHeaderV1, SOS_LABEL_V1,
    VOL_LABEL_V1,
};
use crate::label::{self, Label, SessionEndLabel, SessionKey, SessionLabel, VolumeLabel};
use crate::writer::{TornBlock, TornReason, VolPosition};

const BH: usize = BLOCK_HEADER_LEN_V1;
const RH: usize = RECORD_HEADER_LEN_V1;

/// The header of a data record (FileIndex > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub session: SessionKey,
    pub file_index: i32,
    pub stream: i32,
    /// This record continues the data of an earlier record with the same session,
    /// FileIndex and stream (normally the last record on the previous volume).
    pub split_prev: bool,
}

/// A data record with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub header: RecordHeader,
    /// The data continues in a later record (normally on the next volume).
    pub split_next: bool,
    /// The end of this record was lost in a torn write (the volume was appended to
    /// after the damage was cut off): `data` is incomplete.
    pub torn: bool,
    pub data: Vec<u8>,
}

/// What [`VolumeReader::next_header`] found. A record's data is not read yet: pull
/// it with [`VolumeReader::read_data`] (or skip it by asking for the next header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    SessionStart(SessionLabel),
    SessionEnd {
        session: SessionKey,
        label: SessionEndLabel,
    },
    Record(RecordHeader),
}

/// What [`VolumeReader::next_entry`] returns: labels, or records with their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    SessionStart(SessionLabel),
    SessionEnd {
        session: SessionKey,
        label: SessionEndLabel,
    },
    Record(Record),
}

#[derive(Debug)]
struct Current {
    header: RecordHeader,
    file_index: i32,
    remaining: usize,
    more: bool,
    split_next: bool,
    torn: bool,
}

/// Reads a volume sequentially, or from a block a bootstrap names.
///
/// One block buffer is reused for the whole volume. [`next_entry`](Self::next_entry)
/// returns records with their data; [`next_header`](Self::next_header) plus
/// [`read_data`](Self::read_data) stream a record's data without holding it whole.
#[derive(Debug)]
pub struct VolumeReader<R> {
    r: R,
    volume: String,
    block_size: usize,
    buf: Vec<u8>,
    /// The block in `buf`: position and length; `None` before the first load.
    block: Option<(VolPosition, usize)>,
    pos: usize,
    next_offset: u64,
    next_number: u32,
    cur: Option<Current>,
    skip_cont: bool,
    entry_block: Option<VolPosition>,
    label: VolumeLabel,
}

/// Read until `buf` is full or the source ends; returns the count read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn fault_error(volume: &str, f: HeaderFault, block: u32, offset: u64) -> VolumeError {
    let volume = volume.to_string();
    match f {
        HeaderFault::BadMagic(found) => VolumeError::BadMagic {
            volume,
            block,
            offset,
            found,
        },
        HeaderFault::Version(found) => VolumeError::UnsupportedVersion {
            volume,
            block,
            offset,
            found,
            supported: FORMAT_VERSION_V1,
        },
        HeaderFault::HeaderCrc { stored, computed } => VolumeError::Checksum {
            volume,
            block,
            offset,
            part: "header",
            stored,
            computed,
        },
        HeaderFault::Length(len) => VolumeError::Corrupt {
            volume,
            block,
            offset,
            reason: format!("impossible block length {len}"),
        },
    }
}

impl<R: Read + Seek> VolumeReader<R> {
    /// Open a volume: read and check the label block.
    pub fn open(r: R) -> Result<(Self, VolumeLabel)> {
        Self::open_named(r, "?")
    }

    /// Like [`open`](Self::open), naming the volume in errors that occur before its
    /// label has been read (a backend knows the name it opened).
    pub fn open_named(mut r: R, name: &str) -> Result<(Self, VolumeLabel)> {
        r.seek(SeekFrom::Start(0))?;
        let mut rd = VolumeReader {
            r,
            volume: name.to_string(),
            block_size: 0,
            buf: Vec::new(),
            block: None,
            pos: 0,
            next_offset: 0,
            next_number: 0,
            cur: None,
            skip_cont: false,
            entry_block: None,
            label: VolumeLabel::new(name, "", "", "", 0),
        };
        if !rd.load_block()? {
            return Err(VolumeError::Truncated {
                volume: rd.volume,
                block: 0,
                offset: 0,
                expected: BH as u64,
                found: 0,
            });
        }
        let h = rd.fragment_header()?;
        if h.file_index != VOL_LABEL_V1 || h.flags & REC_CONT_V1 != 0 {
            return Err(VolumeError::BadLabel {
                volume: rd.volume,
                reason: "the volume does not begin with a volume label".into(),
            });
        }
        rd.start_current(h);
        let Some(payload) = rd.read_label_payload()? else {
            return Err(VolumeError::BadLabel {
                volume: rd.volume,
                reason: "the volume label is torn".into(),
            });
        };
        match label::decode(VOL_LABEL_V1, &payload) {
            Ok(Label::Volume(l, block_size)) => {
                rd.volume = l.volume_name.clone();
                rd.block_size = block_size as usize;
                rd.label = l.clone();
                Ok((rd, l))
            }
            Ok(_) => Err(VolumeError::BadLabel {
                volume: rd.volume,
                reason: "not a volume label".into(),
            }),
            Err(reason) => Err(VolumeError::BadLabel {
                volume: rd.volume,
                reason,
            }),
        }
    }

    /// The volume name (from the label).
    pub fn volume_name(&self) -> &str {
        &self.volume
    }

    /// The volume label.
    pub fn label(&self) -> &VolumeLabel {
        &self.label
    }

    /// The block size the volume was labelled with.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// The block in which the last header returned by
    /// [`next_header`](Self::next_header) / [`next_entry`](Self::next_entry) starts.
    pub fn entry_position(&self) -> Option<VolPosition> {
        self.entry_block
    }

    /// The block currently loaded.
    pub fn current_block(&self) -> Option<VolPosition> {
        self.block.map(|(p, _)| p)
    }

    /// The byte offset just past the last block read.
    pub fn offset(&self) -> u64 {
        self.next_offset
    }

    /// Position at block `n`, found by walking block headers from the start (each
    /// header is read and checked; block bodies are skipped). Fragments that continue
    /// a record from before block `n` are skipped.
    pub fn seek_block(&mut self, n: u32) -> Result<VolPosition> {
        let mut offset = 0u64;
        let mut number = 0u32;
        loop {
            let Some(h) = self.header_at(offset, number)? else {
                return Err(VolumeError::NoSuchBlock {
                    volume: self.volume.clone(),
                    block: n,
                    blocks: number,
                });
            };
            if h.number != number {
                return Err(self.corrupt(
                    number,
                    offset,
                    format!("block number {} where {number} was expected", h.number),
                ));
            }
            if number == n {
                let pos = VolPosition { block: n, offset };
                self.reset_to(pos)?;
                return Ok(pos);
            }
            offset += u64::from(h.length);
            number = number.wrapping_add(1);
        }
    }

    /// Position at a block whose number and offset are known (JobMedia, bootstrap).
    /// The block's number is checked when it is read.
    pub fn seek_to(&mut self, pos: VolPosition) -> Result<()> {
        self.reset_to(pos)
    }

    /// The next label or record header. The data of a record not read with
    /// [`read_data`](Self::read_data) is skipped. `Ok(None)` at the clean end of the
    /// volume; a volume that ends inside a block gives [`VolumeError::Truncated`].
    pub fn next_header(&mut self) -> Result<Option<Header>> {
        self.skip_data()?;
        loop {
            let at_end = self.block.is_none_or(|(_, len)| self.pos >= len);
            if at_end {
                if !self.load_block()? {
                    return Ok(None);
                }
                continue;
            }
            let h = self.fragment_header()?;
            if h.flags & REC_CONT_V1 != 0 {
                if self.skip_cont {
                    self.pos += h.length as usize;
                    continue;
                }
                let (b, o) = self.here();
                return Err(self.corrupt(
                    b,
                    o,
                    "continuation fragment without a record to continue".into(),
                ));
            }
            self.skip_cont = false;
            self.entry_block = self.current_block();
            self.start_current(h);
            if h.file_index > 0 {
                return Ok(self.cur.as_ref().map(|c| Header::Record(c.header)));
            }
            let Some(payload) = self.read_label_payload()? else {
                // A label whose end was lost in a torn write (see REC_TORN_V1).
                continue;
            };
            let session = SessionKey {
                id: h.session_id,
                time: h.session_time,
            };
            let (b, o) = self.here();
            return match h.file_index {
                SOS_LABEL_V1 | EOS_LABEL_V1 => match label::decode(h.file_index, &payload) {
                    Ok(Label::SessionStart(l)) => Ok(Some(Header::SessionStart(l))),
                    Ok(Label::SessionEnd(label)) => Ok(Some(Header::SessionEnd { session, label })),
                    Ok(Label::Volume(..)) => {
                        Err(self.corrupt(b, o, "unexpected volume label".into()))
                    }
                    Err(reason) => Err(VolumeError::BadLabel {
                        volume: self.volume.clone(),
                        reason,
                    }),
                },
                // Reading again from block 0 (seek_block(0)): the label was read by open.
                VOL_LABEL_V1 if b == 0 || self.entry_block.is_some_and(|p| p.block == 0) => {
                    continue;
                }
                VOL_LABEL_V1 => Err(self.corrupt(b, o, "a second volume label".into())),
                code => Err(self.corrupt(b, o, format!("record with FileIndex {code}"))),
            };
        }
    }

    /// Read the next part of the current record's data; `Ok(0)` at its end.
    pub fn read_data(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() || !self.fill_fragment()? {
            return Ok(0);
        }
        let Some(cur) = self.cur.as_mut() else {
            return Ok(0);
        };
        let n = cur.remaining.min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        cur.remaining -= n;
        Ok(n)
    }

    /// Append the rest of the current record's data to `out`; returns the count.
    pub fn read_data_to_end(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        let mut total = 0;
        while self.fill_fragment()? {
            let Some(cur) = self.cur.as_mut() else { break };
            let n = cur.remaining;
            out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            cur.remaining = 0;
            total += n;
        }
        Ok(total)
    }

    /// Skip the rest of the current record's data; returns how many bytes were skipped.
    pub fn skip_data(&mut self) -> Result<u64> {
        let mut total = 0u64;
        while self.fill_fragment()? {
            let Some(cur) = self.cur.as_mut() else { break };
            self.pos += cur.remaining;
            total += cur.remaining as u64;
            cur.remaining = 0;
        }
        self.cur = None;
        Ok(total)
    }

    /// After the current record's data has been read to its end: whether the data
    /// continues in a later record (the record was cut by a full volume).
    pub fn record_split_next(&self) -> bool {
        self.cur
            .as_ref()
            .is_some_and(|c| c.split_next && !c.more && c.remaining == 0)
    }

    /// After the current record's data has been read to its end: whether its end was
    /// lost in a torn write (see [`Record::torn`]).
    pub fn record_torn(&self) -> bool {
        self.cur.as_ref().is_some_and(|c| c.torn)
    }

    /// The next label or record, with the record's data loaded.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        Ok(match self.next_header()? {
            None => None,
            Some(Header::SessionStart(l)) => Some(Entry::SessionStart(l)),
            Some(Header::SessionEnd { session, label }) => {
                Some(Entry::SessionEnd { session, label })
            }
            Some(Header::Record(header)) => {
                let mut data = Vec::with_capacity(self.cur.as_ref().map_or(0, |c| c.remaining));
                self.read_data_to_end(&mut data)?;
                let split_next = self.record_split_next();
                let torn = self.record_torn();
                Some(Entry::Record(Record {
                    header,
                    split_next,
                    torn,
                    data,
                }))
            }
        })
    }

    /// The next data record, skipping labels (they are still checked).
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            match self.next_entry()? {
                None => return Ok(None),
                Some(Entry::Record(r)) => return Ok(Some(r)),
                Some(_) => {}
            }
        }
    }

    // --- internals ---------------------------------------------------------------

    fn corrupt(&self, block: u32, offset: u64, reason: String) -> VolumeError {
        VolumeError::Corrupt {
            volume: self.volume.clone(),
            block,
            offset,
            reason,
        }
    }

    fn here(&self) -> (u32, u64) {
        self.block
            .map_or((self.next_number, self.next_offset), |(p, _)| {
                (p.block, p.offset)
            })
    }

    fn reset_to(&mut self, pos: VolPosition) -> Result<()> {
        self.r.seek(SeekFrom::Start(pos.offset))?;
        self.next_offset = pos.offset;
        self.next_number = pos.block;
        self.block = None;
        self.pos = 0;
        self.cur = None;
        self.skip_cont = true;
        self.entry_block = None;
        Ok(())
    }

    /// Read and check the header of the block at `offset`; `None` at the end.
    fn header_at(&mut self, offset: u64, number: u32) -> Result<Option<BlockHeaderV1>> {
        self.r.seek(SeekFrom::Start(offset))?;
        let mut hb = [0u8; BH];
        let n = read_full(&mut self.r, &mut hb)?;
        if n == 0 {
            return Ok(None);
        }
        if n < BH {
            return Err(VolumeError::Truncated {
                volume: self.volume.clone(),
                block: number,
                offset,
                expected: BH as u64,
                found: n as u64,
            });
        }
        BlockHeaderV1::decode(&hb)
            .map(Some)
            .map_err(|f| fault_error(&self.volume, f, number, offset))
    }

    /// Load the next block into `buf`; false at a clean end of the volume.
    fn load_block(&mut self) -> Result<bool> {
        let offset = self.next_offset;
        let number = self.next_number;
        let mut hb = [0u8; BH];
        let n = read_full(&mut self.r, &mut hb)?;
        if n == 0 {
            return Ok(false);
        }
        let truncated = |expected: usize, found: usize, volume: &str| VolumeError::Truncated {
            volume: volume.to_string(),
            block: number,
            offset,
            expected: expected as u64,
            found: found as u64,
        };
        if n < BH {
            return Err(truncated(BH, n, &self.volume));
        }
        let h =
            BlockHeaderV1::decode(&hb).map_err(|f| fault_error(&self.volume, f, number, offset))?;
        if h.number != number {
            return Err(self.corrupt(
                number,
                offset,
                format!("block number {} where {number} was expected", h.number),
            ));
        }
        let len = h.length as usize;
        self.buf.resize(len, 0);
        self.buf[..BH].copy_from_slice(&hb);
        let got = read_full(&mut self.r, &mut self.buf[BH..len])?;
        if got < len - BH {
            return Err(truncated(len - BH, got, &self.volume));
        }
        let computed = crc32fast::hash(&self.buf[BH..len]);
        if computed != h.body_crc {
            return Err(VolumeError::Checksum {
                volume: self.volume.clone(),
                block: number,
                offset,
                part: "data",
                stored: h.body_crc,
                computed,
            });
        }
        self.block = Some((
            VolPosition {
                block: number,
                offset,
            },
            len,
        ));
        self.pos = BH;
        self.next_offset = offset + len as u64;
        self.next_number = number.wrapping_add(1);
        Ok(true)
    }

    /// Decode the fragment header at `pos` and step over it.
    fn fragment_header(&mut self) -> Result<RecordHeaderV1> {
        let len = self.block.map_or(0, |(_, l)| l);
        let (b, o) = self.here();
        if len < self.pos + RH {
            return Err(self.corrupt(
                b,
                o,
                format!(
                    "{} stray bytes after the last record",
                    len.saturating_sub(self.pos)
                ),
            ));
        }
        let h = RecordHeaderV1::decode(&self.buf[self.pos..self.pos + RH]);
        self.pos += RH;
        if h.length as usize > len - self.pos {
            return Err(self.corrupt(
                b,
                o,
                format!("record length {} overruns the block", h.length),
            ));
        }
        if h.flags & !REC_FLAGS_KNOWN_V1 != 0 {
            return Err(self.corrupt(b, o, format!("unknown record flags {:#x}", h.flags)));
        }
        Ok(h)
    }

    fn start_current(&mut self, h: RecordHeaderV1) {
        self.cur = Some(Current {
            header: RecordHeader {
                session: SessionKey {
                    id: h.session_id,
                    time: h.session_time,
                },
                file_index: h.file_index,
                stream: h.stream,
                split_prev: h.flags & REC_SPLIT_PREV_V1 != 0,
            },
            file_index: h.file_index,
            remaining: h.length as usize,
            more: h.flags & REC_MORE_V1 != 0,
            split_next: h.flags & REC_SPLIT_NEXT_V1 != 0,
            torn: false,
        });
    }

    /// Make sure the current fragment has unread bytes, following the record into the
    /// next block when it continues there. False at the end of the record.
    fn fill_fragment(&mut self) -> Result<bool> {
        loop {
            let Some(cur) = self.cur.as_ref() else {
                return Ok(false);
            };
            if cur.remaining > 0 {
                return Ok(true);
            }
            if !cur.more {
                return Ok(false);
            }
            let (want, file_index) = (cur.header, cur.file_index);
            if !self.load_block()? {
                return Err(VolumeError::Truncated {
                    volume: self.volume.clone(),
                    block: self.next_number,
                    offset: self.next_offset,
                    expected: BH as u64,
                    found: 0,
                });
            }
            let h = self.fragment_header()?;
            let same = h.flags & REC_CONT_V1 != 0
                && h.session_id == want.session.id
                && h.session_time == want.session.time
                && h.file_index == file_index
                && h.stream == want.stream;
            if !same {
                let (b, o) = self.here();
                return Err(self.corrupt(
                    b,
                    o,
                    "the record continued from the previous block is missing".into(),
                ));
            }
            if let Some(cur) = self.cur.as_mut() {
                cur.remaining = h.length as usize;
                cur.more = h.flags & REC_MORE_V1 != 0;
                cur.split_next = h.flags & REC_SPLIT_NEXT_V1 != 0;
                if h.flags & REC_TORN_V1 != 0 {
                    cur.torn = true;
                    cur.more = false;
                    cur.remaining = 0;
                    self.pos += h.length as usize;
                }
            }
        }
    }

    /// The current (label) record's payload; `None` when its end was torn off.
    fn read_label_payload(&mut self) -> Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        while self.fill_fragment()? {
            let Some(cur) = self.cur.as_mut() else { break };
            let n = cur.remaining;
            if payload.len() + n > LABEL_MAX_LEN_V1 {
                return Err(VolumeError::LabelTooLarge {
                    len: payload.len() + n,
                    max: LABEL_MAX_LEN_V1,
                });
            }
            payload.extend_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            cur.remaining = 0;
        }
        let torn = self.record_torn();
        self.cur = None;
        Ok((!torn).then_some(payload))
    }
}

/// What [`scan_for_append`] found.
pub(crate) struct AppendScan {
    pub label: VolumeLabel,
    pub block_size: usize,
    pub last_block: VolPosition,
    pub next_block: u32,
    pub end_offset: u64,
    pub torn: Option<TornBlock>,
    /// The last fragment of the last good block, when it says the record continues.
    pub dangling: Option<RecordHeaderV1>,
}

/// Walk a volume's block headers to its end for [`crate::VolumeWriter::open_append`].
pub(crate) fn scan_for_append<R: Read + Seek>(r: &mut R) -> Result<AppendScan> {
    let file_len = r.seek(SeekFrom::End(0))?;
    let (mut rd, label) = VolumeReader::open(&mut *r)?;
    let block_size = rd.block_size;
    let mut last = rd.current_block().unwrap_or_default();
    let mut prev: Option<VolPosition> = None;
    let mut offset = rd.next_offset;
    let mut number = rd.next_number;
    let mut torn = None;
    let tail = |offset: u64| file_len - offset < block_size.max(BH) as u64;
    while offset < file_len {
        let here = VolPosition {
            block: number,
            offset,
        };
        let torn_here = |reason| {
            Some(TornBlock {
                position: here,
                discarded: file_len - offset,
                reason,
            })
        };
        if file_len - offset < BH as u64 {
            torn = torn_here(TornReason::Truncated);
            break;
        }
        let h = match rd.header_at(offset, number) {
            Ok(Some(h)) if h.number == number => h,
            Ok(None) => break,
            Ok(Some(h)) if !tail(offset) => {
                return Err(rd.corrupt(
                    number,
                    offset,
                    format!("block number {} where {number} was expected", h.number),
                ));
            }
            Err(e) if !tail(offset) => return Err(e),
            _ => {
                torn = torn_here(TornReason::BadHeader);
                break;
            }
        };
        if u64::from(h.length) > file_len - offset {
            torn = torn_here(TornReason::Truncated);
            break;
        }
        prev = Some(last);
        last = here;
        offset += u64::from(h.length);
        number = number.wrapping_add(1);
    }
    // The last complete block is the one a crash may have left half-written: check
    // its data too (the label block was checked by `open`).
    if let (None, Some(before)) = (torn, prev) {
        rd.reset_to(last)?;
        match rd.load_block() {
            Ok(_) => {}
            Err(VolumeError::Checksum { .. }) => {
                torn = Some(TornBlock {
                    position: last,
                    discarded: file_len - last.offset,
                    reason: TornReason::Checksum,
                });
                last = before;
            }
            Err(e) => return Err(e),
        }
    }
    let (next_block, end_offset) = match torn {
        Some(t) => (t.position.block, t.position.offset),
        None => (number, offset),
    };
    // Does the last good block end inside a record?
    rd.reset_to(last)?;
    rd.load_block()?;
    let mut dangling = None;
    while rd.block.is_some_and(|(_, len)| rd.pos < len) {
        let h = rd.fragment_header()?;
        rd.pos += h.length as usize;
        dangling = (h.flags & REC_MORE_V1 != 0).then_some(h);
    }
    Ok(AppendScan {
        label,
        block_size,
        last_block: last,
        next_block,
        end_offset,
        torn,
        dangling,
    })
}
