//! Typed messages of the daemon links (PROTOCOL.md §5): director ↔ storage
//! daemon, director ↔ file daemon, file daemon ↔ storage daemon. Each message
//! has `parse` (from a frame's text) and `Display` (the frame's text), tested to
//! round-trip on the byte strings of the spec.

use std::collections::HashMap;
use std::fmt;

use crate::auth::{bash_spaces, unbash_spaces};

/// A message that could not be parsed: what was expected and the text seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {what} message: {text:?}")]
pub struct MsgError {
    pub what: &'static str,
    pub text: String,
}

fn bad(what: &'static str, text: &str) -> MsgError {
    MsgError { what, text: text.chars().take(200).collect() }
}

/// `Key=value` tokens of a line (values unbashed); bare words are skipped.
pub fn kv(line: &str) -> HashMap<String, String> {
    line.trim_end_matches(['\n', '\r', '\0'])
        .split(' ')
        .filter_map(|t| t.split_once('=').map(|(k, v)| (k.to_string(), unbash_spaces(v))))
        .collect()
}

fn get<'a>(m: &'a HashMap<String, String>, k: &str, what: &'static str, line: &str) -> Result<&'a str, MsgError> {
    m.get(k).map(String::as_str).ok_or_else(|| bad(what, line))
}

fn num<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str, what: &'static str, line: &str) -> Result<T, MsgError> {
    get(m, k, what, line)?.parse().map_err(|_| bad(what, line))
}

fn num_or<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str, default: T) -> T {
    m.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Bareos message types (`type=` of `Jmsg`).
pub mod msg_type {
    pub const ABORT: u32 = 1;
    pub const DEBUG: u32 = 2;
    pub const FATAL: u32 = 3;
    pub const ERROR: u32 = 4;
    pub const WARNING: u32 = 5;
    pub const INFO: u32 = 6;
    pub const SAVED: u32 = 7;
    pub const NOTSAVED: u32 = 8;
    pub const SKIPPED: u32 = 9;
    pub const MOUNT: u32 = 10;
    pub const ERROR_TERM: u32 = 11;
    pub const TERMINATE: u32 = 12;
    pub const RESTORED: u32 = 13;
    pub const SECURITY: u32 = 14;
    pub const ALERT: u32 = 15;
    pub const VOLMGMT: u32 = 16;
    pub const AUDIT: u32 = 17;
}

/// Stream ids (Bareos `streams.h`).
pub mod stream {
    pub const UNIX_ATTRIBUTES: i32 = 1;
    pub const FILE_DATA: i32 = 2;
    pub const MD5_DIGEST: i32 = 3;
    pub const SPARSE_DATA: i32 = 6;
    pub const SHA1_DIGEST: i32 = 10;
    pub const SHA256_DIGEST: i32 = 17;
    pub const SHA512_DIGEST: i32 = 18;
    pub const COMPRESSED_DATA: i32 = 29;
    pub const SPARSE_COMPRESSED_DATA: i32 = 30;
    pub const XXH128_DIGEST: i32 = 40;
    pub const ACL_LINUX_DEFAULT: i32 = 1007;
    pub const ACL_LINUX_ACCESS: i32 = 1008;
    pub const XATTR_LINUX: i32 = 1998;

    /// True for the digest streams.
    pub fn is_digest(s: i32) -> bool {
        matches!(s, MD5_DIGEST | SHA1_DIGEST | SHA256_DIGEST | SHA512_DIGEST | XXH128_DIGEST)
    }
}

/// File types (Bareos `filetypes.h`).
pub mod file_type {
    pub const LNKSAVED: u32 = 1;
    pub const REGE: u32 = 2;
    pub const REG: u32 = 3;
    pub const LNK: u32 = 4;
    pub const DIREND: u32 = 5;
    pub const SPEC: u32 = 6;
    pub const NOACCESS: u32 = 7;
    pub const NOFOLLOW: u32 = 8;
    pub const NOSTAT: u32 = 9;
    pub const NOCHG: u32 = 10;
    pub const DIRNOCHG: u32 = 11;
    pub const NOOPEN: u32 = 15;
    pub const FIFO: u32 = 17;
    pub const DIRBEGIN: u32 = 18;
    pub const DELETED: u32 = 23;
}

// ---------------------------------------------------------------- director → SD

/// `JobId=… job=… …` sent by the director to open a job on the SD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJobCmd {
    pub job_id: u32,
    pub job: String,
    pub job_name: String,
    pub client_name: String,
    pub job_type: char,
    pub level: char,
    pub fileset: String,
    pub fileset_md5: String,
}

impl fmt::Display for SdJobCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "JobId={} job={} job_name={} client_name={} type={} level={} FileSet={} NoAttr=0 SpoolAttr=0 FileSetMD5={} SpoolData=0 PreferMountedVols=1 SpoolSize=0 rerunning=0 VolSessionId=0 VolSessionTime=0 Quota=0 Protocol=0 BackupFormat=Native",
            self.job_id,
            bash_spaces(&self.job),
            bash_spaces(&self.job_name),
            bash_spaces(&self.client_name),
            self.job_type as u32,
            self.level as u32,
            bash_spaces(&self.fileset),
            self.fileset_md5
        )
    }
}

fn code_char(m: &HashMap<String, String>, k: &str, what: &'static str, line: &str) -> Result<char, MsgError> {
    let n: u32 = num(m, k, what, line)?;
    char::from_u32(n).ok_or_else(|| bad(what, line))
}

impl SdJobCmd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "SD job";
        if !line.starts_with("JobId=") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(SdJobCmd {
            job_id: num(&m, "JobId", W, line)?,
            job: get(&m, "job", W, line)?.to_string(),
            job_name: get(&m, "job_name", W, line)?.to_string(),
            client_name: get(&m, "client_name", W, line)?.to_string(),
            job_type: code_char(&m, "type", W, line)?,
            level: code_char(&m, "level", W, line)?,
            fileset: get(&m, "FileSet", W, line)?.to_string(),
            fileset_md5: m.get("FileSetMD5").cloned().unwrap_or_default(),
        })
    }
}

/// The SD's answer to [`SdJobCmd`]: `3000 OK Job SDid=… SDtime=… Authorization=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJobOk {
    pub sd_id: u32,
    pub sd_time: i64,
    pub authorization: String,
}

impl fmt::Display for SdJobOk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "3000 OK Job SDid={} SDtime={} Authorization={}", self.sd_id, self.sd_time, self.authorization)
    }
}

impl SdJobOk {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "SD job reply";
        if !line.starts_with("3000 OK Job ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(SdJobOk {
            sd_id: num(&m, "SDid", W, line)?,
            sd_time: num(&m, "SDtime", W, line)?,
            authorization: get(&m, "Authorization", W, line)?.to_string(),
        })
    }
}

/// `use storage=… media_type=… pool_name=… pool_type=… append=… copy=0 stripe=0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseStorage {
    pub storage: String,
    pub media_type: String,
    pub pool_name: String,
    pub pool_type: String,
    pub append: bool,
}

impl fmt::Display for UseStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "use storage={} media_type={} pool_name={} pool_type={} append={} copy=0 stripe=0",
            bash_spaces(&self.storage),
            bash_spaces(&self.media_type),
            bash_spaces(&self.pool_name),
            bash_spaces(&self.pool_type),
            u8::from(self.append)
        )
    }
}

impl UseStorage {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "use storage";
        if !line.starts_with("use storage=") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(UseStorage {
            storage: get(&m, "storage", W, line)?.to_string(),
            media_type: get(&m, "media_type", W, line)?.to_string(),
            pool_name: get(&m, "pool_name", W, line)?.to_string(),
            pool_type: get(&m, "pool_type", W, line)?.to_string(),
            append: get(&m, "append", W, line)? == "1",
        })
    }
}

/// `use device=<name>`.
pub fn use_device(device: &str) -> String {
    format!("use device={}\n", bash_spaces(device))
}

/// Parse `use device=<name>`.
pub fn parse_use_device(line: &str) -> Result<String, MsgError> {
    line.trim_end()
        .strip_prefix("use device=")
        .map(unbash_spaces)
        .ok_or_else(|| bad("use device", line))
}

/// The SD's device answer `3000 OK use device device=<name>`.
pub fn use_device_ok(device: &str) -> String {
    format!("3000 OK use device device={}\n", bash_spaces(device))
}

/// What a storage daemon knows about a volume (the director's `FindMedia` answer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaInfo {
    pub vol_name: String,
    pub media_id: i64,
    pub vol_jobs: u64,
    pub vol_files: u64,
    pub vol_blocks: u64,
    pub vol_bytes: u64,
    pub vol_status: String,
    pub max_vol_bytes: u64,
    pub max_vol_jobs: u64,
    pub max_vol_files: u64,
    pub vol_use_duration: u64,
    pub first_written: i64,
    /// The volume was just created in the catalog and must be labelled.
    pub new_volume: bool,
    pub pool_name: String,
}

impl fmt::Display for MediaInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "1000 OK VolName={} MediaId={} VolJobs={} VolFiles={} VolBlocks={} VolBytes={} VolStatus={} MaxVolBytes={} MaxVolJobs={} MaxVolFiles={} VolUseDuration={} FirstWritten={} NewVolume={} PoolName={}",
            bash_spaces(&self.vol_name),
            self.media_id,
            self.vol_jobs,
            self.vol_files,
            self.vol_blocks,
            self.vol_bytes,
            bash_spaces(&self.vol_status),
            self.max_vol_bytes,
            self.max_vol_jobs,
            self.max_vol_files,
            self.vol_use_duration,
            self.first_written,
            u8::from(self.new_volume),
            bash_spaces(&self.pool_name)
        )
    }
}

impl MediaInfo {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "media info";
        if !line.starts_with("1000 OK VolName=") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(MediaInfo {
            vol_name: get(&m, "VolName", W, line)?.to_string(),
            media_id: num(&m, "MediaId", W, line)?,
            vol_jobs: num_or(&m, "VolJobs", 0),
            vol_files: num_or(&m, "VolFiles", 0),
            vol_blocks: num_or(&m, "VolBlocks", 0),
            vol_bytes: num_or(&m, "VolBytes", 0),
            vol_status: m.get("VolStatus").cloned().unwrap_or_default(),
            max_vol_bytes: num_or(&m, "MaxVolBytes", 0),
            max_vol_jobs: num_or(&m, "MaxVolJobs", 0),
            max_vol_files: num_or(&m, "MaxVolFiles", 0),
            vol_use_duration: num_or(&m, "VolUseDuration", 0),
            first_written: num_or(&m, "FirstWritten", 0),
            new_volume: m.get("NewVolume").map(|v| v == "1").unwrap_or(false),
            pool_name: m.get("PoolName").cloned().unwrap_or_default(),
        })
    }
}

/// Volume counters the SD reports after writing (`UpdateMedia`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaUpdate {
    pub vol_name: String,
    pub vol_jobs: u64,
    pub vol_files: u64,
    pub vol_blocks: u64,
    pub vol_bytes: u64,
    pub vol_mounts: u64,
    pub vol_errors: u64,
    pub vol_writes: u64,
    pub vol_status: String,
    pub first_written: i64,
    pub last_written: i64,
    /// When the volume was labelled by this job (0 = not now).
    pub labeled: i64,
}

/// Where one job's data lies on one volume (`CreateJobMedia`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobMediaInfo {
    pub media_id: i64,
    pub first_index: u32,
    pub last_index: u32,
    pub start_file: u64,
    pub end_file: u64,
    pub start_block: u64,
    pub end_block: u64,
    pub job_bytes: u64,
    pub vol_index: u32,
}

/// Catalog requests from the SD on the job channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatReq {
    FindMedia { job: String, pool_name: String, media_type: String, unwanted: Vec<String> },
    UpdateMedia { job: String, update: MediaUpdate },
    CreateJobMedia { job: String, jm: JobMediaInfo },
}

impl fmt::Display for CatReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatReq::FindMedia { job, pool_name, media_type, unwanted } => writeln!(
                f,
                "CatReq Job={} FindMedia=1 pool_name={} media_type={} unwanted_volumes={}",
                bash_spaces(job),
                bash_spaces(pool_name),
                bash_spaces(media_type),
                unwanted.iter().map(|u| bash_spaces(u)).collect::<Vec<_>>().join(",")
            ),
            CatReq::UpdateMedia { job, update: u } => writeln!(
                f,
                "CatReq Job={} UpdateMedia VolName={} VolJobs={} VolFiles={} VolBlocks={} VolBytes={} VolMounts={} VolErrors={} VolWrites={} VolStatus={} FirstWritten={} LastWritten={} Labeled={}",
                bash_spaces(job),
                bash_spaces(&u.vol_name),
                u.vol_jobs,
                u.vol_files,
                u.vol_blocks,
                u.vol_bytes,
                u.vol_mounts,
                u.vol_errors,
                u.vol_writes,
                bash_spaces(&u.vol_status),
                u.first_written,
                u.last_written,
                u.labeled
            ),
            CatReq::CreateJobMedia { job, jm } => writeln!(
                f,
                "CatReq Job={} CreateJobMedia MediaId={} FirstIndex={} LastIndex={} StartFile={} EndFile={} StartBlock={} EndBlock={} JobBytes={} VolIndex={}",
                bash_spaces(job),
                jm.media_id,
                jm.first_index,
                jm.last_index,
                jm.start_file,
                jm.end_file,
                jm.start_block,
                jm.end_block,
                jm.job_bytes,
                jm.vol_index
            ),
        }
    }
}

impl CatReq {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "CatReq";
        if !line.starts_with("CatReq ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        let job = get(&m, "Job", W, line)?.to_string();
        let words: Vec<&str> = line.split(' ').collect();
        if m.contains_key("FindMedia") {
            let unwanted = m
                .get("unwanted_volumes")
                .map(|u| u.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default();
            return Ok(CatReq::FindMedia {
                job,
                pool_name: get(&m, "pool_name", W, line)?.to_string(),
                media_type: get(&m, "media_type", W, line)?.to_string(),
                unwanted,
            });
        }
        if words.contains(&"UpdateMedia") {
            return Ok(CatReq::UpdateMedia {
                job,
                update: MediaUpdate {
                    vol_name: get(&m, "VolName", W, line)?.to_string(),
                    vol_jobs: num_or(&m, "VolJobs", 0),
                    vol_files: num_or(&m, "VolFiles", 0),
                    vol_blocks: num_or(&m, "VolBlocks", 0),
                    vol_bytes: num_or(&m, "VolBytes", 0),
                    vol_mounts: num_or(&m, "VolMounts", 0),
                    vol_errors: num_or(&m, "VolErrors", 0),
                    vol_writes: num_or(&m, "VolWrites", 0),
                    vol_status: m.get("VolStatus").cloned().unwrap_or_default(),
                    first_written: num_or(&m, "FirstWritten", 0),
                    last_written: num_or(&m, "LastWritten", 0),
                    labeled: num_or(&m, "Labeled", 0),
                },
            });
        }
        if words.contains(&"CreateJobMedia") {
            return Ok(CatReq::CreateJobMedia {
                job,
                jm: JobMediaInfo {
                    media_id: num(&m, "MediaId", W, line)?,
                    first_index: num_or(&m, "FirstIndex", 0),
                    last_index: num_or(&m, "LastIndex", 0),
                    start_file: num_or(&m, "StartFile", 0),
                    end_file: num_or(&m, "EndFile", 0),
                    start_block: num_or(&m, "StartBlock", 0),
                    end_block: num_or(&m, "EndBlock", 0),
                    job_bytes: num_or(&m, "JobBytes", 0),
                    vol_index: num_or(&m, "VolIndex", 0),
                },
            });
        }
        Err(bad(W, line))
    }
}

/// A job log message (`Jmsg Job=… type=… level=… text`), from the SD or the FD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jmsg {
    pub job: String,
    pub msg_type: u32,
    pub time: i64,
    pub text: String,
}

impl fmt::Display for Jmsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jmsg Job={} type={} level={} {}", bash_spaces(&self.job), self.msg_type, self.time, self.text)
    }
}

impl Jmsg {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "Jmsg";
        let rest = line.strip_prefix("Jmsg ").ok_or_else(|| bad(W, line))?;
        let mut it = rest.splitn(4, ' ');
        let job = it.next().and_then(|t| t.strip_prefix("Job=")).ok_or_else(|| bad(W, line))?;
        let ty = it.next().and_then(|t| t.strip_prefix("type=")).and_then(|v| v.parse().ok()).ok_or_else(|| bad(W, line))?;
        let lvl = it.next().and_then(|t| t.strip_prefix("level=")).and_then(|v| v.parse().ok()).ok_or_else(|| bad(W, line))?;
        Ok(Jmsg { job: unbash_spaces(job), msg_type: ty, time: lvl, text: it.next().unwrap_or_default().to_string() })
    }
}

/// A job message line as Bareos daemons write it: `<daemon> JobId <n>: <text>`,
/// with `Fatal error: ` / `Error: ` / `Warning: ` / `Security violation: `
/// before the text for those message types. SD and FD put this whole line in
/// the text of their `Jmsg`; the director delivers it unchanged.
pub fn job_line(daemon: &str, jobid: u32, msg_type: u32, text: &str) -> String {
    let prefix = match msg_type {
        msg_type::FATAL | msg_type::ABORT | msg_type::ERROR_TERM => "Fatal error: ",
        msg_type::ERROR => "Error: ",
        msg_type::WARNING => "Warning: ",
        msg_type::SECURITY => "Security violation: ",
        _ => "",
    };
    let mut s = format!("{daemon} JobId {jobid}: {prefix}{text}");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// True when `text` already starts with `<daemon> JobId <n>: `.
pub fn is_job_line(text: &str) -> bool {
    let mut it = text.splitn(4, ' ');
    let (Some(d), Some(j), Some(n)) = (it.next(), it.next(), it.next()) else { return false };
    !d.is_empty() && j == "JobId" && n.ends_with(':') && n[..n.len() - 1].bytes().all(|b| b.is_ascii_digit()) && n.len() > 1
}

/// Running counters (`Progress Job=… JobFiles=… JobBytes=… [ReadBytes=…]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub job: String,
    pub files: u64,
    pub bytes: u64,
    pub read_bytes: Option<u64>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Progress Job={} JobFiles={} JobBytes={}", bash_spaces(&self.job), self.files, self.bytes)?;
        if let Some(r) = self.read_bytes {
            write!(f, " ReadBytes={r}")?;
        }
        writeln!(f)
    }
}

impl Progress {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "Progress";
        if !line.starts_with("Progress ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(Progress {
            job: get(&m, "Job", W, line)?.to_string(),
            files: num(&m, "JobFiles", W, line)?,
            bytes: num(&m, "JobBytes", W, line)?,
            read_bytes: m.get("ReadBytes").and_then(|v| v.parse().ok()),
        })
    }
}

/// The SD's end of a job (`3099 Job <job> end JobStatus=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJobEnd {
    pub job: String,
    pub status: char,
    pub files: u64,
    pub bytes: u64,
    pub errors: u64,
    pub vol_session_id: u32,
    pub vol_session_time: i64,
}

impl fmt::Display for SdJobEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "3099 Job {} end JobStatus={} JobFiles={} JobBytes={} JobErrors={} VolSessionId={} VolSessionTime={}",
            bash_spaces(&self.job),
            self.status as u32,
            self.files,
            self.bytes,
            self.errors,
            self.vol_session_id,
            self.vol_session_time
        )
    }
}

impl SdJobEnd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "SD job end";
        let rest = line.strip_prefix("3099 Job ").ok_or_else(|| bad(W, line))?;
        let job = rest.split(' ').next().ok_or_else(|| bad(W, line))?;
        let m = kv(line);
        Ok(SdJobEnd {
            job: unbash_spaces(job),
            status: code_char(&m, "JobStatus", W, line)?,
            files: num_or(&m, "JobFiles", 0),
            bytes: num_or(&m, "JobBytes", 0),
            errors: num_or(&m, "JobErrors", 0),
            vol_session_id: num_or(&m, "VolSessionId", 0),
            vol_session_time: num_or(&m, "VolSessionTime", 0),
        })
    }
}

/// `UpdCat Job=<job> FileAttributes <FileIndex> <Stream> <payload>`: the prefix.
pub fn updcat_prefix(job: &str, file_index: i32, stream: i32) -> String {
    format!("UpdCat Job={} FileAttributes {file_index} {stream} ", bash_spaces(job))
}

/// A parsed `UpdCat` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdCat<'a> {
    pub job: String,
    pub file_index: i32,
    pub stream: i32,
    pub payload: &'a [u8],
}

impl<'a> UpdCat<'a> {
    /// Parse a binary `UpdCat` frame.
    pub fn parse(frame: &'a [u8]) -> Result<Self, MsgError> {
        const W: &str = "UpdCat";
        let err = || bad(W, &String::from_utf8_lossy(&frame[..frame.len().min(80)]));
        let rest = frame.strip_prefix(b"UpdCat Job=").ok_or_else(err)?;
        let mut fields = Vec::new();
        let mut pos = 0;
        for _ in 0..4 {
            let end = rest[pos..].iter().position(|b| *b == b' ').ok_or_else(err)? + pos;
            fields.push(&rest[pos..end]);
            pos = end + 1;
        }
        if fields[1] != b"FileAttributes" {
            return Err(err());
        }
        let txt = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(UpdCat {
            job: unbash_spaces(&txt(fields[0])),
            file_index: txt(fields[2]).parse().map_err(|_| err())?,
            stream: txt(fields[3]).parse().map_err(|_| err())?,
            payload: &rest[pos..],
        })
    }
}

// ---------------------------------------------------------------- director → FD

/// `JobId=… Job=… SDid=… SDtime=… Authorization=…` sent to the FD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdJobCmd {
    pub job_id: u32,
    pub job: String,
    pub sd_id: u32,
    pub sd_time: i64,
    pub authorization: String,
}

impl fmt::Display for FdJobCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "JobId={} Job={} SDid={} SDtime={} Authorization={}",
            self.job_id,
            bash_spaces(&self.job),
            self.sd_id,
            self.sd_time,
            self.authorization
        )
    }
}

impl FdJobCmd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "FD job";
        if !line.starts_with("JobId=") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(FdJobCmd {
            job_id: num(&m, "JobId", W, line)?,
            job: get(&m, "Job", W, line)?.to_string(),
            sd_id: num_or(&m, "SDid", 0),
            sd_time: num_or(&m, "SDtime", 0),
            authorization: get(&m, "Authorization", W, line)?.to_string(),
        })
    }
}

/// What the FD should save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelCmd {
    /// Everything.
    Full { accurate: bool, mtime_only: bool },
    /// Files changed after `since` (Unix time), for Incremental and Differential.
    Since { since: i64, prev_job: String, accurate: bool, mtime_only: bool },
}

impl fmt::Display for LevelCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelCmd::Full { accurate, mtime_only } => writeln!(
                f,
                "level = {}full mtime_only={}",
                if *accurate { "accurate_" } else { "" },
                u8::from(*mtime_only)
            ),
            LevelCmd::Since { since, prev_job, accurate, mtime_only } => writeln!(
                f,
                "level = {}since_utime {since} mtime_only={} prev_job={}",
                if *accurate { "accurate_" } else { "" },
                u8::from(*mtime_only),
                bash_spaces(prev_job)
            ),
        }
    }
}

impl LevelCmd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "level";
        let rest = line.trim_end().strip_prefix("level = ").ok_or_else(|| bad(W, line))?;
        let (accurate, rest) = match rest.strip_prefix("accurate_") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let m = kv(rest);
        let mtime_only = m.get("mtime_only").map(|v| v == "1").unwrap_or(false);
        if rest.starts_with("full") {
            return Ok(LevelCmd::Full { accurate, mtime_only });
        }
        if let Some(r) = rest.strip_prefix("since_utime ") {
            let since = r.split(' ').next().and_then(|v| v.parse().ok()).ok_or_else(|| bad(W, line))?;
            return Ok(LevelCmd::Since {
                since,
                prev_job: m.get("prev_job").cloned().unwrap_or_default(),
                accurate,
                mtime_only,
            });
        }
        Err(bad(W, line))
    }
}

/// `storage address=… port=… ssl=0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageCmd {
    pub address: String,
    pub port: u16,
}

impl fmt::Display for StorageCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "storage address={} port={} ssl=0", self.address, self.port)
    }
}

impl StorageCmd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "storage";
        if !line.starts_with("storage ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(StorageCmd { address: get(&m, "address", W, line)?.to_string(), port: num(&m, "port", W, line)? })
    }
}

/// Where restored files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreTarget {
    /// Prefix every path (`where=`; empty or `/` = original location).
    Where(String),
    /// Rewrite paths with `!from!to!flags` rules (`regexwhere=`).
    RegexWhere(String),
}

/// `restore replace=<a|i|o|n> prelinks=<0|1> where=…|regexwhere=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreCmd {
    pub replace: char,
    pub prelinks: bool,
    pub target: RestoreTarget,
}

impl fmt::Display for RestoreCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "restore replace={} prelinks={} ", self.replace, u8::from(self.prelinks))?;
        match &self.target {
            RestoreTarget::Where(w) => writeln!(f, "where={}", bash_spaces(w)),
            RestoreTarget::RegexWhere(r) => writeln!(f, "regexwhere={}", bash_spaces(r)),
        }
    }
}

impl RestoreCmd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "restore";
        if !line.starts_with("restore ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        let replace = get(&m, "replace", W, line)?.chars().next().ok_or_else(|| bad(W, line))?;
        let target = match (m.get("where"), m.get("regexwhere")) {
            (_, Some(r)) => RestoreTarget::RegexWhere(r.clone()),
            (Some(w), None) => RestoreTarget::Where(w.clone()),
            (None, None) => return Err(bad(W, line)),
        };
        Ok(RestoreCmd { replace, prelinks: m.get("prelinks").map(|v| v == "1").unwrap_or(false), target })
    }
}

/// The FD's end of a job (`2800 End Job TermCode=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdJobEnd {
    pub status: char,
    pub files: u64,
    pub read_bytes: u64,
    pub bytes: u64,
    pub errors: u64,
}

impl fmt::Display for FdJobEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "2800 End Job TermCode={} JobFiles={} ReadBytes={} JobBytes={} Errors={} VSS=0 Encrypt=0",
            self.status as u32,
            self.files,
            self.read_bytes,
            self.bytes,
            self.errors
        )
    }
}

impl FdJobEnd {
    pub fn parse(line: &str) -> Result<Self, MsgError> {
        const W: &str = "FD job end";
        if !line.starts_with("2800 End Job ") {
            return Err(bad(W, line));
        }
        let m = kv(line);
        Ok(FdJobEnd {
            status: code_char(&m, "TermCode", W, line)?,
            files: num_or(&m, "JobFiles", 0),
            read_bytes: num_or(&m, "ReadBytes", 0),
            bytes: num_or(&m, "JobBytes", 0),
            errors: num_or(&m, "Errors", 0),
        })
    }
}

/// `2000 OK estimate files=… bytes=…`.
pub fn estimate_ok(files: u64, bytes: u64) -> String {
    format!("2000 OK estimate files={files} bytes={bytes}\n")
}

// ---------------------------------------------------------------- data records

/// The header frame of a data record: `<FileIndex> <Stream> 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub file_index: i32,
    pub stream: i32,
}

impl fmt::Display for RecordHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} 0", self.file_index, self.stream)
    }
}

impl RecordHeader {
    pub fn parse(frame: &[u8]) -> Result<Self, MsgError> {
        const W: &str = "record header";
        let t = String::from_utf8_lossy(frame);
        let mut it = t.split(' ');
        let fi = it.next().and_then(|v| v.parse().ok()).ok_or_else(|| bad(W, &t))?;
        let st = it.next().and_then(|v| v.parse().ok()).ok_or_else(|| bad(W, &t))?;
        Ok(RecordHeader { file_index: fi, stream: st })
    }
}

/// The attributes record (stream 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes {
    pub file_index: i32,
    pub file_type: u32,
    /// Full path; directories end with `/`.
    pub path: String,
    pub lstat: String,
    pub link: String,
    pub extra: String,
    pub delta_seq: u32,
}

impl Attributes {
    /// Encode as `<FileIndex> <FileType> <path>\0<lstat>\0<link>\0<extra>\0<delta>\0`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = format!("{} {} ", self.file_index, self.file_type).into_bytes();
        for part in [self.path.as_str(), self.lstat.as_str(), self.link.as_str(), self.extra.as_str()] {
            v.extend_from_slice(part.as_bytes());
            v.push(0);
        }
        v.extend_from_slice(self.delta_seq.to_string().as_bytes());
        v.push(0);
        v
    }

    pub fn decode(b: &[u8]) -> Result<Self, MsgError> {
        const W: &str = "attributes";
        let err = || bad(W, &String::from_utf8_lossy(&b[..b.len().min(80)]));
        let sp1 = b.iter().position(|c| *c == b' ').ok_or_else(err)?;
        let sp2 = b[sp1 + 1..].iter().position(|c| *c == b' ').ok_or_else(err)? + sp1 + 1;
        let txt = |x: &[u8]| String::from_utf8_lossy(x).into_owned();
        let file_index = txt(&b[..sp1]).parse().map_err(|_| err())?;
        let file_type = txt(&b[sp1 + 1..sp2]).parse().map_err(|_| err())?;
        let mut parts = b[sp2 + 1..].split(|c| *c == 0);
        let path = txt(parts.next().ok_or_else(err)?);
        let lstat = txt(parts.next().ok_or_else(err)?);
        let link = parts.next().map(txt).unwrap_or_default();
        let extra = parts.next().map(txt).unwrap_or_default();
        let delta_seq = parts.next().and_then(|d| txt(d).parse().ok()).unwrap_or(0);
        Ok(Attributes { file_index, file_type, path, lstat, link, extra, delta_seq })
    }
}

/// Magic of a compressed data frame.
pub const LZ4_MAGIC: &[u8; 4] = b"LZ4C";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sd_job_round_trip() -> Result<(), MsgError> {
        let c = SdJobCmd {
            job_id: 1,
            job: "backup-bareos-fd.2026-03-04_10.00.00_03".into(),
            job_name: "backup-bareos-fd".into(),
            client_name: "bareos-fd".into(),
            job_type: 'B',
            level: 'F',
            fileset: "Self Test".into(),
            fileset_md5: "abc".into(),
        };
        let s = c.to_string();
        assert_eq!(
            s,
            "JobId=1 job=backup-bareos-fd.2026-03-04_10.00.00_03 job_name=backup-bareos-fd client_name=bareos-fd type=66 level=70 FileSet=Self\u{1}Test NoAttr=0 SpoolAttr=0 FileSetMD5=abc SpoolData=0 PreferMountedVols=1 SpoolSize=0 rerunning=0 VolSessionId=0 VolSessionTime=0 Quota=0 Protocol=0 BackupFormat=Native\n"
        );
        assert_eq!(SdJobCmd::parse(&s)?, c);
        let ok = SdJobOk { sd_id: 1, sd_time: 1562050726, authorization: "JMJH-ANIF".into() };
        assert_eq!(ok.to_string(), "3000 OK Job SDid=1 SDtime=1562050726 Authorization=JMJH-ANIF\n");
        assert_eq!(SdJobOk::parse(&ok.to_string())?, ok);
        Ok(())
    }

    #[test]
    fn catreq_round_trips() -> Result<(), MsgError> {
        let reqs = [
            CatReq::FindMedia { job: "j.1".into(), pool_name: "Full".into(), media_type: "File".into(), unwanted: vec![] },
            CatReq::FindMedia { job: "j.1".into(), pool_name: "Full".into(), media_type: "File".into(), unwanted: vec!["Full-0001".into(), "Full 2".into()] },
            CatReq::UpdateMedia { job: "j.1".into(), update: MediaUpdate { vol_name: "Full-0001".into(), vol_jobs: 1, vol_bytes: 12345, vol_status: "Append".into(), ..Default::default() } },
            CatReq::CreateJobMedia { job: "j.1".into(), jm: JobMediaInfo { media_id: 3, first_index: 1, last_index: 42, end_block: 9, job_bytes: 100, vol_index: 1, ..Default::default() } },
        ];
        for r in reqs {
            assert_eq!(CatReq::parse(&r.to_string())?, r);
        }
        let mi = MediaInfo { vol_name: "Full-0001".into(), media_id: 1, vol_status: "Append".into(), new_volume: true, pool_name: "Full".into(), ..Default::default() };
        assert!(mi.to_string().starts_with("1000 OK VolName=Full-0001 MediaId=1 "));
        assert_eq!(MediaInfo::parse(&mi.to_string())?, mi);
        Ok(())
    }

    #[test]
    fn job_messages_round_trip() -> Result<(), MsgError> {
        let j = Jmsg { job: "j.1".into(), msg_type: msg_type::INFO, time: 1700000000, text: "Volume \"Full-0001\" labeled.\n".into() };
        assert_eq!(j.to_string(), "Jmsg Job=j.1 type=6 level=1700000000 Volume \"Full-0001\" labeled.\n");
        assert_eq!(Jmsg::parse(&j.to_string())?, j);
        let e = SdJobEnd { job: "j.1".into(), status: 'T', files: 1, bytes: 166, errors: 0, vol_session_id: 1, vol_session_time: 5 };
        assert!(e.to_string().starts_with("3099 Job j.1 end JobStatus=84 JobFiles=1 JobBytes=166 JobErrors=0"));
        assert_eq!(SdJobEnd::parse(&e.to_string())?, e);
        let p = Progress { job: "j.1".into(), files: 3, bytes: 4, read_bytes: Some(5) };
        assert_eq!(Progress::parse(&p.to_string())?, p);
        let f = FdJobEnd { status: 'T', files: 1, read_bytes: 27, bytes: 27, errors: 0 };
        assert_eq!(f.to_string(), "2800 End Job TermCode=84 JobFiles=1 ReadBytes=27 JobBytes=27 Errors=0 VSS=0 Encrypt=0\n");
        assert_eq!(FdJobEnd::parse(&f.to_string())?, f);
        Ok(())
    }

    #[test]
    fn job_lines() {
        let l = job_line("bareos-sd", 3, msg_type::WARNING, "disk almost full");
        assert_eq!(l, "bareos-sd JobId 3: Warning: disk almost full\n");
        assert!(is_job_line(&l));
        assert!(!is_job_line("Labeled new Volume"));
        assert!(!is_job_line("x JobId : y"));
    }

    #[test]
    fn fd_commands_round_trip() -> Result<(), MsgError> {
        let j = FdJobCmd { job_id: 1, job: "j.1".into(), sd_id: 2, sd_time: 3, authorization: "AAAA-BBBB".into() };
        assert_eq!(FdJobCmd::parse(&j.to_string())?, j);
        for l in [
            LevelCmd::Full { accurate: false, mtime_only: false },
            LevelCmd::Full { accurate: true, mtime_only: false },
            LevelCmd::Since { since: 1700000000, prev_job: "j.0".into(), accurate: true, mtime_only: true },
        ] {
            assert_eq!(LevelCmd::parse(&l.to_string())?, l);
        }
        assert_eq!(LevelCmd::Full { accurate: false, mtime_only: false }.to_string(), "level = full mtime_only=0\n");
        let s = StorageCmd { address: "127.0.0.1".into(), port: 9103 };
        assert_eq!(s.to_string(), "storage address=127.0.0.1 port=9103 ssl=0\n");
        assert_eq!(StorageCmd::parse(&s.to_string())?, s);
        for r in [
            RestoreCmd { replace: 'a', prelinks: false, target: RestoreTarget::Where("/tmp/r x".into()) },
            RestoreCmd { replace: 'n', prelinks: true, target: RestoreTarget::RegexWhere("!a!b!".into()) },
        ] {
            assert_eq!(RestoreCmd::parse(&r.to_string())?, r);
        }
        Ok(())
    }

    #[test]
    fn records_and_attributes() -> Result<(), MsgError> {
        let h = RecordHeader { file_index: 12, stream: stream::FILE_DATA };
        assert_eq!(h.to_string(), "12 2 0");
        assert_eq!(RecordHeader::parse(b"12 2 0")?, h);
        let a = Attributes {
            file_index: 1,
            file_type: file_type::REG,
            path: "/home/user/tape options".into(),
            lstat: "P0D BJAEy IG0 B Po Po A b BAA I BdGwCZ A A A".into(),
            link: String::new(),
            extra: String::new(),
            delta_seq: 0,
        };
        let enc = a.encode();
        assert_eq!(&enc[..], &b"1 3 /home/user/tape options\0P0D BJAEy IG0 B Po Po A b BAA I BdGwCZ A A A\0\0\x000\0"[..]);
        assert_eq!(Attributes::decode(&enc)?, a);
        let mut frame = updcat_prefix("j 1", 1, 1).into_bytes();
        frame.extend_from_slice(&enc);
        let u = UpdCat::parse(&frame)?;
        assert_eq!((u.job.as_str(), u.file_index, u.stream), ("j 1", 1, 1));
        assert_eq!(u.payload, &enc[..]);
        Ok(())
    }
}
