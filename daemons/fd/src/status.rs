//! `status` text, shaped like Bareos's `status client`.

use crate::job::JobCtl;
use crate::state::FdState;

fn local(t: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.with_timezone(&chrono::Local).format(fmt).to_string())
        .unwrap_or_default()
}

/// `1234567` → `1,234,567`.
pub fn commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bareos's short byte count (`1.234 M`).
fn human(n: u64) -> String {
    const U: [&str; 6] = ["", "K", "M", "G", "T", "P"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < U.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 { n.to_string() } else { format!("{v:.3} {}", U[i]) }
}

/// The whole status report.
pub fn status_text(st: &FdState) -> String {
    let cfg = st.config();
    let running = st.jobs.running();
    let mut s = format!(
        "{} Version: {} ({}) Cairn {} {}\n",
        cfg.client.name,
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE,
        cairn_types::CAIRN_VERSION,
        std::env::consts::OS
    );
    s.push_str(&format!(
        "Daemon started {}. Jobs: run={} running={}, Cairn binary\n",
        local(st.started, "%d-%b-%y %H:%M"),
        st.jobs.jobs_run(),
        running.len()
    ));
    if !st.warnings.is_empty() {
        s.push_str("\nThere are WARNINGS for this filedaemon's configuration!\nSee output of 'cairn fd -t' for details.\n");
    }
    s.push_str("\nRunning Jobs:\n");
    let now = chrono::Utc::now().timestamp();
    for j in &running {
        let kind = j.kind.lock().map(|g| g.clone()).unwrap_or_default();
        let level = j.level.lock().map(|g| g.clone()).unwrap_or_default();
        s.push_str(&format!("JobId {} Job {} is running.\n", j.job_id, j.job));
        s.push_str(&format!("    {level} {kind} Job started: {}\n", local(j.started, "%d-%b-%y %H:%M")));
        let secs = (now - j.started).max(1) as u64;
        let bytes = JobCtl::get(&j.bytes);
        s.push_str(&format!(
            "    Files={} Bytes={} Bytes/sec={} Errors={}\n    Bwlimit=0\n",
            commas(JobCtl::get(&j.files)),
            commas(bytes),
            commas(bytes / secs),
            JobCtl::get(&j.errors)
        ));
        s.push_str(&format!("    Files Examined={}\n", commas(JobCtl::get(&j.examined))));
        if JobCtl::get(&j.files) > 0 {
            let lf = j.last_file.lock().map(|g| g.clone()).unwrap_or_default();
            s.push_str(&format!("    Processing file: {lf}\n"));
        }
    }
    if running.is_empty() {
        s.push_str("No Jobs running.\n");
    }
    s.push_str("====\n");
    let term = st.jobs.terminated();
    s.push_str("\nTerminated Jobs:\n");
    if term.is_empty() {
        s.push_str("No Terminated Jobs.\n");
    } else {
        s.push_str(" JobId  Level    Files      Bytes   Status   Finished        Name \n");
        s.push_str("======================================================================\n");
        for t in term.iter().rev() {
            let status = match t.status {
                'T' => "OK",
                'W' => "Warning",
                'A' => "Cancel",
                'E' | 'f' => "Error",
                _ => "Other",
            };
            let level = if t.kind == "Restore" { "Restore".to_string() } else { t.level.clone() };
            s.push_str(&format!(
                "{:>6}  {:<6} {:>8} {:>10}  {:<7}  {:<15} {}\n",
                t.job_id,
                level,
                commas(t.files),
                human(t.bytes),
                status,
                local(t.finished, "%d-%b-%y %H:%M"),
                t.job
            ));
        }
    }
    s.push_str("====\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn comma_grouping() {
        assert_eq!(super::commas(0), "0");
        assert_eq!(super::commas(999), "999");
        assert_eq!(super::commas(1000), "1,000");
        assert_eq!(super::commas(1234567), "1,234,567");
        assert_eq!(super::human(1_234_567), "1.235 M");
    }
}
