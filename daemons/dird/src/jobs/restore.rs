//! A restore job: the storage daemon reads the volumes a bootstrap names and the
//! file daemon writes the files under `where`.

use std::sync::Arc;

use cairn_proto::msg::{self, FdJobCmd, RestoreCmd, RestoreTarget, SdJobCmd, SdJobOk, StorageCmd, UseStorage};
use cairn_proto::{Packet, Signal};
use cairn_types::{JobStatus, MsgType};

use super::backup::{expect, final_status, reserve_and_run, serve_fd_channel, serve_sd_channel, AttrSink};
use super::links;
use super::report::{self, Counts};
use super::JobControl;
use crate::state::DirState;

/// What a restore job restores and where.
#[derive(Debug, Clone, Default)]
pub struct RestoreSpec {
    /// Jobs the files come from.
    pub jobids: Vec<u32>,
    /// Bareos-style bootstrap text for the storage daemon.
    pub bootstrap: String,
    /// Where the bootstrap was written (shown in the run summary).
    pub bootstrap_path: Option<String>,
    pub where_: Option<String>,
    pub regexwhere: Option<String>,
    /// `a` always, `i` ifnewer, `o` ifolder, `n` never.
    pub replace: char,
    pub files_expected: u64,
    /// Apply `where` to absolute symlink targets too.
    pub prefix_links: bool,
}

impl RestoreSpec {
    pub fn replace_word(&self) -> &'static str {
        match self.replace {
            'i' => "IfNewer",
            'o' => "IfOlder",
            'n' => "Never",
            _ => "Always",
        }
    }
}

/// Parse Bareos's `replace=` words.
pub fn replace_code(word: &str) -> Option<char> {
    match word.to_ascii_lowercase().as_str() {
        "always" | "a" => Some('a'),
        "ifnewer" | "i" => Some('i'),
        "ifolder" | "o" => Some('o'),
        "never" | "n" => Some('n'),
        _ => None,
    }
}

/// Build the bootstrap for a selection of (JobId, FileIndex) pairs.
pub fn build_bootstrap(
    media: &[cairn_catalog::BootstrapMedia],
    selected: &std::collections::BTreeMap<u32, Vec<i32>>,
) -> (String, u64) {
    let mut out = String::new();
    let mut total = 0u64;
    for m in media {
        let Some(idx) = selected.get(&m.jobid) else { continue };
        let mut in_range: Vec<i32> =
            idx.iter().copied().filter(|i| *i as i64 >= m.firstindex && *i as i64 <= m.lastindex).collect();
        if in_range.is_empty() {
            continue;
        }
        let ranges = cairn_catalog::compress_ranges(&mut in_range);
        let count: u64 = ranges.iter().map(|(a, b)| (b - a + 1) as u64).sum();
        out.push_str(&format!("Volume=\"{}\"\n", m.volumename));
        out.push_str(&format!("MediaType=\"{}\"\n", m.mediatype));
        out.push_str(&format!("VolSessionId={}\n", m.volsessionid));
        out.push_str(&format!("VolSessionTime={}\n", m.volsessiontime));
        out.push_str(&format!("VolBlock={}-{}\n", m.startblock, m.endblock));
        for (a, b) in ranges {
            if a == b {
                out.push_str(&format!("FileIndex={a}\n"));
            } else {
                out.push_str(&format!("FileIndex={a}-{b}\n"));
            }
        }
        out.push_str(&format!("Count={count}\n"));
        total += count;
    }
    (out, total)
}

/// Run a restore job to its end.
pub async fn run(state: &Arc<DirState>, ctl: &Arc<JobControl>) -> JobStatus {
    let cfg = state.config();
    let spec = ctl.spec();
    let rs = spec.restore.clone().unwrap_or_default();
    report::job_msg(state, ctl, MsgType::Info, &format!("Start Restore Job {}\n", ctl.job)).await;
    let (Some(client), Some(storage)) = (
        spec.client.as_deref().and_then(|c| cfg.client(c)).cloned(),
        spec.storage.as_deref().and_then(|s| cfg.storage(s)).cloned(),
    ) else {
        report::job_msg(state, ctl, MsgType::Fatal, "The restore has no usable Client or Storage resource.\n").await;
        return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
    };
    let jobid = ctl.jobid;
    let cl = client.name.clone();
    let start = state.clock.now_local();
    let _ = state
        .catalog
        .call(move |c| -> Result<(), cairn_catalog::CatalogError> {
            let clientid = c.client_id(&cl)?.unwrap_or(0);
            c.update_job_start(&cairn_catalog::JobStart {
                jobid: cairn_catalog::JobId(jobid),
                jobstatus: 'R',
                level: ' ',
                starttime: start.format("%Y-%m-%d %H:%M:%S").to_string(),
                jobtdate: start.timestamp(),
                clientid,
                poolid: 0,
                filesetid: 0,
            })
        })
        .await;
    let mut sd = match links::connect_sd(&cfg, &storage).await {
        Ok(c) => c,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("Failed to connect to Storage daemon \"{}\" at {}:{}: {e}\n", storage.name, storage.address, storage.port)).await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    let setup = async {
        let cmd = SdJobCmd {
            job_id: ctl.jobid,
            job: ctl.job.clone(),
            job_name: spec.name.clone(),
            client_name: client.name.clone(),
            job_type: 'R',
            level: ' ',
            fileset: spec.fileset.clone().unwrap_or_else(|| "*None*".into()),
            fileset_md5: String::new(),
        };
        sd.send_text(cmd.to_string()).await.map_err(|e| e.to_string())?;
        let ok = SdJobOk::parse(&expect(&mut sd, "3000 OK Job", "Storage daemon refused the job").await?).map_err(|e| e.to_string())?;
        sd.send_text("bootstrap\n").await.map_err(|e| e.to_string())?;
        sd.send(Packet::text(rs.bootstrap.clone())).await.map_err(|e| e.to_string())?;
        sd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
        expect(&mut sd, "3000 OK bootstrap", "Storage daemon refused the bootstrap").await?;
        let us = UseStorage {
            storage: storage.name.clone(),
            media_type: storage.media_type.clone(),
            pool_name: spec.pool.clone().unwrap_or_else(|| "*None*".into()),
            pool_type: "Backup".into(),
            append: false,
        };
        let dev = reserve_and_run(&mut sd, &us, &storage.devices).await?;
        Ok::<_, String>((ok, dev))
    }
    .await;
    let (ok, dev) = match setup {
        Ok(x) => x,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("{e}\n")).await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    let device = msg::kv(&dev).get("device").cloned().unwrap_or_default();
    report::job_msg(state, ctl, MsgType::Info, &format!("Using Device \"{device}\" to read.\n")).await;
    let mut fd = match links::connect_fd(&cfg, &client).await {
        Ok(c) => c,
        Err(e) => {
            report::job_msg(state, ctl, MsgType::Fatal, &format!("Failed to connect to Client \"{}\" at {}:{}: {e}\n", client.name, client.address, client.port)).await;
            let _ = sd.send_text("cancel\n").await;
            return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
        }
    };
    let fd_setup = async {
        fd.send_text(FdJobCmd { job_id: ctl.jobid, job: ctl.job.clone(), sd_id: ok.sd_id, sd_time: ok.sd_time, authorization: ok.authorization.clone() }.to_string())
            .await
            .map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK Job", "Client refused the job").await?;
        for line in crate::jobs::runscript::client_script_lines(state, ctl) {
            fd.send_text(line).await.map_err(|e| e.to_string())?;
            expect(&mut fd, "2000 OK RunScript", "Client refused a RunScript").await?;
        }
        fd.send_text(StorageCmd { address: storage.address.clone(), port: storage.port }.to_string()).await.map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK storage", "Client could not reach the Storage daemon").await?;
        let target = match (&rs.regexwhere, &rs.where_) {
            (Some(r), _) => RestoreTarget::RegexWhere(r.clone()),
            (None, Some(w)) => RestoreTarget::Where(w.clone()),
            (None, None) => RestoreTarget::Where(String::new()),
        };
        fd.send_text(RestoreCmd { replace: rs.replace, prelinks: rs.prefix_links, target }.to_string()).await.map_err(|e| e.to_string())?;
        expect(&mut fd, "2000 OK restore", "Client refused the restore").await?;
        Ok::<_, String>(())
    }
    .await;
    if let Err(e) = fd_setup {
        report::job_msg(state, ctl, MsgType::Fatal, &format!("{e}\n")).await;
        let _ = sd.send_text("cancel\n").await;
        return report::finish(state, ctl, JobStatus::FatalError, Counts::default()).await;
    }
    let mut sink = AttrSink::new(ctl.jobid);
    let client_name = client.name.clone();
    let (sd_out, fd_out) = tokio::join!(
        serve_sd_channel(state, ctl, &mut sd, &mut sink),
        serve_fd_channel(state, ctl, &mut fd, &client_name)
    );
    sd.close().await;
    fd.close().await;
    let status = final_status(ctl, &fd_out.end, &sd_out.end);
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
        vol_session_id: ok.sd_id,
        vol_session_time: ok.sd_time,
        volumes: sd_out.volumes,
        last_vol_bytes: 0,
        device,
        ..Counts::default()
    };
    report::finish(state, ctl, status, counts).await
}
