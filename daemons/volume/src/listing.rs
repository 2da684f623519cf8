//! Offline volume listing for `cairn volume ls <path>` (Bareos `bls`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use crate::error::Result;
use crate::format::stream;
use crate::label::{SessionEndLabel, SessionKey, SessionLabel, VolumeLabel};
use crate::reader::{Header, VolumeReader};

/// What to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListOptions {
    /// Decode and keep one entry per file (from the attribute records).
    pub files: bool,
}

/// Everything [`list_volume`] found on a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeListing {
    pub label: VolumeLabel,
    pub block_size: usize,
    /// Blocks read, label block included.
    pub blocks: u32,
    /// Bytes read (the end of the last good block).
    pub bytes: u64,
    /// Sessions in the order they start on the volume.
    pub sessions: Vec<SessionListing>,
    /// Why reading stopped before a clean end (truncated tail, checksum error ...).
    pub problem: Option<String>,
}

/// One job's data on the volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionListing {
    pub session: SessionKey,
    /// `None` when records of the session appear without its start label.
    pub start: Option<SessionLabel>,
    /// `None` when the session does not end on this volume (continued elsewhere, or
    /// the job was interrupted).
    pub end: Option<SessionEndLabel>,
    pub first_block: u32,
    pub last_block: u32,
    /// Data records on this volume.
    pub records: u64,
    /// Payload bytes of those records.
    pub data_bytes: u64,
    /// Files, when asked for.
    pub files: Vec<FileListing>,
}

/// One file, decoded from its `STREAM_UNIX_ATTRIBUTES` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileListing {
    pub file_index: i32,
    /// Bareos file type (`FT_*`; 3 = regular file, 5 = directory ...).
    pub file_type: u32,
    pub path: String,
    /// Symbolic link target (empty for other types).
    pub link_target: String,
    /// Payload bytes of the file's other records (data, digests ...) on this volume.
    pub data_bytes: u64,
}

/// List a volume file: label, sessions and files.
pub fn list_volume(path: impl AsRef<Path>) -> Result<VolumeListing> {
    list_volume_with(path, ListOptions { files: true })
}

/// List a volume file with options.
pub fn list_volume_with(path: impl AsRef<Path>, opts: ListOptions) -> Result<VolumeListing> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "?".into());
    let f = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let (r, _) = VolumeReader::open_named(f, &name)?;
    list_reader(r, opts)
}

/// List a volume from an opened reader (positioned after the label).
pub fn list_reader<R: Read + Seek>(
    mut r: VolumeReader<R>,
    opts: ListOptions,
) -> Result<VolumeListing> {
    // Start from the first block whatever the reader's position.
    r.seek_to(crate::VolPosition::default())?;
    let label = r.label().clone();
    let mut listing = VolumeListing {
        label,
        block_size: r.block_size(),
        blocks: 0,
        bytes: 0,
        sessions: Vec::new(),
        problem: None,
    };
    let mut attrs = Vec::new();
    loop {
        let header = match r.next_header() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => {
                listing.problem = Some(e.to_string());
                break;
            }
        };
        let block = r.entry_position().map_or(0, |p| p.block);
        match header {
            Header::SessionStart(l) => {
                let s = session_mut(&mut listing.sessions, l.session, block);
                s.start = Some(l);
                s.last_block = block;
            }
            Header::SessionEnd { session, label } => {
                let s = session_mut(&mut listing.sessions, session, block);
                s.end = Some(label);
                s.last_block = r.current_block().map_or(block, |p| p.block);
            }
            Header::Record(h) => {
                let is_attr =
                    h.stream == stream::UNIX_ATTRIBUTES || h.stream == stream::UNIX_ATTRIBUTES_EX;
                let bytes = if opts.files && is_attr && !h.split_prev {
                    attrs.clear();
                    match r.read_data_to_end(&mut attrs) {
                        Ok(n) => n as u64,
                        Err(e) => {
                            listing.problem = Some(e.to_string());
                            break;
                        }
                    }
                } else {
                    match r.skip_data() {
                        Ok(n) => n,
                        Err(e) => {
                            listing.problem = Some(e.to_string());
                            break;
                        }
                    }
                };
                let s = session_mut(&mut listing.sessions, h.session, block);
                s.records += 1;
                s.data_bytes += bytes;
                s.last_block = r.current_block().map_or(block, |p| p.block);
                if opts.files {
                    if is_attr && !h.split_prev {
                        let (file_type, path, link_target) = decode_attributes(&attrs);
                        s.files.push(FileListing {
                            file_index: h.file_index,
                            file_type,
                            path,
                            link_target,
                            data_bytes: 0,
                        });
                    } else if let Some(f) = s
                        .files
                        .iter_mut()
                        .rev()
                        .find(|f| f.file_index == h.file_index)
                    {
                        f.data_bytes += bytes;
                    }
                }
            }
        }
    }
    if let Some(p) = r.current_block() {
        listing.blocks = p.block.wrapping_add(1);
    }
    listing.bytes = r.offset();
    Ok(listing)
}

fn session_mut(
    sessions: &mut Vec<SessionListing>,
    key: SessionKey,
    block: u32,
) -> &mut SessionListing {
    let i = match sessions.iter().rposition(|s| s.session == key) {
        Some(i) => i,
        None => {
            sessions.push(SessionListing {
                session: key,
                start: None,
                end: None,
                first_block: block,
                last_block: block,
                records: 0,
                data_bytes: 0,
                files: Vec::new(),
            });
            sessions.len() - 1
        }
    };
    &mut sessions[i]
}

/// Decode `<FileIndex> <FileType> <path>\0<lstat>\0<link target>\0...` into
/// (file type, path, link target). Undecodable parts come back as 0 / empty.
pub fn decode_attributes(payload: &[u8]) -> (u32, String, String) {
    let mut fields = payload.split(|&b| b == 0);
    let first = fields.next().unwrap_or_default();
    let _lstat = fields.next();
    let link = fields.next().unwrap_or_default();
    let text = String::from_utf8_lossy(first);
    let mut parts = text.splitn(3, ' ');
    let _file_index = parts.next();
    let file_type = parts
        .next()
        .and_then(|t| t.parse::<u32>().ok())
        .unwrap_or(0)
        & 0xffff;
    let path = parts.next().unwrap_or_default().to_string();
    (file_type, path, String::from_utf8_lossy(link).into_owned())
}

/// A short name for a Bareos file type (`FT_*`).
pub fn file_type_name(file_type: u32) -> &'static str {
    match file_type {
        1 => "LNKSAVED",
        2 => "REGE",
        3 => "REG",
        4 => "LNK",
        5 => "DIR",
        6 => "SPEC",
        7 => "NOACCESS",
        8 => "NOFOLLOW",
        9 => "NOSTAT",
        10 => "NOCHG",
        11 => "DIRNOCHG",
        12 => "ISARCH",
        13 => "NORECURSE",
        14 => "NOFSCHG",
        15 => "NOOPEN",
        16 => "RAW",
        17 => "FIFO",
        18 => "DIRBEGIN",
        19 => "INVALIDFS",
        20 => "INVALIDDT",
        21 => "REPARSE",
        22 => "PLUGIN",
        23 => "DELETED",
        24 => "BASE",
        25 => "RESTORE_FIRST",
        26 => "JUNCTION",
        27 => "PLUGIN_CONFIG",
        28 => "PLUGIN_CONFIG_FILLED",
        _ => "?",
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for seconds since the Unix epoch.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Render a listing as text, `bls`-style. With `files`, each session is followed by
/// its files (FileIndex, type, bytes, path).
pub fn format_listing(l: &VolumeListing, files: bool) -> String {
    let mut o = String::new();
    let v = &l.label;
    let _ = writeln!(
        o,
        "Volume \"{}\"  Pool \"{}\" ({})  MediaType \"{}\"",
        v.volume_name, v.pool_name, v.pool_type, v.media_type
    );
    let _ = writeln!(
        o,
        "  Labelled {} UTC by {}, format {}, block size {}",
        format_time(v.label_time),
        v.writer,
        v.format_version,
        l.block_size
    );
    let _ = writeln!(
        o,
        "  {} blocks, {} bytes, {} sessions",
        l.blocks,
        l.bytes,
        l.sessions.len()
    );
    for s in &l.sessions {
        let _ = writeln!(o);
        match &s.start {
            Some(st) => {
                let _ = writeln!(
                    o,
                    "Session {}  JobId {}  Job \"{}\"",
                    s.session, st.job_id, st.job
                );
                let _ = writeln!(
                    o,
                    "  Name \"{}\"  Client \"{}\"  FileSet \"{}\"  Pool \"{}\"  Level {}  Type {}",
                    st.job_name,
                    st.client,
                    st.fileset,
                    st.pool_name,
                    st.level.long_name(),
                    st.job_type.long_name()
                );
                let _ = writeln!(o, "  Start {} UTC", format_time(st.start_time));
            }
            None => {
                let _ = writeln!(o, "Session {}  (no start label on this volume)", s.session);
            }
        }
        match &s.end {
            Some(e) => {
                let _ = writeln!(
                    o,
                    "  End   {} UTC  Status {} ({})  Files {}  Bytes {}  Errors {}",
                    format_time(e.end_time),
                    e.status.code(),
                    e.status.long_name(),
                    e.files,
                    e.bytes,
                    e.errors
                );
            }
            None => {
                let _ = writeln!(o, "  End   (no end label on this volume)");
            }
        }
        let _ = writeln!(
            o,
            "  On this volume: blocks {}-{}, {} records, {} bytes",
            s.first_block, s.last_block, s.records, s.data_bytes
        );
        if files && !s.files.is_empty() {
            let _ = writeln!(
                o,
                "  {:>9}  {:<8}  {:>12}  Path",
                "FileIndex", "Type", "Bytes"
            );
            for f in &s.files {
                let _ = write!(
                    o,
                    "  {:>9}  {:<8}  {:>12}  {}",
                    f.file_index,
                    file_type_name(f.file_type),
                    f.data_bytes,
                    f.path
                );
                if !f.link_target.is_empty() {
                    let _ = write!(o, " -> {}", f.link_target);
                }
                o.push('\n');
            }
        }
    }
    if let Some(p) = &l.problem {
        let _ = writeln!(o, "\nWarning: {p}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        assert_eq!(format_time(1_475_096_289), "2016-09-28 20:58:09");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(format_time(-1), "1969-12-31 23:59:59");
    }

    #[test]
    fn attributes_decode() {
        let p = b"1 3 /home/user/tape_options\0P0D BJAEy IG0\0\0\x000\0";
        assert_eq!(
            decode_attributes(p),
            (3, "/home/user/tape_options".into(), String::new())
        );
        let p = b"7 65540 /a link\0A A\0/target\0\x000\0";
        assert_eq!(
            decode_attributes(p),
            (4, "/a link".into(), "/target".into())
        );
        assert_eq!(decode_attributes(b""), (0, String::new(), String::new()));
    }
}
