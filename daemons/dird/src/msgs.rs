//! Job and daemon messages, routed as the job's Messages resource says: the
//! catalog `Log` table (`list joblog`), the console queue (`messages`),
//! `append`/`file` destinations, stdout/stderr. Every line is also kept in a
//! per-job ring for `status` and later the event stream.

use std::io::Write;
use std::sync::Arc;

use cairn_config::{DestKind, MessagesRes};
use cairn_proto::msg::msg_type;
use cairn_types::MsgType;

use crate::state::DirState;

/// Map a Bareos numeric message type to Cairn's enum.
pub fn msg_type_of(code: u32) -> MsgType {
    match code {
        msg_type::ABORT => MsgType::Abort,
        msg_type::DEBUG => MsgType::Debug,
        msg_type::FATAL | msg_type::ERROR_TERM => MsgType::Fatal,
        msg_type::ERROR => MsgType::Error,
        msg_type::WARNING => MsgType::Warning,
        msg_type::SAVED => MsgType::Saved,
        msg_type::NOTSAVED => MsgType::NotSaved,
        msg_type::SKIPPED => MsgType::Skipped,
        msg_type::MOUNT => MsgType::Mount,
        msg_type::TERMINATE => MsgType::Terminate,
        msg_type::RESTORED => MsgType::Restored,
        msg_type::SECURITY => MsgType::Security,
        msg_type::ALERT => MsgType::Alert,
        msg_type::VOLMGMT => MsgType::VolMgmt,
        msg_type::AUDIT => MsgType::Audit,
        _ => MsgType::Info,
    }
}

/// Prefix of a job message line: `<daemon> JobId <n>: `; messages of severity
/// Fatal/Error/Warning get Bareos's `Fatal error: ` / `Error: ` / `Warning: `.
pub fn format_job_line(daemon: &str, jobid: u32, ty: MsgType, text: &str) -> String {
    let sev = match ty {
        MsgType::Fatal | MsgType::Abort => "Fatal error: ",
        MsgType::Error => "Error: ",
        MsgType::Warning => "Warning: ",
        _ => "",
    };
    let mut s = format!("{daemon} JobId {jobid}: {sev}{text}");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Deliver one message through a Messages resource.
pub async fn deliver(state: &Arc<DirState>, messages: Option<&MessagesRes>, jobid: u32, ty: MsgType, line: &str) {
    let now = state.clock.now_local();
    let stamp = now.format("%d-%b %H:%M").to_string();
    tracing::debug!(jobid, "{}", line.trim_end());
    // The job's resource name decides which consoles get the message (Job ACL).
    let acl_job: Option<String> = (jobid > 0).then(|| state.jobs.get(jobid).map(|j| j.spec().name).unwrap_or_default());
    if jobid > 0 && state.events.receiver_count() > 0 {
        let job_name = state.jobs.get(jobid).map(|j| j.spec().name);
        let json = serde_json::json!({
            "event": "joblog",
            "jobid": jobid,
            "time": now.format("%Y-%m-%d %H:%M:%S").to_string(),
            "type": ty.keyword(),
            "text": line,
        });
        let _ = state.events.send(Arc::new(crate::state::DirEvent { job_name, json }));
    }
    let Some(m) = messages else {
        // No Messages resource: keep it on the console queue so it is not lost.
        state.queue_job_console_message(acl_job, format!("{stamp} {line}"));
        return;
    };
    for d in &m.destinations {
        if !d.accepts(ty) {
            continue;
        }
        match d.kind {
            DestKind::Catalog if jobid > 0 => {
                let time = now.format("%Y-%m-%d %H:%M:%S").to_string();
                let text = line.to_string();
                let r = state.catalog.call(move |c| c.insert_log(cairn_catalog::JobId(jobid), &time, &text)).await;
                if let Ok(Err(e)) = r {
                    tracing::warn!("cannot write the job log to the catalog: {e}");
                }
            }
            DestKind::Console => state.queue_job_console_message(acl_job.clone(), format!("{stamp} {line}")),
            DestKind::Append | DestKind::File => {
                if let Some(path) = &d.target {
                    let res = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .and_then(|mut f| f.write_all(format!("{stamp} {line}").as_bytes()));
                    if let Err(e) = res {
                        tracing::warn!(path = %path, "cannot append to the message file: {e}");
                    }
                }
            }
            DestKind::Stdout => print!("{stamp} {line}"),
            DestKind::Stderr => eprint!("{stamp} {line}"),
            // Mail, operator and syslog destinations are parsed; delivery by mail
            // arrives with a later milestone. They are logged so nothing is lost.
            _ => tracing::info!(target: "messages", "{}", line.trim_end()),
        }
    }
}
