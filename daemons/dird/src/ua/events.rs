//! `.events [jobid=N] [joblog=yes|no] [trace=yes|no]` (Cairn extension): turn the
//! console connection into a stream of JSON events, one per data packet, until
//! the console sends anything (that packet is consumed, not executed) or hangs
//! up. See PROTOCOL.md §4.8.
//!
//! Events: `subscribed` (first), `job` (a job appeared or changed status),
//! `progress` (files/bytes of a running job changed; sampled every 500 ms),
//! `ended` (a job left the queue, with its final status), `joblog` (a line of a
//! job's log as it is delivered), `trace` (a director trace line, with
//! `trace=yes`; needs the right to run `setdebug`). Job events honour the
//! console's Job ACL.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cairn_proto::{Packet, Signal};
use serde_json::{json, Value};

use super::output::Output;
use super::Ctx;
use crate::ua::status::running_status_text;

fn yes(v: Option<&str>, default: bool) -> bool {
    match v.map(|s| s.to_ascii_lowercase()) {
        None => default,
        Some(s) => matches!(s.as_str(), "yes" | "1" | "true" | "on"),
    }
}

pub async fn events(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let only_job: Option<u32> = match ctx.args.value("jobid") {
        None => None,
        Some(v) => match v.trim().parse() {
            Ok(n) => Some(n),
            Err(_) => {
                out.error(format!("Invalid jobid: {v}\n"));
                return false;
            }
        },
    };
    let want_log = yes(ctx.args.value("joblog"), true);
    // trace=yes|dir: the director; trace=all: also every client and storage;
    // trace=dir,client:NAME,storage:NAME: a choice.
    let trace_spec = ctx.args.value("trace").unwrap_or("no").to_ascii_lowercase();
    let mut trace_dir = false;
    let mut remotes: Vec<(bool, String)> = Vec::new(); // (is_client, name)
    for part in trace_spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "no" | "0" | "off" | "false" => {}
            "yes" | "1" | "on" | "true" | "dir" | "director" => trace_dir = true,
            "all" => {
                trace_dir = true;
                for c in &ctx.cfg.clients {
                    remotes.push((true, c.name.clone()));
                }
                for st in &ctx.cfg.storages {
                    remotes.push((false, st.name.clone()));
                }
            }
            other => {
                let original = ctx.args.value("trace").unwrap_or_default();
                let name = |prefix: &str| {
                    original
                        .split(',')
                        .map(str::trim)
                        .find(|p| p.to_ascii_lowercase().starts_with(prefix) && p.len() > prefix.len())
                        .map(|p| p[prefix.len()..].to_string())
                };
                if let (true, Some(n)) = (other.starts_with("client:"), name("client:")) {
                    if ctx.cfg.client(&n).is_none() {
                        out.error(format!("Client \"{n}\" not found.\n"));
                        return false;
                    }
                    remotes.push((true, n));
                } else if let (true, Some(n)) = (other.starts_with("storage:"), name("storage:")) {
                    if ctx.cfg.storage(&n).is_none() {
                        out.error(format!("Storage resource \"{n}\": not found\n"));
                        return false;
                    }
                    remotes.push((false, n));
                } else {
                    out.error(format!("Invalid trace= value: {part} (yes, no, all, dir, client:NAME, storage:NAME)\n"));
                    return false;
                }
            }
        }
    }
    remotes.dedup();
    let want_trace = trace_dir || !remotes.is_empty();
    if want_trace && !ctx.session.may("setdebug") {
        out.error(".events: trace=yes needs the right to use the setdebug command.\n");
        return false;
    }
    // The console's Job ACL (root: everything), from the session's one ACL check.
    let cfg = ctx.cfg.clone();
    let acl_session = ctx.session.clone();
    let job_ok = |name: &str| acl_session.allows(super::AclKind::Job, name);
    let Some(conn) = ctx.conn.as_deref_mut() else {
        out.error(".events needs a console connection.\n");
        return false;
    };
    let state = ctx.state.clone();
    let mut log_rx = state.events.subscribe();
    let mut trace_rx = trace_dir.then(|| state.debug.subscribe());
    // Remote trace streams (`trace follow` on each FD/SD), ended with the stream.
    let stop = tokio_util::sync::CancellationToken::new();
    let _stop_guard = stop.clone().drop_guard();
    let (remote_tx, mut remote_rx) = tokio::sync::mpsc::channel::<Value>(1024);
    for (is_client, name) in remotes.clone() {
        let cfg = cfg.clone();
        let tx = remote_tx.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = follow_remote(cfg, is_client, name, tx) => {}
            }
        });
    }
    drop(remote_tx);
    let send = |v: Value| Packet::text(format!("{v}\n"));
    let hello = json!({
        "event": "subscribed",
        "director": cfg.director.name,
        "jobid": only_job,
        "joblog": want_log,
        "trace": want_trace,
        "trace_daemons": remotes.iter().map(|(c, n)| format!("{}:{n}", if *c { "client" } else { "storage" })).collect::<Vec<_>>(),
    });
    if conn.send(send(hello)).await.is_err() {
        out.quit = true;
        return true;
    }
    // Last seen (status, files, bytes) per job.
    let mut seen: HashMap<u32, (char, u64, u64)> = HashMap::new();
    // Jobs that had ended before the subscription, or whose end was reported.
    let mut ended: std::collections::HashSet<u32> = state.jobs.terminated().iter().map(|t| t.jobid).collect();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let stopped_by_client;
    loop {
        let mut batch: Vec<Value> = Vec::new();
        tokio::select! {
            p = conn.recv() => {
                match p {
                    Ok(Some(Packet::Data(_))) => { stopped_by_client = true; break; }
                    Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) | Err(_) => { out.quit = true; return true; }
                    Ok(Some(Packet::Signal(_))) => continue,
                }
            }
            _ = tick.tick() => {
                let active = state.jobs.active();
                let mut now_ids = Vec::new();
                for j in &active {
                    let spec = j.spec();
                    if only_job.is_some_and(|id| id != j.jobid) || !job_ok(&spec.name) {
                        continue;
                    }
                    now_ids.push(j.jobid);
                    let st = j.status();
                    let files = j.files.load(Ordering::Relaxed);
                    let bytes = j.bytes.load(Ordering::Relaxed);
                    let prev = seen.insert(j.jobid, (st.code(), files, bytes));
                    if prev.map(|p| p.0) != Some(st.code()) {
                        batch.push(json!({
                            "event": "job",
                            "jobid": j.jobid,
                            "job": j.job,
                            "name": spec.name,
                            "type": spec.job_type.code().to_string(),
                            "level": spec.level.code().to_string(),
                            "client": spec.client,
                            "status": st.code().to_string(),
                            "status_text": running_status_text(st),
                            "priority": spec.priority,
                            "scheduled": j.sched_time.format("%Y-%m-%d %H:%M:%S").to_string(),
                        }));
                    }
                    if prev.is_some_and(|p| (p.1, p.2) != (files, bytes)) || (prev.is_none() && (files, bytes) != (0, 0)) {
                        let started = j.start_time.lock().ok().and_then(|t| *t);
                        let elapsed = started.map(|t| (state.clock.now_local() - t).num_seconds().max(0)).unwrap_or(0);
                        batch.push(json!({
                            "event": "progress",
                            "jobid": j.jobid,
                            "files": files,
                            "bytes": bytes,
                            "elapsed": elapsed,
                        }));
                    }
                }
                // Jobs that ended since the last look, including ones that came
                // and went between two samples.
                for t in state.jobs.terminated() {
                    if now_ids.contains(&t.jobid) || ended.contains(&t.jobid) {
                        continue;
                    }
                    if only_job.is_some_and(|id| id != t.jobid) || !job_ok(&t.name) {
                        continue;
                    }
                    ended.insert(t.jobid);
                    if seen.remove(&t.jobid).is_none() {
                        batch.push(json!({
                            "event": "job",
                            "jobid": t.jobid,
                            "job": t.job,
                            "name": t.name,
                            "type": t.job_type.code().to_string(),
                            "level": t.level.code().to_string(),
                            "status": t.status.code().to_string(),
                            "status_text": t.status.long_name(),
                        }));
                    }
                    batch.push(json!({
                        "event": "ended",
                        "jobid": t.jobid,
                        "status": t.status.code().to_string(),
                        "files": t.files,
                        "bytes": t.bytes,
                    }));
                }
                // Jobs gone from the queue without a terminated record.
                let gone: Vec<u32> = seen.keys().copied().filter(|id| !now_ids.contains(id)).collect();
                for id in gone {
                    seen.remove(&id);
                    ended.insert(id);
                    batch.push(json!({"event": "ended", "jobid": id, "status": null, "files": null, "bytes": null}));
                }
            }
            ev = log_rx.recv() => {
                match ev {
                    Ok(ev) => {
                        let jobid = ev.json.get("jobid").and_then(Value::as_u64).map(|n| n as u32);
                        let allowed = ev.job_name.as_deref().is_none_or(&job_ok)
                            && only_job.is_none_or(|id| jobid == Some(id));
                        if want_log && allowed {
                            batch.push(ev.json.clone());
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        batch.push(json!({"event": "lagged", "dropped": n}));
                    }
                    Err(_) => {}
                }
            }
            Some(v) = remote_rx.recv() => batch.push(v),
            tl = async {
                match trace_rx.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match tl {
                    Ok(l) => batch.push(json!({
                        "event": "trace",
                        "daemon": l.daemon,
                        "kind": l.kind.short(),
                        "level": l.level.to_string(),
                        "target": l.target,
                        "time": l.time,
                        "message": l.message,
                    })),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        batch.push(json!({"event": "lagged", "dropped": n}));
                    }
                    Err(_) => trace_rx = None,
                }
            }
        }
        for v in batch {
            if conn.send(send(v)).await.is_err() {
                out.quit = true;
                return true;
            }
        }
    }
    debug_assert!(stopped_by_client);
    out.text("Event stream ended.\n");
    out.set("events", Value::from("ended"));
    true
}

/// Follow one file or storage daemon's trace (`trace follow`) and forward its
/// lines as `trace` events; a failure becomes one `trace_error` event.
async fn follow_remote(cfg: std::sync::Arc<cairn_config::DirectorConfig>, is_client: bool, name: String, tx: tokio::sync::mpsc::Sender<Value>) {
    let kind = if is_client { "fd" } else { "sd" };
    let conn = if is_client {
        match cfg.client(&name) {
            Some(c) => crate::jobs::links::connect_fd(&cfg, c).await,
            None => return,
        }
    } else {
        match cfg.storage(&name) {
            Some(s) => crate::jobs::links::connect_sd(&cfg, s).await,
            None => return,
        }
    };
    let fail = |e: String| json!({"event": "trace_error", "kind": kind, "name": name, "error": e});
    let mut conn = match conn {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
    };
    if let Err(e) = conn.send_text("trace follow\n".to_string()).await {
        let _ = tx.send(fail(e.to_string())).await;
        return;
    }
    let mut first = true;
    loop {
        match conn.recv().await {
            Ok(Some(Packet::Data(b))) => {
                let text = String::from_utf8_lossy(&b);
                if first {
                    first = false;
                    if !text.contains(" OK trace follow") {
                        let _ = tx.send(fail(text.trim_end().to_string())).await;
                        break;
                    }
                    continue;
                }
                let ev = match serde_json::from_str::<Value>(text.trim_end()) {
                    Ok(Value::Object(mut m)) if m.contains_key("message") => {
                        m.insert("event".into(), Value::from("trace"));
                        m.insert("kind".into(), Value::from(kind));
                        // The Client/Storage resource the line came through.
                        m.insert("name".into(), Value::from(name.clone()));
                        Value::Object(m)
                    }
                    Ok(Value::Object(m)) if m.contains_key("lagged") => {
                        json!({"event": "lagged", "dropped": m.get("lagged").cloned(), "kind": kind, "name": name})
                    }
                    _ => continue,
                };
                if tx.send(ev).await.is_err() {
                    break;
                }
            }
            Ok(Some(Packet::Signal(Signal::Heartbeat))) => {
                if conn.send_signal(Signal::HbResponse).await.is_err() {
                    break;
                }
            }
            Ok(Some(Packet::Signal(_))) => {}
            Ok(None) | Err(_) => {
                let _ = tx.send(fail("connection ended".into())).await;
                break;
            }
        }
    }
    conn.close().await;
}
