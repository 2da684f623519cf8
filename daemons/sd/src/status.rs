//! The `status` text (director `status storage=…`), laid out like Bareos's
//! `stored/status.cc`: header, running jobs, jobs waiting for a drive, terminated
//! jobs, device status, used volumes, each section closed by `====`.

use std::fmt::Write as _;
use std::time::Instant;

use cairn_types::{JobLevel, JobStatus, JobType};

use crate::append::print_name;
use crate::state::{SdState, lock};

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

fn level_name(c: char) -> &'static str {
    JobLevel::from_code(c).map(|l| l.long_name()).unwrap_or("")
}

fn type_name(c: char) -> &'static str {
    JobType::from_code(c).map(|t| t.long_name()).unwrap_or("Unknown")
}

/// Render the whole status text.
pub fn render(state: &SdState) -> String {
    let mut o = String::new();
    let jobs = state.jobs();
    let running = jobs.len();
    let _ = writeln!(
        o,
        "{} Version: {} ({}) Cairn {} {}",
        state.name(),
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE,
        cairn_types::CAIRN_VERSION,
        std::env::consts::OS
    );
    let _ = writeln!(
        o,
        "Daemon started {}. Jobs: run={}, running={}.",
        state.started_at.format("%d-%b-%y %H:%M"),
        state.jobs_run(),
        running
    );

    // Running jobs.
    o.push_str("\nRunning Jobs:\n");
    let mut any = false;
    for j in &jobs {
        let s = lock(&j.stats).clone();
        if s.status == 'F' {
            let _ = writeln!(o, "{} Job {} waiting for Client connection.", type_name(j.job_type), j.job);
            any = true;
            continue;
        }
        let Some(mode) = s.mode else { continue };
        any = true;
        let dev = state.cfg.device(&s.device);
        let dev_name = dev.map(print_name).unwrap_or_else(|| format!("\"{}\"", s.device));
        let _ = writeln!(
            o,
            "{mode}: {} {} job {} JobId={} Volume=\"{}\"",
            level_name(j.level),
            type_name(j.job_type),
            j.job,
            j.job_id,
            s.volume
        );
        let _ = writeln!(o, "    pool=\"{}\" device={dev_name}", s.pool);
        let secs = Instant::now().duration_since(j.started).as_secs().max(1);
        let _ = writeln!(
            o,
            "    Files={} Bytes={} AveBytes/sec={} LastBytes/sec={}",
            commas(s.files),
            commas(s.bytes),
            commas(s.bytes / secs),
            commas(s.last_rate)
        );
    }
    if !any {
        o.push_str("No Jobs running.\n");
    }
    o.push_str("====\n");

    // Jobs waiting for a device.
    o.push_str("\nJobs waiting to reserve a drive:\n");
    for j in &jobs {
        if let Some(w) = lock(&j.waiting_for).as_ref() {
            let _ = write!(o, "   {w}");
        }
    }
    o.push_str("====\n");

    // Terminated jobs.
    o.push_str("\nTerminated Jobs:\n");
    let term = state.terminated();
    if term.is_empty() {
        o.push_str("No Terminated Jobs.\n");
    } else {
        o.push_str(" JobId  Level    Files      Bytes   Status   Finished        Name \n");
        o.push_str("===================================================================\n");
        for t in term.iter().rev() {
            let status = JobStatus::from_code(t.status).map(|s| s.terminated_word()).unwrap_or("Other");
            let _ = writeln!(
                o,
                "{:6}  {:<6} {:>8} {:>10}  {:<7}  {:<8} {}",
                t.job_id,
                level_name(t.level),
                commas(t.files),
                commas(t.bytes),
                status,
                t.ended.format("%d-%b-%y %H:%M"),
                t.job
            );
        }
    }
    o.push_str("====\n");

    // Devices.
    o.push_str("\nDevice status:\n");
    for ac in state.devices.autochangers() {
        let _ = writeln!(o, "Autochanger \"{}\" with devices:", ac.name);
        for m in &ac.devices {
            match state.cfg.device(m) {
                Some(d) => {
                    let _ = writeln!(o, "   {}", print_name(d));
                }
                None => {
                    let _ = writeln!(o, "   {m}");
                }
            }
        }
    }
    let mut used: Vec<(String, String, bool)> = Vec::new();
    for (res, info) in state.devices.snapshot() {
        match &info.volume {
            Some(vol) => {
                let _ = writeln!(o, "\nDevice {} is mounted with:", print_name(&res));
                let _ = writeln!(o, "    Volume:      {vol}");
                let _ = writeln!(o, "    Pool:        {}", if info.pool.is_empty() { "*unknown*" } else { &info.pool });
                let _ = writeln!(o, "    Media type:  {}", res.media_type);
                if info.appending {
                    let bpb = info.bytes / info.blocks.max(1);
                    let _ = writeln!(
                        o,
                        "    Total Bytes={} Blocks={} Bytes/block={}",
                        commas(info.bytes),
                        commas(info.blocks),
                        commas(bpb)
                    );
                } else {
                    let _ = writeln!(
                        o,
                        "    Total Bytes Read={} Blocks Read={} Bytes/block={}",
                        commas(info.bytes),
                        commas(u64::from(info.block)),
                        commas(info.bytes / u64::from(info.block).max(1))
                    );
                }
                let _ = writeln!(o, "    Positioned at File=0 Block={}", commas(u64::from(info.block)));
                used.push((vol.clone(), print_name(&res), info.appending));
            }
            None if info.job.is_some() => {
                let _ = writeln!(o, "\nDevice {} is reserved by job {}, no volume mounted yet.", print_name(&res), info.job.clone().unwrap_or_default());
            }
            None => {
                let _ = writeln!(o, "\nDevice {} is not open.", print_name(&res));
            }
        }
        o.push_str("==\n");
    }
    o.push_str("====\n\n");

    o.push_str("Used Volume status:\n");
    for (vol, dev, appending) in &used {
        let _ = writeln!(o, "{vol} on device {dev}");
        let _ = writeln!(
            o,
            "    Reader={} writers={} reserves=0 volinuse=1",
            u8::from(!appending),
            u8::from(*appending)
        );
    }
    o.push_str("====\n\n");
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn commas() {
        assert_eq!(super::commas(0), "0");
        assert_eq!(super::commas(999), "999");
        assert_eq!(super::commas(1000), "1,000");
        assert_eq!(super::commas(1234567), "1,234,567");
    }
}
