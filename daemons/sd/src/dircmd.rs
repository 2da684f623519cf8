//! Commands on an authenticated director connection: a job command opens the job
//! channel ([`crate::job`]); `status`, `label` and `cancel` are answered here
//! (PROTOCOL.md §5.2 "Other commands"). A director with `Monitor = yes` may only
//! ask for `status`.

use std::sync::Arc;

use cairn_proto::msg::kv;
use cairn_proto::{Conn, Packet, Signal};
use tokio_util::sync::CancellationToken;

use crate::append::{Probe, close_writer, create_labeled, probe};
use crate::state::SdState;

/// Read and answer commands until the director hangs up.
pub async fn serve_director(state: Arc<SdState>, mut c: Conn, dir_name: String, monitor: bool, token: CancellationToken) {
    loop {
        let p = tokio::select! {
            _ = token.cancelled() => break,
            p = c.recv() => p,
        };
        let line = match p {
            Ok(Some(Packet::Data(b))) => String::from_utf8_lossy(&b).trim_end_matches(['\n', '\r', '\0']).to_string(),
            Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) | Err(_) => break,
            Ok(Some(Packet::Signal(_))) => continue,
        };
        tracing::debug!(director = %dir_name, "<< {}", cairn_runtime::trace::redact(&line));
        let first = line.split(' ').next().unwrap_or_default();
        if monitor && !matches!(first, "status" | ".status") {
            let _ = c.send_text("3997 Invalid command for a Director with Monitor directive enabled.\n").await;
            continue;
        }
        let r = match first {
            _ if line.starts_with("JobId=") => {
                tracing::debug!(director = %dir_name, "job channel opened");
                crate::job::run_job(state, c, &line).await;
                return;
            }
            "status" | ".status" => {
                let text = crate::status::render(&state);
                let mut r = Ok(());
                for l in text.split_inclusive('\n') {
                    r = c.feed(Packet::text(l.to_string())).await;
                    if r.is_err() {
                        break;
                    }
                }
                match r {
                    Ok(()) => c.send_signal(Signal::Eod).await,
                    Err(e) => Err(e),
                }
            }
            "trace" => {
                trace_follow(&state, &mut c, &line).await;
                break;
            }
            _ if first.starts_with("setdebug=") => c.send_text(setdebug_reply(&state.debug, &line)).await,
            "label" => {
                let reply = label(&state, &line);
                c.send_text(reply).await
            }
            "cancel" => {
                let reply = cancel(&state, &line);
                c.send_text(reply).await
            }
            _ => c.send_text(format!("3900 Invalid command: {}\n", line.chars().take(80).collect::<String>())).await,
        };
        if r.is_err() {
            break;
        }
    }
    c.close().await;
}

/// `cancel Job=<job>`.
pub fn cancel(state: &SdState, line: &str) -> String {
    let m = kv(line);
    let Some(job) = m.get("Job").or_else(|| m.get("job")) else {
        return "3903 Error scanning cancel command.\n".into();
    };
    match state.job(job) {
        Some(ctl) => {
            ctl.cancel.cancel();
            format!("3000 JobId={} Job=\"{}\" marked to be canceled.\n", ctl.job_id, ctl.job)
        }
        None => format!("3904 Job {job} not found.\n"),
    }
}

/// `label volume=<v> pool=<p> device=<d> MediaType=<mt> [PoolType=<t>] Slot=0 drive=0`.
pub fn label(state: &SdState, line: &str) -> String {
    let m = kv(line);
    let (Some(vol), Some(dev_name)) = (m.get("volume").or_else(|| m.get("VolumeName")), m.get("device")) else {
        return "3912 Failed to label Volume: missing volume= or device=\n".into();
    };
    let pool = m.get("pool").cloned().unwrap_or_default();
    let pool_type = m.get("PoolType").cloned().unwrap_or_else(|| "Backup".into());
    let Some(dev) = state.devices.for_label(dev_name) else {
        return format!("3999 Device \"{dev_name}\" not found or could not be opened.\n");
    };
    let media_type = m.get("MediaType").cloned().unwrap_or_else(|| dev.media_type.clone());
    if media_type != dev.media_type {
        return format!(
            "3912 Failed to label Volume {vol}: Media Type \"{media_type}\" does not match device \"{}\" (\"{}\")\n",
            dev.name, dev.media_type
        );
    }
    if let Some(job) = state.volume_busy(vol) {
        return format!("3912 Failed to label Volume {vol}: it is in use by job {job}\n");
    }
    match probe(&dev, vol) {
        Ok(Probe::Labeled(l)) => {
            return format!("3920 Cannot label Volume because it is already labeled: \"{}\"\n", l.volume_name);
        }
        Ok(Probe::Unreadable(why)) => {
            return format!("3912 Failed to label Volume {vol}: the file exists and is not an empty volume ({why})\n");
        }
        Ok(Probe::Missing) | Ok(Probe::Empty) => {}
        Err(e) => return format!("3912 Failed to label Volume {vol}: {e}\n"),
    }
    let empty = matches!(probe(&dev, vol), Ok(Probe::Empty));
    match create_labeled(&dev, vol, &pool, &pool_type, &media_type, empty) {
        Ok(w) => {
            let bytes = w.volume_bytes();
            match close_writer(w) {
                Ok(()) => {
                    tracing::info!(volume = %vol, device = %dev.name, "volume labeled");
                    format!("3000 OK label. VolBytes={bytes} Volume=\"{vol}\" Device=\"{}\"\n", dev.name)
                }
                Err(e) => format!("3912 Failed to label Volume {vol}: {e}\n"),
            }
        }
        Err(e) => format!("3912 Failed to label Volume {vol}: {e}\n"),
    }
}

/// `setdebug=N trace=T [timestamp=S]` (-1: unchanged); Bareos's `3000 OK setdebug=…`.
pub fn setdebug_reply(debug: &cairn_runtime::trace::DebugHandle, line: &str) -> String {
    let c = match cairn_runtime::trace::parse_setdebug(line) {
        Ok(c) => c,
        Err(_) => return format!("3991 Bad setdebug command: {line}\n"),
    };
    let st = debug.set(c.level, c.trace, c.timestamp);
    let file = st.trace_file.display();
    if c.with_timestamp {
        format!("3000 OK setdebug={} trace={} timestamp={} tracefile={file}\n", st.level, u8::from(st.trace), u8::from(st.timestamp))
    } else {
        format!("3000 OK setdebug={} tracefile={file}\n", st.level)
    }
}

/// `trace follow` (Cairn extension): stream the daemon's trace lines, one JSON
/// object per packet, until the director sends anything or hangs up.
async fn trace_follow(state: &SdState, c: &mut Conn, line: &str) {
    if line.split_whitespace().nth(1) != Some("follow") {
        let _ = c.send_text(format!("3900 Bad trace command: {line}\n")).await;
        return;
    }
    let mut rx = state.debug.subscribe();
    if c.send_text("3000 OK trace follow\n").await.is_err() {
        return;
    }
    loop {
        let r = tokio::select! {
            p = c.recv() => match p {
                Ok(Some(Packet::Signal(Signal::Heartbeat))) => c.send_signal(Signal::HbResponse).await,
                _ => return,
            },
            l = rx.recv() => match l {
                Ok(l) => c.send_text(format!("{}\n", l.to_json())).await,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => c.send_text(format!("{{\"lagged\":{n}}}\n")).await,
                Err(_) => return,
            },
        };
        if r.is_err() {
            return;
        }
    }
}
