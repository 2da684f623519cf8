//! A backup job: level decision, storage daemon setup, file daemon commands, the
//! storage daemon's catalog requests and attribute records, and the end.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cairn_catalog::{JobId, NewFile};
use cairn_proto::msg::{self, Attributes, CatReq, FdJobCmd, FdJobEnd, Jmsg, LevelCmd, Progress, SdJobCmd, SdJobEnd, SdJobOk, StorageCmd, UpdCat, UseStorage};
use cairn_proto::{Conn, Packet, Signal};
use cairn_types::{JobLevel, JobStatus, MsgType};

use super::links::{self, read_line};
use super::report::{self, Counts};
use super::JobControl;
use crate::state::DirState;

/// How long a daemon may stay silent during a job before the director gives up.
pub const JOB_IDLE_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// Attribute rows written to the catalog per transaction.
const BATCH: usize = 5000;

fn fail(s: &str) -> String {
    s.trim_end().to_string()
}

/// What happened on the storage daemon's job channel.
#[derive(Debug, Default)]
pub struct SdOutcome {
    pub end: Option<SdJobEnd>,
    pub volumes: Vec<String>,
    pub files_inserted: u64,
    pub last_vol_bytes: u64,
}

/// Collects attribute records and writes them to the catalog in batches.
pub struct AttrSink {
    jobid: u32,
    pending: Option<NewFile>,
    batch: Vec<NewFile>,
    pub inserted: u64,
}

impl AttrSink {
    pub fn new(jobid: u32) -> Self {
        AttrSink { jobid, pending: None, batch: Vec::with_capacity(BATCH), inserted: 0 }
    }

    /// Take one `UpdCat` record.
    pub async fn record(&mut self, state: &DirState, file_index: i32, stream: i32, payload: &[u8]) -> Result<(), String> {
        if stream == msg::stream::UNIX_ATTRIBUTES {
            let a = Attributes::decode(payload).map_err(|e| e.to_string())?;
            if let Some(p) = self.pending.take() {
                self.push(state, p).await?;
            }
            let (path, name) = split_path(&a.path);
            let fileindex = if a.file_type == msg::file_type::DELETED { 0 } else { a.file_index };
            self.pending = Some(NewFile {
                path,
                name,
                fileindex: fileindex as i64,
                lstat: a.lstat,
                md5: String::new(),
                deltaseq: a.delta_seq as i64,
            });
        } else if msg::stream::is_digest(stream) {
            if let Some(p) = self.pending.as_mut() {
                if p.fileindex == file_index as i64 {
                    p.md5 = cairn_proto::auth::bareos_base64(payload, true);
                }
            }
        }
        Ok(())
    }

    async fn push(&mut self, state: &DirState, f: NewFile) -> Result<(), String> {
        self.batch.push(f);
        if self.batch.len() >= BATCH {
            self.flush(state).await?;
        }
        Ok(())
    }

    /// Write everything buffered.
    pub async fn flush(&mut self, state: &DirState) -> Result<(), String> {
        if let Some(p) = self.pending.take() {
            self.batch.push(p);
        }
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let n = batch.len() as u64;
        let jobid = self.jobid;
        state
            .catalog
            .call(move |c| c.insert_files(JobId(jobid), &batch))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        self.inserted += n;
        Ok(())
    }
}

/// Split a path into the catalog's (Path, Name): directories keep the whole path
/// (ending in `/`) and an empty name.
pub fn split_path(p: &str) -> (String, String) {
    if p.ends_with('/') {
        return (p.to_string(), String::new());
    }
    match p.rfind('/') {
        Some(i) => (p[..=i].to_string(), p[i + 1..].to_string()),
        None => (String::new(), p.to_string()),
    }
}

/// Answer one catalog request of the storage daemon.
pub async fn answer_catreq(
    state: &Arc<DirState>,
    ctl: &JobControl,
    req: CatReq,
    out: &mut SdOutcome,
) -> String {
    match req {
        CatReq::FindMedia { pool_name, media_type, unwanted, .. } => {
            let pool = pool_name.clone();
            let storage_name = ctl.spec().storage.clone();
            let res = state
                .catalog
                .call(move |c| -> Result<Option<(cairn_catalog::MediaRow, bool)>, cairn_catalog::CatalogError> {
                    let Some(pool_row) = c.get_pool(&pool)? else { return Ok(None) };
                    if let Some(m) = c.find_appendable_volume(pool_row.poolid, &media_type, &unwanted)? {
                        return Ok(Some((m, false)));
                    }
                    let can_label = !pool_row.labelformat.is_empty() && pool_row.labelformat != "*";
                    let room = pool_row.maxvols == 0 || pool_row.numvols < pool_row.maxvols;
                    if can_label && room {
                        let storage_id = match &storage_name {
                            Some(s) => c.storage_id(s)?.unwrap_or(0),
                            None => 0,
                        };
                        let m = c.create_volume_for_pool(&pool_row, &media_type, storage_id)?;
                        return Ok(Some((m, true)));
                    }
                    Ok(None)
                })
                .await;
            match res {
                Ok(Ok(Some((m, created)))) => {
                    if created {
                        report::job_msg(state, ctl, MsgType::Info, &format!("Created new Volume \"{}\" in catalog.\n", m.volumename)).await;
                    }
                    if !out.volumes.contains(&m.volumename) {
                        out.volumes.push(m.volumename.clone());
                    }
                    msg::MediaInfo {
                        vol_name: m.volumename.clone(),
                        media_id: m.mediaid,
                        vol_jobs: m.voljobs.max(0) as u64,
                        vol_files: m.volfiles.max(0) as u64,
                        vol_blocks: m.volblocks.max(0) as u64,
                        vol_bytes: m.volbytes.max(0) as u64,
                        vol_status: m.volstatus.clone(),
                        max_vol_bytes: m.maxvolbytes.max(0) as u64,
                        max_vol_jobs: m.maxvoljobs.max(0) as u64,
                        max_vol_files: m.maxvolfiles.max(0) as u64,
                        vol_use_duration: m.voluseduration.max(0) as u64,
                        first_written: 0,
                        new_volume: created || m.volbytes == 0,
                        pool_name,
                    }
                    .to_string()
                }
                Ok(Ok(None)) => {
                    report::job_msg(state, ctl, MsgType::Warning, &format!("No appendable Volume in Pool \"{pool_name}\" and no new one may be labelled.\n")).await;
                    "1901 No Media.\n".into()
                }
                Ok(Err(e)) => {
                    report::job_msg(state, ctl, MsgType::Error, &format!("Catalog error finding a volume: {e}\n")).await;
                    "1901 No Media.\n".into()
                }
                Err(e) => format!("1901 No Media: {e}\n"),
            }
        }
        CatReq::UpdateMedia { update, .. } => {
            out.last_vol_bytes = update.vol_bytes;
            if !out.volumes.contains(&update.vol_name) {
                out.volumes.push(update.vol_name.clone());
            }
            let u = update.clone();
            let res = state
                .catalog
                .call(move |c| -> Result<cairn_catalog::MediaRow, cairn_catalog::CatalogError> {
                    let Some(row) = c.get_media(&u.vol_name)? else {
                        return Err(cairn_catalog::CatalogError::NotFound { what: "volume", key: u.vol_name.clone() });
                    };
                    let mut m = cairn_catalog::MediaUpdate::from_row(&row);
                    m.voljobs = u.vol_jobs as i64;
                    m.volfiles = u.vol_files as i64;
                    m.volblocks = u.vol_blocks as i64;
                    m.volbytes = u.vol_bytes as i64;
                    m.volmounts = u.vol_mounts as i64;
                    m.volerrors = u.vol_errors as i64;
                    m.volwrites = u.vol_writes as i64;
                    if !u.vol_status.is_empty() {
                        m.volstatus = u.vol_status.clone();
                    }
                    if u.first_written > 0 && row.firstwritten.is_none() {
                        m.firstwritten = Some(cairn_catalog::unix_to_string(u.first_written));
                    }
                    if u.last_written > 0 {
                        m.lastwritten = Some(cairn_catalog::unix_to_string(u.last_written));
                    }
                    if u.labeled > 0 {
                        m.labeldate = Some(cairn_catalog::unix_to_string(u.labeled));
                    }
                    c.update_media_counters(&m)
                })
                .await;
            match res {
                Ok(Ok(row)) => format!("1000 OK UpdateMedia VolStatus={}\n", row.volstatus),
                Ok(Err(e)) => format!("1991 Catalog Request for vol={} failed: {e}\n", update.vol_name),
                Err(e) => format!("1991 Catalog Request failed: {e}\n"),
            }
        }
        CatReq::CreateJobMedia { jm, .. } => {
            let jobid = ctl.jobid;
            let res = state
                .catalog
                .call(move |c| {
                    c.create_jobmedia(&cairn_catalog::NewJobMedia {
                        jobid,
                        mediaid: jm.media_id,
                        firstindex: jm.first_index as i64,
                        lastindex: jm.last_index as i64,
                        startfile: jm.start_file as i64,
                        endfile: jm.end_file as i64,
                        startblock: jm.start_block as i64,
                        endblock: jm.end_block as i64,
                        jobbytes: jm.job_bytes as i64,
                        volindex: jm.vol_index as i64,
                    })
                })
                .await;
            match res {
                Ok(Ok(_)) => "1000 OK CreateJobMedia\n".into(),
                Ok(Err(e)) => format!("1992 Update JobMedia error: {e}\n"),
                Err(e) => format!("1992 Update JobMedia error: {e}\n"),
            }
        }
    }
}

/// Serve the storage daemon's job channel until its end message.
pub async fn serve_sd_channel(state: &Arc<DirState>, ctl: &JobControl, conn: &mut Conn, sink: &mut AttrSink) -> SdOutcome {
    let mut out = SdOutcome::default();
    let mut cancel_sent = false;
    loop {
        let p = tokio::select! {
            p = conn.recv_timeout(JOB_IDLE_TIMEOUT) => p,
            _ = ctl.cancel.cancelled(), if !cancel_sent => {
                cancel_sent = true;
                let _ = conn.send_text("cancel\n").await;
                continue;
            }
        };
        match p {
            Ok(Some(Packet::Data(b))) => {
                if b.starts_with(b"UpdCat ") {
                    match UpdCat::parse(&b) {
                        Ok(u) => {
                            if let Err(e) = sink.record(state, u.file_index, u.stream, u.payload).await {
                                report::job_msg(state, ctl, MsgType::Error, &format!("Attribute record not stored: {e}\n")).await;
                            }
                        }
                        Err(e) => report::job_msg(state, ctl, MsgType::Error, &format!("{e}\n")).await,
                    }
                    continue;
                }
                let line = String::from_utf8_lossy(&b).into_owned();
                if line.starts_with("CatReq ") {
                    let reply = match CatReq::parse(&line) {
                        Ok(r) => answer_catreq(state, ctl, r, &mut out).await,
                        Err(e) => format!("1990 Invalid Catalog Request: {e}\n"),
                    };
                    if conn.send_text(reply).await.is_err() {
                        break;
                    }
                } else if line.starts_with("Jmsg ") {
                    if let Ok(j) = Jmsg::parse(&line) {
                        let sd = ctl.spec().storage.unwrap_or_default();
                        report::daemon_msg(state, ctl, &format!("{}-sd", sd.trim_end_matches("-sd")), j.msg_type, &j.text).await;
                    }
                } else if line.starts_with("Progress ") {
                    if let Ok(p) = Progress::parse(&line) {
                        ctl.files.store(p.files, Ordering::Relaxed);
                        ctl.bytes.store(p.bytes, Ordering::Relaxed);
                    }
                } else if line.starts_with("3099 Job ") {
                    out.end = SdJobEnd::parse(&line).ok();
                } else if line.starts_with("Status ") {
                    // informational
                } else {
                    tracing::debug!(job = %ctl.job, "unexpected SD frame: {}", line.trim_end());
                }
            }
            Ok(Some(Packet::Signal(Signal::EodPoll | Signal::Poll))) => {
                let _ = conn.send_text("1000 OK\n").await;
            }
            Ok(Some(Packet::Signal(Signal::Eod | Signal::Terminate))) | Ok(None) => break,
            Ok(Some(Packet::Signal(_))) => continue,
            Err(e) => {
                report::job_msg(state, ctl, MsgType::Error, &format!("Storage daemon connection: {e}\n")).await;
                break;
            }
        }
        if out.end.is_some() && ctl.cancel.is_cancelled() {
            break;
        }
    }
    out.files_inserted = sink.inserted;
    out
}

/// What happened on the file daemon's connection.
#[derive(Debug, Default)]
pub struct FdOutcome {
    pub end: Option<FdJobEnd>,
}

/// Read the file daemon's messages until `2800 End Job`.
pub async fn serve_fd_channel(state: &Arc<DirState>, ctl: &JobControl, conn: &mut Conn, client: &str) -> FdOutcome {
    let mut out = FdOutcome::default();
    loop {
        let p = tokio::select! {
            p = conn.recv_timeout(JOB_IDLE_TIMEOUT) => p,
            _ = ctl.cancel.cancelled() => {
                // The cancel goes to the FD on its own connection; keep reading its end.
                match conn.recv_timeout(Duration::from_secs(30)).await {
                    Ok(p) => Ok(p),
                    Err(_) => break,
                }
            }
        };
        match p {
            Ok(Some(Packet::Data(b))) => {
                let line = String::from_utf8_lossy(&b).into_owned();
                if line.starts_with("Jmsg ") {
                    if let Ok(j) = Jmsg::parse(&line) {
                        report::daemon_msg(state, ctl, client, j.msg_type, &j.text).await;
                    }
                } else if line.starts_with("Progress ") {
                    if let Ok(p) = Progress::parse(&line) {
                        ctl.files.store(p.files, Ordering::Relaxed);
                        ctl.bytes.store(p.bytes, Ordering::Relaxed);
                    }
                } else if line.starts_with("2800 End Job") {
                    out.end = FdJobEnd::parse(&line).ok();
                } else if line.starts_with("2000 OK") {
                    continue;
                } else if line.starts_with("2") && line.len() > 4 {
                    report::job_msg(state, ctl, MsgType::Error, &format!("File daemon: {}\n", line.trim_end())).await;
                }
            }
            Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) => break,
            Ok(Some(Packet::Signal(Signal::Heartbeat))) => {
                let _ = conn.send_signal(Signal::HbResponse).await;
            }
            Ok(Some(Packet::Signal(_))) => continue,
            Err(e) => {
                report::job_msg(state, ctl, MsgType::Error, &format!("File daemon connection: {e}\n")).await;
                break;
            }
        }
    }
    out
}

/// Expect a reply line starting with `want`; otherwise a readable error.
/// Reserve a device on the storage daemon (`use storage=…` plus one `use
/// device=…` per device, then EOD) and start the job there (`run`); returns the
/// SD's `3000 OK use device …` line. Shared by backup and restore.
pub async fn reserve_and_run(sd: &mut Conn, us: &UseStorage, devices: &[String]) -> Result<String, String> {
    sd.send_text(us.to_string()).await.map_err(|e| e.to_string())?;
    for d in devices {
        sd.send_text(msg::use_device(d)).await.map_err(|e| e.to_string())?;
    }
    sd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
    let dev = expect(sd, "3000 OK use device", "Storage daemon could not reserve a device").await?;
    sd.send_text("run\n").await.map_err(|e| e.to_string())?;
    expect(sd, "3000 OK run", "Storage daemon did not start the job").await?;
    Ok(dev)
}

pub async fn expect(conn: &mut Conn, want: &str, what: &str) -> Result<String, String> {
    match read_line(conn, ANSWER_TIMEOUT).await {
        Ok(l) if l.starts_with(want) => Ok(l),
        Ok(l) => Err(format!("{what}: {}", fail(&l))),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// Decide the level actually run (Bareos's upgrade rules) and the since time.
async fn decide_level(state: &Arc<DirState>, ctl: &JobControl) -> (JobLevel, Option<(i64, String)>) {
    let spec = ctl.spec();
    let cfg = state.config();
    let job_res = cfg.job(&spec.name).cloned();
    let level = spec.level;
    if !matches!(level, JobLevel::Incremental | JobLevel::Differential) {
        return (JobLevel::Full, None);
    }
    let name = spec.name.clone();
    let client = spec.client.clone().unwrap_or_default();
    let fileset = spec.fileset.clone().unwrap_or_default();
    let res = state
        .catalog
        .call(move |c| -> Result<_, cairn_catalog::CatalogError> {
            let client_id = c.client_id(&client)?.unwrap_or(0);
            let fs_id = c.fileset_id(&fileset)?;
            let full = c.last_successful_job(&name, client_id, None, &['F'])?;
            let any = c.last_successful_job(&name, client_id, None, &['F', 'D', 'I'])?;
            let diff_or_full = c.last_successful_job(&name, client_id, None, &['F', 'D'])?;
            Ok((full, any, diff_or_full, fs_id))
        })
        .await;
    let (full, any, _df, fs_id) = match res {
        Ok(Ok(x)) => x,
        _ => (None, None, None, None),
    };
    let Some(full) = full else {
        report::job_msg(state, ctl, MsgType::Info, "No prior Full backup Job record found.\n").await;
        report::job_msg(state, ctl, MsgType::Info, "No prior or suitable Full backup found in catalog. Doing FULL backup.\n").await;
        return (JobLevel::Full, None);
    };
    if let Some(fs) = fs_id {
        if full.filesetid != fs && !cfg.fileset(&spec.fileset.clone().unwrap_or_default()).is_some_and(|f| f.ignore_fileset_changes) {
            report::job_msg(state, ctl, MsgType::Info, "FileSet changed since the last Full backup: upgrading to Full.\n").await;
            return (JobLevel::Full, None);
        }
    }
    if let (Some(max), Some(st)) = (job_res.as_ref().and_then(|j| j.max_full_interval), full.jobtdate.checked_add(0)) {
        if max > 0 && state.clock.now_unix() - st > max as i64 {
            report::job_msg(state, ctl, MsgType::Info, "Max Full Interval exceeded: upgrading to Full.\n").await;
            return (JobLevel::Full, None);
        }
    }
    let since_row = if level == JobLevel::Differential { Some(full) } else { any };
    match since_row {
        Some(r) => {
            let since = r
                .starttime
                .as_deref()
                .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
                .and_then(|n| n.and_local_timezone(chrono::Local).single())
                .map(|t| t.timestamp())
                .unwrap_or(r.jobtdate);
            let when = r.starttime.clone().unwrap_or_default();
            report::job_msg(state, ctl, MsgType::Info, &format!("Using since time {} from JobId {} ({}).\n", when, r.jobid, r.job)).await;
            (level, Some((since, r.job.clone())))
        }
        None => (JobLevel::Full, None),
    }
}

/// Run a backup job to its end; returns the final status.
pub async fn run(state: &Arc<DirState>, ctl: &Arc<JobControl>) -> JobStatus {
    let cfg = state.config();
    let spec = ctl.spec();
    report::job_msg(state, ctl, MsgType::Info, &format!("Start Backup JobId {}, Job={}\n", ctl.jobid, ctl.job)).await;
    let (Some(client), Some(fileset), Some(storage)) = (
        spec.client.as_deref().and_then(|c| cfg.client(c)).cloned(),
        spec.fileset.as_deref().and_then(|f| cfg.fileset(f)).cloned(),
        spec.storage.as_deref().and_then(|s| cfg.storage(s)).cloned(),
    ) else {
        report::job_msg(state, ctl, MsgType::Fatal, "The job has no usable Client, FileSet or Storage resource.\n").await;
        return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
    };
    let (level, since) = decide_level(state, ctl).await;
    let mut spec = spec;
    if level != spec.level {
        // An upgraded level takes its level's pool override, as Bareos does.
        if let Some((p, src)) = spec.level_pools.for_level(level) {
            spec.pool = Some(p.clone());
            spec.pool_source = src.clone();
        }
        if let Ok(mut s) = ctl.spec.lock() {
            s.level = level;
            s.pool = spec.pool.clone();
            s.pool_source = spec.pool_source.clone();
        }
    }
    let pool = spec.pool.clone().unwrap_or_default();
    let jobid = ctl.jobid;
    let (cl, fs) = (client.name.clone(), fileset.name.clone());
    let start = state.clock.now_local();
    let _ = state
        .catalog
        .call(move |c| -> Result<(), cairn_catalog::CatalogError> {
            let clientid = c.client_id(&cl)?.unwrap_or(0);
            let filesetid = c.fileset_id(&fs)?.unwrap_or(0);
            let poolid = c.pool_id(&pool)?.unwrap_or(0);
            c.update_job_start(&cairn_catalog::JobStart {
                jobid: JobId(jobid),
                jobstatus: 'R',
                level: level.code(),
                starttime: start.format("%Y-%m-%d %H:%M:%S").to_string(),
                jobtdate: start.timestamp(),
                clientid,
                poolid,
                filesetid,
            })
        })
        .await;

    // Storage daemon: open the job and reserve a device.
    let mut sd = match links::connect_sd(&cfg, &storage).await {
        Ok(c) => c,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("Failed to connect to Storage daemon \"{}\" at {}:{}: {e}\n", storage.name, storage.address, storage.port)).await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    report::job_msg(state, ctl, MsgType::Info, &format!("Connected Storage daemon at {}:{}, encryption: None\n", storage.address, storage.port)).await;
    let fs_text = cfg.resources.to_config_text(Some(("FileSet", Some(fileset.name.as_str()))), false, true);
    let sd_job = SdJobCmd {
        job_id: ctl.jobid,
        job: ctl.job.clone(),
        job_name: spec.name.clone(),
        client_name: client.name.clone(),
        job_type: 'B',
        level: level.code(),
        fileset: fileset.name.clone(),
        fileset_md5: cairn_proto::auth::md5_hex(fs_text.as_bytes()),
    };
    let sd_ok = async {
        sd.send_text(sd_job.to_string()).await.map_err(|e| e.to_string())?;
        let ok = SdJobOk::parse(&expect(&mut sd, "3000 OK Job", "Storage daemon refused the job").await?).map_err(|e| e.to_string())?;
        let pool_type = cfg.pool(&spec.pool.clone().unwrap_or_default()).map(|p| p.pool_type.clone()).unwrap_or_else(|| "Backup".into());
        let us = UseStorage {
            storage: storage.name.clone(),
            media_type: storage.media_type.clone(),
            pool_name: spec.pool.clone().unwrap_or_default(),
            pool_type,
            append: true,
        };
        let dev = reserve_and_run(&mut sd, &us, &storage.devices).await?;
        Ok::<_, String>((ok, dev))
    }
    .await;
    let (sd_ok, dev_line) = match sd_ok {
        Ok(x) => x,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("{e}\n")).await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    let device = msg::kv(&dev_line).get("device").cloned().unwrap_or_default();
    report::job_msg(state, ctl, MsgType::Info, &format!("Using Device \"{device}\" to write.\n")).await;

    // File daemon.
    let mut fd = match links::connect_fd(&cfg, &client).await {
        Ok(c) => c,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("Failed to connect to Client \"{}\" at {}:{}: {e}\n", client.name, client.address, client.port)).await;
            // Tell the SD to drop the job (not the user's cancel: the job failed).
            let _ = sd.send_text("cancel\n").await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    report::job_msg(state, ctl, MsgType::Info, &format!("Connected Client: {} at {}:{}, encryption: None\n", client.name, client.address, client.port)).await;
    let accurate = spec.accurate;
    let fd_setup = async {
        fd.send_text(FdJobCmd { job_id: ctl.jobid, job: ctl.job.clone(), sd_id: sd_ok.sd_id, sd_time: sd_ok.sd_time, authorization: sd_ok.authorization.clone() }.to_string())
            .await
            .map_err(|e| e.to_string())?;
        let hello = expect(&mut fd, "2000 OK Job", "Client refused the job").await?;
        let uname = hello.trim_end().trim_start_matches("2000 OK Job").trim().to_string();
        let cn = client.name.clone();
        let un = uname.clone();
        let _ = state.catalog.call(move |c| c.update_client_uname(&cn, &un)).await;
        let lvl = match &since {
            None => LevelCmd::Full { accurate, mtime_only: false },
            Some((t, prev)) => LevelCmd::Since { since: *t, prev_job: prev.clone(), accurate, mtime_only: false },
        };
        fd.send_text(lvl.to_string()).await.map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK level", "Client refused the level").await?;
        let resolved = crate::jobs::fileset::resolve(&fileset).map_err(|e| format!("FileSet \"{}\": {e}", fileset.name))?;
        let json = serde_json::to_string(&resolved).map_err(|e| e.to_string())?;
        fd.send_text("fileset\n").await.map_err(|e| e.to_string())?;
        fd.send(Packet::text(json)).await.map_err(|e| e.to_string())?;
        fd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK include", "Client refused the FileSet").await?;
        for line in crate::jobs::runscript::client_script_lines(state, ctl) {
            fd.send_text(line).await.map_err(|e| e.to_string())?;
            expect(&mut fd, "2000 OK RunScript", "Client refused a RunScript").await?;
        }
        if accurate && since.is_some() {
            send_accurate_list(state, ctl, &mut fd, &spec).await?;
        }
        fd.send_text(StorageCmd { address: storage.address.clone(), port: storage.port }.to_string()).await.map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK storage", "Client could not reach the Storage daemon").await?;
        fd.send_text("backup FileIndex=0\n").await.map_err(|e| e.to_string())?;
        Ok::<_, String>(uname)
    }
    .await;
    let client_uname = match &fd_setup {
        Ok(u) => u.clone(),
        Err(_) => String::new(),
    };
    if let Err(e) = fd_setup {
        report::job_msg(state, ctl, MsgType::Fatal, &format!("{e}\n")).await;
        let _ = sd.send_text("cancel\n").await;
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            let mut sink = AttrSink::new(ctl.jobid);
            serve_sd_channel(state, ctl, &mut sd, &mut sink).await
        })
        .await;
        return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
    }

    let mut sink = AttrSink::new(ctl.jobid);
    let client_name = client.name.clone();
    let (sd_out, fd_out) = tokio::join!(
        serve_sd_channel(state, ctl, &mut sd, &mut sink),
        serve_fd_channel(state, ctl, &mut fd, &client_name)
    );
    if let Err(e) = sink.flush(state).await {
        report::job_msg(state, ctl, MsgType::Error, &format!("Catalog error writing file attributes: {e}\n")).await;
    }
    sd.close().await;
    fd.close().await;

    let status = final_status(ctl, &fd_out.end, &sd_out.end);
    if let Ok(mut v) = ctl.volumes.lock() {
        *v = sd_out.volumes.clone();
    }
    let counts = Counts {
        fd_files: fd_out.end.as_ref().map(|e| e.files).unwrap_or(0),
        fd_bytes: fd_out.end.as_ref().map(|e| e.bytes).unwrap_or(0),
        read_bytes: fd_out.end.as_ref().map(|e| e.read_bytes).unwrap_or(0),
        fd_errors: fd_out.end.as_ref().map(|e| e.errors).unwrap_or(0),
        sd_files: sd_out.end.as_ref().map(|e| e.files).unwrap_or(0),
        sd_bytes: sd_out.end.as_ref().map(|e| e.bytes).unwrap_or(0),
        sd_errors: sd_out.end.as_ref().map(|e| e.errors).unwrap_or(0),
        fd_status: fd_out.end.as_ref().map(|e| e.status),
        sd_status: sd_out.end.as_ref().map(|e| e.status),
        vol_session_id: sd_ok.sd_id,
        vol_session_time: sd_ok.sd_time,
        volumes: sd_out.volumes.clone(),
        last_vol_bytes: sd_out.last_vol_bytes,
        device,
        level_note: if level != spec.level { format!(" (upgraded from {})", spec.level.long_name()) } else { String::new() },
        client_uname,
        fileset_created: String::new(),
    };
    report::finish(state, ctl, status, counts).await
}

/// Combine the daemons' end states into the job's status.
pub fn final_status(ctl: &JobControl, fd: &Option<FdJobEnd>, sd: &Option<SdJobEnd>) -> JobStatus {
    if ctl.cancel.is_cancelled() {
        return JobStatus::Canceled;
    }
    let (Some(f), Some(s)) = (fd, sd) else { return JobStatus::ErrorTerminated };
    let fs = JobStatus::from_code(f.status).unwrap_or(JobStatus::ErrorTerminated);
    let ss = JobStatus::from_code(s.status).unwrap_or(JobStatus::ErrorTerminated);
    for bad in [JobStatus::FatalError, JobStatus::ErrorTerminated, JobStatus::Canceled] {
        if fs == bad || ss == bad {
            return bad;
        }
    }
    if fs == JobStatus::Warnings || ss == JobStatus::Warnings || f.errors > 0 || s.errors > 0 {
        return JobStatus::Warnings;
    }
    JobStatus::Terminated
}

/// Send the accurate list: every file the previous backups of the chain saw.
async fn send_accurate_list(state: &Arc<DirState>, ctl: &JobControl, fd: &mut Conn, spec: &super::JobSpec) -> Result<(), String> {
    let client = spec.client.clone().unwrap_or_default();
    let fileset = spec.fileset.clone().unwrap_or_default();
    let level = spec.level.code();
    let entries = state
        .catalog
        .call(move |c| -> Result<Vec<(String, String, String)>, cairn_catalog::CatalogError> {
            let client_id = c.client_id(&client)?.unwrap_or(0);
            let fileset_id = c.fileset_id(&fileset)?.unwrap_or(0);
            // Differential: the Full; Incremental: Full + Differential + Incrementals.
            let chain = c.accurate_jobids(client_id, fileset_id, level, false, None)?;
            let mut v = Vec::new();
            c.accurate_list(&chain, |path, lstat, md5| v.push((path.to_string(), lstat.to_string(), md5.to_string())))?;
            Ok(v)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    report::job_msg(state, ctl, MsgType::Info, &format!("Sending Accurate information to the FD ({} files).\n", entries.len())).await;
    fd.send_text(format!("accurate files={}\n", entries.len())).await.map_err(|e| e.to_string())?;
    for (p, l, m) in entries {
        let mut b = Vec::with_capacity(p.len() + l.len() + m.len() + 3);
        for part in [p.as_bytes(), l.as_bytes(), m.as_bytes()] {
            b.extend_from_slice(part);
            b.push(0);
        }
        fd.feed(Packet::Data(b.into())).await.map_err(|e| e.to_string())?;
    }
    fd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
    expect(fd, "2000 OK accurate", "Client refused the accurate list").await?;
    Ok(())
}
