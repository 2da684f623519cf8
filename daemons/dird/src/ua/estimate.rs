//! `estimate job= [client= fileset= level= accurate=] [listing]`: ask the file
//! daemon how many files and bytes a backup would save.

use std::time::Duration;

use cairn_proto::msg::{FdJobCmd, LevelCmd};
use cairn_proto::{Packet, Signal};
use cairn_types::JobLevel;
use serde_json::{Map, Value};

use super::output::Output;
use super::{AclKind, Ctx, NoAnswer};
use crate::jobs::links;

/// `estimate …`.
pub async fn estimate(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let cfg = ctx.cfg.clone();
    let a = ctx.args;
    let job_name = match a.value("job") {
        Some(j) => j.to_string(),
        None => {
            let names: Vec<String> = cfg
                .jobs
                .iter()
                .filter(|j| j.job_type == cairn_types::JobType::Backup && ctx.session.allows(AclKind::Job, &j.name))
                .map(|j| j.name.clone())
                .collect();
            match ctx.menu(out, "The defined Job resources are:", &names, "Select Job resource").await {
                Ok(i) => names[i].clone(),
                Err(NoAnswer::NotInteractive) => {
                    out.error("estimate: please give job=<name>.\n");
                    return false;
                }
                Err(_) => return false,
            }
        }
    };
    let a = ctx.args;
    let Some(job) = cfg.job(&job_name).filter(|j| ctx.session.allows(AclKind::Job, &j.name)) else {
        out.error(format!("Job \"{job_name}\" not found.\n"));
        return false;
    };
    let client_name = a.value("client").map(str::to_string).or_else(|| job.client.clone()).unwrap_or_default();
    let fileset_name = a.value("fileset").map(str::to_string).or_else(|| job.fileset.clone()).unwrap_or_default();
    // Resources outside the console's ACLs do not exist for it (Bareos EstimateCmd).
    let (Some(client), Some(fileset)) = (
        cfg.client(&client_name).filter(|c| ctx.session.allows(AclKind::Client, &c.name)),
        cfg.fileset(&fileset_name).filter(|f| ctx.session.allows(AclKind::FileSet, &f.name)),
    ) else {
        out.error(format!("Client \"{client_name}\" or FileSet \"{fileset_name}\" not found.\n"));
        return false;
    };
    let level = match a.value("level") {
        Some(l) => match JobLevel::from_keyword(l) {
            Some(l) => l,
            None => {
                out.error(format!("Level \"{l}\" not valid.\n"));
                return false;
            }
        },
        None => job.level.unwrap_or(JobLevel::Full),
    };
    let accurate = a.value("accurate").map(|v| v.eq_ignore_ascii_case("yes")).unwrap_or(job.accurate);
    let listing = a.has("listing");
    // Since time for Incremental/Differential, as a backup would use it.
    let since = if matches!(level, JobLevel::Incremental | JobLevel::Differential) {
        let (name, cl) = (job.name.clone(), client.name.clone());
        let levels: Vec<char> = if level == JobLevel::Differential { vec!['F'] } else { vec!['F', 'D', 'I'] };
        ctx.state
            .catalog
            .call(move |c| -> Option<(i64, String)> {
                let cid = c.client_id(&cl).ok().flatten()?;
                let r = c.last_successful_job(&name, cid, None, &levels).ok().flatten()?;
                Some((r.jobtdate, r.job))
            })
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let resolved = match crate::jobs::fileset::resolve(fileset) {
        Ok(f) => f,
        Err(e) => {
            out.error(format!("FileSet \"{}\": {e}\n", fileset.name));
            return false;
        }
    };
    out.text(format!("Connecting to Client {} at {}:{}\n", client.name, client.address, client.port));
    let r = async {
        let mut fd = links::connect_fd(&cfg, client).await.map_err(|e| format!("Failed to connect to Client {}: {e}", client.name))?;
        fd.send_text(FdJobCmd { job_id: 0, job: format!("{}.estimate", job.name), sd_id: 0, sd_time: 0, authorization: "-".into() }.to_string())
            .await
            .map_err(|e| e.to_string())?;
        crate::jobs::backup::expect(&mut fd, "2000 OK Job", "Client refused the job").await?;
        let lvl = match &since {
            Some((t, prev)) => LevelCmd::Since { since: *t, prev_job: prev.clone(), accurate, mtime_only: false },
            None => LevelCmd::Full { accurate, mtime_only: false },
        };
        fd.send_text(lvl.to_string()).await.map_err(|e| e.to_string())?;
        crate::jobs::backup::expect(&mut fd, "2000 OK level", "Client refused the level").await?;
        let json = serde_json::to_string(&resolved).map_err(|e| e.to_string())?;
        fd.send_text("fileset\n").await.map_err(|e| e.to_string())?;
        fd.send(Packet::text(json)).await.map_err(|e| e.to_string())?;
        fd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
        crate::jobs::backup::expect(&mut fd, "2000 OK include", "Client refused the FileSet").await?;
        fd.send_text(format!("estimate listing={}\n", u8::from(listing))).await.map_err(|e| e.to_string())?;
        let mut lines = Vec::new();
        loop {
            match fd.recv_timeout(Duration::from_secs(3600)).await.map_err(|e| e.to_string())? {
                Some(Packet::Data(b)) => {
                    let l = String::from_utf8_lossy(&b).into_owned();
                    if l.starts_with("2000 OK estimate") {
                        fd.close().await;
                        return Ok((lines, l));
                    }
                    if l.starts_with("2") && l.get(4..5) == Some(" ") && l.as_bytes().first().is_some_and(|c| c.is_ascii_digit()) {
                        return Err(l.trim_end().to_string());
                    }
                    lines.push(l);
                }
                Some(Packet::Signal(_)) => continue,
                None => return Err("the client closed the connection".into()),
            }
        }
    }
    .await;
    match r {
        Ok((lines, summary)) => {
            for l in &lines {
                out.text(if l.ends_with('\n') { l.clone() } else { format!("{l}\n") });
            }
            out.text(summary.clone());
            let kv = cairn_proto::msg::kv(&summary);
            let mut m = Map::new();
            m.insert("files".into(), Value::from(kv.get("files").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)));
            m.insert("bytes".into(), Value::from(kv.get("bytes").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)));
            if listing {
                m.insert("listing".into(), Value::Array(lines.iter().map(|l| Value::from(l.trim_end().to_string())).collect()));
            }
            out.set("estimate", Value::Object(m));
            true
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            false
        }
    }
}
