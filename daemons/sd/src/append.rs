//! Backup sessions: choosing, labelling and opening volumes, writing the FD's
//! records, continuing on the next volume when one fills up, and reporting to the
//! director (`UpdateMedia`, `CreateJobMedia`, `Jmsg`).
//!
//! # Volumes on a File device
//!
//! A File device's `Archive Device` is a directory holding one file per volume,
//! named after the volume. The SD asks the director for a volume (`CatReq …
//! FindMedia`); a volume file that does not exist is created and labelled when the
//! director says `NewVolume=1` or the device has `Label Media = yes`. An existing
//! volume is opened for append after its last good block (a torn tail is cut off
//! and reported as a warning); its label must carry the name asked for. A volume the
//! director marks `Recycle`/`Purged` is relabelled (its old, purged contents are
//! discarded). A volume already being appended to by another job is refused and
//! asked again with `unwanted_volumes=`; so is one that is over its limits.
//! When the director answers `1901 No Media.` the job fails with a fatal `Jmsg`
//! (Bareos would wait for an operator to label or mount a volume).
//!
//! # Limits and continuation
//!
//! `MaxVolBytes` is enforced by the volume writer (room for the end-of-session label
//! is always kept). When a record does not fit, the part that fits stays on the
//! volume (flagged "continued"), the volume is closed and reported `VolStatus=Full`,
//! its JobMedia is sent, the next volume is asked for (`unwanted_volumes=` the full
//! one), a start-of-session label is written there and the rest of the record
//! follows as a continuation record. `MaxVolJobs`, `MaxVolFiles` and
//! `VolUseDuration` mark a volume `Used` (checked when it is mounted and at the end
//! of the job).
//!
//! # Counters sent to the director
//!
//! `UpdateMedia`: `VolJobs` = the director's count + 1, `VolBlocks`/`VolBytes` = the
//! volume's size now, `VolFiles` = the Bareos disk "file" number (byte size >> 32),
//! `VolMounts` = 1 and `VolWrites` = blocks written by this job on that volume,
//! `VolErrors` = 0 (the last three are this job's contribution), `FirstWritten` =
//! the director's value or the time of this job's first write, `Labeled` = the
//! label time when this job labelled it.
//!
//! `CreateJobMedia`, one per volume the job wrote to: `FirstIndex`/`LastIndex` = the
//! first and last FileIndex of the job's records on that volume; `StartBlock` = the
//! number of the block holding the job's start-of-session label on that volume and
//! `EndBlock` = the number of the last block holding its records or end label (block
//! numbers as `cairn-volume` counts them: 0 is the volume label block). File volumes
//! have a single "file": `StartFile` = `EndFile` = 0. `JobBytes` = the job's bytes
//! so far, `VolIndex` = 1, 2, … in order. A restore bootstrap names these blocks as
//! `VolBlock=StartBlock-EndBlock`.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::Duration;

use cairn_config::DeviceRes;
use cairn_proto::msg::{CatReq, JobMediaInfo, MediaInfo, MediaUpdate, msg_type};
use cairn_proto::{Conn, Packet, Signal};
use cairn_volume::{
    AppendReport, SessionEndLabel, SessionLabel, VolPosition, VolumeError, VolumeLabel, VolumeReader, VolumeWriter,
    WriteStatus, validate_volume_name,
};
use tokio_util::sync::CancellationToken;

use crate::SdError;
use crate::devices::Reserved;
use crate::job::{JobIo, send_jmsg};
use crate::state::{SdState, now_unix};

/// How many volumes the SD asks for before giving up on a job.
const MAX_VOLUME_TRIES: usize = 20;
/// How long the director may take to answer a catalog request.
pub const CATREQ_TIMEOUT: Duration = Duration::from_secs(600);

/// `"FileStorage" (/path)`: how Bareos names a device in messages.
pub fn print_name(dev: &DeviceRes) -> String {
    format!("\"{}\" ({})", dev.name, dev.archive_device)
}

/// The file of volume `name` on a File device.
pub fn volume_path(dev: &DeviceRes, name: &str) -> Result<PathBuf, SdError> {
    validate_volume_name(name)?;
    Ok(PathBuf::from(&dev.archive_device).join(name))
}

/// The block size the SD labels new volumes with.
pub fn block_size(dev: &DeviceRes) -> usize {
    let want = if dev.maximum_block_size == 0 { cairn_volume::format::DEFAULT_BLOCK_SIZE_V1 } else { dev.maximum_block_size as usize };
    want.clamp(cairn_volume::format::BLOCK_SIZE_MIN_V1, cairn_volume::format::BLOCK_SIZE_MAX_V1)
}

/// What is at a volume's path.
#[derive(Debug)]
pub enum Probe {
    Missing,
    /// A zero-length file (may be labelled).
    Empty,
    Labeled(VolumeLabel),
    /// A non-empty file without a readable label: never overwritten.
    Unreadable(String),
}

/// Look at a volume file without changing it.
pub fn probe(dev: &DeviceRes, name: &str) -> Result<Probe, SdError> {
    let path = volume_path(dev, name)?;
    let f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Missing),
        Err(e) => return Err(e.into()),
    };
    if f.metadata()?.len() == 0 {
        return Ok(Probe::Empty);
    }
    Ok(match VolumeReader::open_named(f, name) {
        Ok((_, label)) => Probe::Labeled(label),
        Err(e) => Probe::Unreadable(e.to_string()),
    })
}

/// Create (or, for an empty or recycled file, rewrite) a volume file and write its
/// label. `overwrite` must only be set for empty files and volumes the director
/// recycled.
pub fn create_labeled(
    dev: &DeviceRes,
    name: &str,
    pool: &str,
    pool_type: &str,
    media_type: &str,
    overwrite: bool,
) -> Result<VolumeWriter<File>, SdError> {
    let path = volume_path(dev, name)?;
    let mut oo = OpenOptions::new();
    oo.read(true).write(true);
    if overwrite {
        oo.create(true).truncate(true);
    } else {
        oo.create_new(true);
    }
    let f = oo.open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => SdError::Volume(VolumeError::AlreadyExists { volume: name.to_string() }),
        _ => SdError::Io(e),
    })?;
    let label = VolumeLabel::new(name, pool, if pool_type.is_empty() { "Backup" } else { pool_type }, media_type, now_unix());
    let mut w = VolumeWriter::create(f, &label, block_size(dev))?;
    w.flush()?;
    Ok(w)
}

/// Open an existing volume after its last good block.
pub fn open_append(dev: &DeviceRes, name: &str) -> Result<(VolumeWriter<File>, AppendReport), SdError> {
    let path = volume_path(dev, name)?;
    let f = OpenOptions::new().read(true).write(true).open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SdError::Volume(VolumeError::NotFound { volume: name.to_string() }),
        _ => SdError::Io(e),
    })?;
    Ok(VolumeWriter::open_append(f)?)
}

/// Close a writer: flush the last block and sync the file to disk.
pub fn close_writer(w: VolumeWriter<File>) -> Result<(), SdError> {
    let f = w.finish()?;
    f.sync_data()?;
    Ok(())
}

/// A volume the job is writing to.
struct OpenVolume {
    name: String,
    media: MediaInfo,
    writer: VolumeWriter<File>,
    start_block: u32,
    /// First and last FileIndex written here (0 = none yet).
    first_index: i32,
    last_index: i32,
    labeled: i64,
    first_written: i64,
    blocks_at_mount: u32,
}

/// The writing half of a backup job.
pub struct Appender {
    dev: Reserved,
    pool_name: String,
    pool_type: String,
    media_type: String,
    session_label: SessionLabel,
    cur: Option<OpenVolume>,
    unwanted: Vec<String>,
    vol_index: u32,
    pub files: u64,
    pub bytes: u64,
    last_fi: i32,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender").field("device", &self.dev.res.name).field("vol_index", &self.vol_index).finish()
    }
}

/// What the director answered to a catalog request.
enum CatAnswer {
    Ok(String),
    NoMedia(String),
}

impl Appender {
    pub fn new(dev: Reserved, pool_name: &str, pool_type: &str, media_type: &str, session_label: SessionLabel) -> Self {
        Appender {
            dev,
            pool_name: pool_name.to_string(),
            pool_type: pool_type.to_string(),
            media_type: media_type.to_string(),
            session_label,
            cur: None,
            unwanted: Vec::new(),
            vol_index: 0,
            files: 0,
            bytes: 0,
            last_fi: 0,
        }
    }

    /// The volume being written, if any.
    pub fn volume(&self) -> Option<&str> {
        self.cur.as_ref().map(|v| v.name.as_str())
    }

    /// Mount the first volume and write the start-of-session label.
    pub async fn start(&mut self, io: &mut JobIo<'_>) -> Result<(), SdError> {
        self.mount_next(io).await
    }

    /// Write one record (one FD payload frame), continuing on the next volume when
    /// the current one fills up.
    pub async fn write(&mut self, io: &mut JobIo<'_>, fi: i32, stream: i32, data: &[u8]) -> Result<(), SdError> {
        let mut rest = data;
        let mut continuation = false;
        loop {
            let Some(v) = self.cur.as_mut() else {
                return Err(SdError::Protocol("no volume mounted".into()));
            };
            let r = if continuation {
                v.writer.write_record_continuation(fi, stream, rest)
            } else {
                v.writer.write_record(fi, stream, rest)
            };
            match r {
                Ok(WriteStatus::Complete) => {
                    v.note_index(fi);
                    break;
                }
                Ok(WriteStatus::Split { written }) => {
                    v.note_index(fi);
                    rest = &rest[written.min(rest.len())..];
                    continuation = true;
                    self.volume_full(io).await?;
                }
                Err(VolumeError::VolumeFull { .. }) => {
                    // Nothing of this record went here; start it on the next volume.
                    self.volume_full(io).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if fi != self.last_fi && stream == cairn_proto::msg::stream::UNIX_ATTRIBUTES {
            self.files += 1;
        }
        self.last_fi = fi;
        self.bytes += data.len() as u64;
        if let Some(v) = self.cur.as_ref() {
            let (bytes, block) = (v.writer.volume_bytes(), v.writer.position().block);
            io.state.devices.update(&self.dev, |d| {
                d.bytes = bytes;
                d.blocks = u64::from(block);
                d.block = block;
            });
        }
        Ok(())
    }

    /// End the session: end label with `status`, close the volume, report it.
    pub async fn finish(&mut self, io: &mut JobIo<'_>, status: char, errors: u64) -> Result<(), SdError> {
        let Some(mut v) = self.cur.take() else { return Ok(()) };
        let label = SessionEndLabel {
            job_id: self.session_label.job_id,
            end_time: now_unix(),
            files: self.files,
            bytes: self.bytes,
            errors,
            status: cairn_types::JobStatus::from_code(status).unwrap_or(cairn_types::JobStatus::ErrorTerminated),
        };
        let end = v.writer.end_session(&label);
        let end_block = match &end {
            Ok(p) => p.block,
            Err(_) => v.writer.last_written().map(|p| p.block).unwrap_or(v.start_block),
        };
        let report = self.report_volume(io, &mut v, end_block, false).await;
        let closed = close_writer(v.writer);
        io.state.release_volume(&v.name, &io.ctl.job);
        end?;
        closed?;
        report
    }

    /// Close the volume after a failure without reporting it again (best effort).
    pub fn abandon(&mut self, state: &SdState, job: &str) {
        if let Some(v) = self.cur.take() {
            let _ = close_writer(v.writer);
            state.release_volume(&v.name, job);
        }
    }

    async fn volume_full(&mut self, io: &mut JobIo<'_>) -> Result<(), SdError> {
        let Some(mut v) = self.cur.take() else { return Ok(()) };
        let end_block = {
            v.writer.flush()?;
            v.writer.last_written().map(|p| p.block).unwrap_or(v.start_block)
        };
        let msg = format!(
            "End of Volume \"{}\" at {} bytes (maximum volume bytes reached) on device {}. Continuing on the next volume.\n",
            v.name,
            v.writer.volume_bytes(),
            print_name(&self.dev.res)
        );
        send_jmsg(io, msg_type::INFO, &msg).await?;
        let report = self.report_volume(io, &mut v, end_block, true).await;
        let name = v.name.clone();
        let closed = close_writer(v.writer);
        io.state.release_volume(&name, &io.ctl.job);
        report?;
        closed?;
        self.unwanted.push(name);
        self.mount_next(io).await
    }

    /// UpdateMedia + CreateJobMedia for the volume being closed.
    async fn report_volume(&mut self, io: &mut JobIo<'_>, v: &mut OpenVolume, end_block: u32, full: bool) -> Result<(), SdError> {
        let now = now_unix();
        let bytes = v.writer.volume_bytes();
        let blocks = v.writer.position().block;
        let vol_jobs = v.media.vol_jobs + 1;
        let vol_files = bytes >> 32;
        let used = (v.media.max_vol_jobs > 0 && vol_jobs >= v.media.max_vol_jobs)
            || (v.media.max_vol_files > 0 && vol_files >= v.media.max_vol_files)
            || (v.media.vol_use_duration > 0 && now - v.first_written >= v.media.vol_use_duration as i64);
        let status = if full || v.writer.is_full() {
            "Full"
        } else if used {
            "Used"
        } else {
            "Append"
        };
        let update = MediaUpdate {
            vol_name: v.name.clone(),
            vol_jobs,
            vol_files,
            vol_blocks: u64::from(blocks),
            vol_bytes: bytes,
            vol_mounts: 1,
            vol_errors: 0,
            vol_writes: u64::from(blocks.saturating_sub(v.blocks_at_mount)),
            vol_status: status.into(),
            first_written: v.first_written,
            last_written: now,
            labeled: v.labeled,
        };
        catreq(io, &CatReq::UpdateMedia { job: io.ctl.job.clone(), update }).await?;
        self.vol_index += 1;
        let jm = JobMediaInfo {
            media_id: v.media.media_id,
            first_index: v.first_index.max(0) as u32,
            last_index: v.last_index.max(0) as u32,
            start_file: 0,
            end_file: 0,
            start_block: u64::from(v.start_block),
            end_block: u64::from(end_block.max(v.start_block)),
            job_bytes: self.bytes,
            vol_index: self.vol_index,
        };
        catreq(io, &CatReq::CreateJobMedia { job: io.ctl.job.clone(), jm }).await?;
        Ok(())
    }

    /// Ask the director for volumes until one can be written, then start the
    /// session on it.
    async fn mount_next(&mut self, io: &mut JobIo<'_>) -> Result<(), SdError> {
        let dev = self.dev.res.clone();
        for _ in 0..MAX_VOLUME_TRIES {
            let req = CatReq::FindMedia {
                job: io.ctl.job.clone(),
                pool_name: self.pool_name.clone(),
                media_type: self.media_type.clone(),
                unwanted: self.unwanted.clone(),
            };
            let line = match catreq(io, &req).await? {
                CatAnswer::Ok(l) => l,
                CatAnswer::NoMedia(l) => {
                    return Err(SdError::NoMedia(format!(
                        "the director has no appendable volume in pool \"{}\" for media type \"{}\" ({}). Bareos would wait for an operator here; label a volume or allow automatic labelling, then rerun the job.",
                        self.pool_name,
                        self.media_type,
                        l.trim_end()
                    )));
                }
            };
            let media = MediaInfo::parse(&line)?;
            let name = media.vol_name.clone();
            if self.unwanted.contains(&name) {
                return Err(SdError::NoMedia(format!("the director offered the unwanted volume \"{name}\" again")));
            }
            match self.try_mount(io, &dev, media).await? {
                Some(v) => {
                    self.cur = Some(v);
                    return Ok(());
                }
                None => self.unwanted.push(name),
            }
        }
        Err(SdError::NoMedia(format!("no usable volume after {MAX_VOLUME_TRIES} attempts")))
    }

    /// Open (labelling if needed) the volume the director offered. `None` = not
    /// usable, ask for another.
    async fn try_mount(&mut self, io: &mut JobIo<'_>, dev: &DeviceRes, media: MediaInfo) -> Result<Option<OpenVolume>, SdError> {
        let name = media.vol_name.clone();
        let job = io.ctl.job.clone();
        if !io.state.claim_volume(&name, &job) {
            let other = io.state.volume_busy(&name).unwrap_or_default();
            tracing::info!(volume = %name, %job, %other, "volume in use by another job, asking for another");
            return Ok(None);
        }
        let r = self.open_volume(io, dev, media).await;
        match r {
            Ok(Some(v)) => Ok(Some(v)),
            Ok(None) => {
                io.state.release_volume(&name, &job);
                Ok(None)
            }
            Err(e) => {
                io.state.release_volume(&name, &job);
                Err(e)
            }
        }
    }

    async fn open_volume(&mut self, io: &mut JobIo<'_>, dev: &DeviceRes, media: MediaInfo) -> Result<Option<OpenVolume>, SdError> {
        let name = media.vol_name.clone();
        let now = now_unix();
        let status = media.vol_status.as_str();
        let recycle = matches!(status, "Recycle" | "Purged");
        if !(status.is_empty() || status == "Append" || recycle) {
            send_jmsg(io, msg_type::WARNING, &format!("Volume \"{name}\" has status {status} and cannot be written; asking for another.\n")).await?;
            return Ok(None);
        }
        let limit_reason = if media.max_vol_jobs > 0 && media.vol_jobs >= media.max_vol_jobs && !recycle {
            Some("Maximum Volume Jobs")
        } else if media.max_vol_files > 0 && media.vol_files >= media.max_vol_files && !recycle {
            Some("Maximum Volume Files")
        } else if media.vol_use_duration > 0 && media.first_written > 0 && now - media.first_written >= media.vol_use_duration as i64 && !recycle {
            Some("Volume Use Duration")
        } else {
            None
        };
        if let Some(why) = limit_reason {
            send_jmsg(io, msg_type::INFO, &format!("Volume \"{name}\" reached its {why}; marking it Used.\n")).await?;
            self.mark(io, &media, "Used").await?;
            return Ok(None);
        }
        let probe = probe(dev, &name)?;
        let mut labeled = 0;
        let (writer, note) = match probe {
            Probe::Missing | Probe::Empty => {
                if !(media.new_volume || dev.label_media || recycle) {
                    send_jmsg(
                        io,
                        msg_type::WARNING,
                        &format!(
                            "Volume \"{name}\" is not on device {} and the device may not label volumes (Label Media = no); asking for another.\n",
                            print_name(dev)
                        ),
                    )
                    .await?;
                    return Ok(None);
                }
                let overwrite = !matches!(probe, Probe::Missing);
                let w = create_labeled(dev, &name, &self.pool_name, &self.pool_type, &self.media_type, overwrite)?;
                labeled = now;
                (w, format!("Labeled new Volume \"{name}\" on device {}.\n", print_name(dev)))
            }
            Probe::Labeled(label) if recycle => {
                if label.volume_name != name {
                    send_jmsg(io, msg_type::ERROR, &format!("Volume file \"{name}\" on device {} carries the label \"{}\"; not recycling it.\n", print_name(dev), label.volume_name)).await?;
                    return Ok(None);
                }
                let w = create_labeled(dev, &name, &self.pool_name, &self.pool_type, &self.media_type, true)?;
                labeled = now;
                (w, format!("Recycled volume \"{name}\" on device {}, all previous data lost.\n", print_name(dev)))
            }
            Probe::Labeled(label) => {
                if label.volume_name != name {
                    send_jmsg(io, msg_type::ERROR, &format!("Volume file \"{name}\" on device {} carries the label \"{}\"; asking for another volume.\n", print_name(dev), label.volume_name)).await?;
                    return Ok(None);
                }
                let (w, report) = open_append(dev, &name)?;
                if let Some(t) = report.torn {
                    send_jmsg(
                        io,
                        msg_type::WARNING,
                        &format!(
                            "Volume \"{name}\": a torn last block ({} bytes at block {}) was cut off before appending.\n",
                            t.discarded, t.position.block
                        ),
                    )
                    .await?;
                }
                let note = format!("Volume \"{name}\" mounted on device {} for append at block {}.\n", print_name(dev), w.position().block);
                (w, note)
            }
            Probe::Unreadable(why) => {
                send_jmsg(io, msg_type::ERROR, &format!("Volume file \"{name}\" on device {} is not a readable Cairn volume ({why}); it is left untouched. Asking for another volume.\n", print_name(dev))).await?;
                return Ok(None);
            }
        };
        let mut writer = writer;
        writer.set_max_bytes((media.max_vol_bytes > 0).then_some(media.max_vol_bytes));
        if writer.is_full() {
            send_jmsg(io, msg_type::INFO, &format!("Volume \"{name}\" is full ({} bytes); marking it Full.\n", writer.volume_bytes())).await?;
            let _ = close_writer(writer);
            self.mark(io, &media, "Full").await?;
            return Ok(None);
        }
        send_jmsg(io, msg_type::INFO, &note).await?;
        let blocks_at_mount = writer.position().block;
        let pos: VolPosition = match writer.begin_session(&self.session_label) {
            Ok(p) => p,
            Err(VolumeError::VolumeFull { .. }) => {
                let _ = close_writer(writer);
                self.mark(io, &media, "Full").await?;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let first_written = if media.first_written > 0 { media.first_written } else { now };
        let (bytes, block) = (writer.volume_bytes(), writer.position().block);
        io.state.devices.update(&self.dev, |d| {
            d.volume = Some(name.clone());
            d.pool = self.pool_name.clone();
            d.appending = true;
            d.bytes = bytes;
            d.blocks = u64::from(block);
            d.block = block;
        });
        {
            let mut s = crate::state::lock(&io.ctl.stats);
            s.volume = name.clone();
            s.pool = self.pool_name.clone();
            s.device = self.dev.res.name.clone();
            s.mode = Some("Writing");
        }
        Ok(Some(OpenVolume {
            name,
            media,
            writer,
            start_block: pos.block,
            first_index: 0,
            last_index: 0,
            labeled,
            first_written,
            blocks_at_mount,
        }))
    }

    /// Tell the director a volume's new status without writing to it.
    async fn mark(&mut self, io: &mut JobIo<'_>, media: &MediaInfo, status: &str) -> Result<(), SdError> {
        let update = MediaUpdate {
            vol_name: media.vol_name.clone(),
            vol_jobs: media.vol_jobs,
            vol_files: media.vol_files,
            vol_blocks: media.vol_blocks,
            vol_bytes: media.vol_bytes,
            vol_status: status.into(),
            first_written: media.first_written,
            last_written: now_unix(),
            ..Default::default()
        };
        catreq(io, &CatReq::UpdateMedia { job: io.ctl.job.clone(), update }).await?;
        Ok(())
    }
}

impl OpenVolume {
    fn note_index(&mut self, fi: i32) {
        if self.first_index == 0 {
            self.first_index = fi;
        }
        self.last_index = self.last_index.max(fi);
    }
}

/// Send a catalog request on the job channel and read the director's answer.
async fn catreq(io: &mut JobIo<'_>, req: &CatReq) -> Result<CatAnswer, SdError> {
    io.dir.send_text(req.to_string()).await?;
    read_cat_answer(io.dir, &io.ctl.cancel).await
}

async fn read_cat_answer(dir: &mut Conn, cancel: &CancellationToken) -> Result<CatAnswer, SdError> {
    loop {
        let p = tokio::select! {
            _ = cancel.cancelled() => return Err(SdError::Canceled),
            p = dir.recv_timeout(CATREQ_TIMEOUT) => p?,
        };
        match p {
            Some(Packet::Data(b)) => {
                let line = String::from_utf8_lossy(&b).into_owned();
                if line.starts_with("1000 ") {
                    return Ok(CatAnswer::Ok(line));
                }
                if line.starts_with("1901") {
                    return Ok(CatAnswer::NoMedia(line));
                }
                if line.trim_end() == "cancel" {
                    cancel.cancel();
                    return Err(SdError::Canceled);
                }
                return Err(SdError::Protocol(format!("unexpected answer to a catalog request: {}", line.trim_end())));
            }
            Some(Packet::Signal(Signal::Terminate)) | None => {
                return Err(SdError::Protocol("the director closed the job channel".into()));
            }
            Some(Packet::Signal(_)) => {}
        }
    }
}
