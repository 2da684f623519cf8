//! Frame-time benchmark of the TUI's rendering (not a test; it asserts nothing
//! about time). It builds a connected state with 50 running jobs on the
//! dashboard and a 100,000-line job log, then renders frames into ratatui's
//! `TestBackend` at 120x40 through `Terminal::draw` (view + buffer diff), as
//! the app does, while scrolling: the dashboard (selection moving through the
//! running jobs) and the job log (page up/down, line up/down, top/bottom,
//! follow). It prints the mean, p50, p99 and max frame time per screen and the
//! process RSS (current and peak, from /proc/self/status).
//!
//! ```sh
//! cargo run -p cairn-tui --release --example tui_bench
//! cargo run -p cairn-tui --release --example tui_bench -- --frames 2000 --lines 100000 --jobs 50
//! ```

use std::time::{Duration, Instant};

use cairn_tui::action::{Action, Link, LinkState, Query, Screen};
use cairn_tui::keymap::{Cmd, Keymap};
use cairn_tui::state::State;
use cairn_tui::theme::Styles;
use cairn_tui::update::update;
use cairn_tui::view;
use chrono::NaiveDate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const W: u16 = 120;
const H: u16 = 40;

fn status_director(jobs: u32) -> Value {
    let running: Vec<Value> = (0..jobs)
        .map(|i| {
            let id = 100 + i;
            json!({
                "jobid": id,
                "name": format!("backup-host{i:03}.2026-11-28_05.25.18_{i:02}"),
                "level": if i % 3 == 0 { "Full" } else { "Incremental" },
                "type": "Backup",
                "status": if i % 5 == 4 { "is waiting on max Client jobs" } else { "is running" },
                "start_time": "28-Nov-26 05:25",
                "files": 1000 * u64::from(i) + 17,
                "bytes": 7_000_000 * u64::from(i) + 4242,
            })
        })
        .collect();
    let terminated: Vec<Value> = (1..=20u32)
        .map(|id| {
            json!({"jobid": id, "name": format!("backup-old{id}"), "level": "Full", "type": "Backup",
                   "status": if id % 4 == 0 { "Error" } else { "OK" }, "files": 58, "bytes": 7161,
                   "finished": "28-Nov-26 05:25"})
        })
        .collect();
    json!({
        "header": {"director": "bareos-dir", "version": "25.1.1", "release_date": "04 March 2026",
                   "os": "Debian GNU/Linux 12 (bookworm)", "binary_info": "Cairn 0.1.0",
                   "daemon_started": "28-Nov-26 05:25", "jobs_run": 20, "jobs_running": jobs,
                   "config_warnings": false},
        "scheduled": [{"name": "backup-bareos-fd", "type": "Backup", "level": "Differential", "priority": 10,
                       "scheduled": "28-Nov-26 21:00", "volume": "*unknown*", "storage": "File"}],
        "running": running,
        "terminated": terminated,
    })
}

fn list_jobs(jobs: u32) -> Value {
    let rows: Vec<Value> = (0..jobs)
        .map(|i| {
            json!({"jobid": (100 + i).to_string(), "name": format!("backup-host{i:03}"), "client": "bareos-fd",
                   "starttime": "2026-11-28 05:25:02", "duration": "00:01:00", "type": "B", "level": "F",
                   "jobfiles": "17", "jobbytes": "4242", "jobstatus": "R"})
        })
        .collect();
    json!({ "jobs": rows })
}

fn joblog(jobid: u32, lines: usize) -> Value {
    let rows: Vec<Value> = (0..lines)
        .map(|i| {
            let text = match i % 7 {
                0 => format!("bareos-dir JobId {jobid}: Start Backup JobId {jobid}, Job=backup-host000 line {i}\n"),
                1 => format!("bareos-sd JobId {jobid}: Volume \"Full-{:04}\" mounted on device \"FileStorage\" (/var/lib/cairn/storage)\n", i % 1000),
                2 => format!("bareos-fd JobId {jobid}: Warning: /srv/data/dir{}/file{i}.dat: file changed while reading it, retrying\n", i % 97),
                3 => format!("bareos-fd JobId {jobid}: Error: /srv/data/dir{}/file{i}.dat: Could not stat: ERR=No such file or directory\n", i % 89),
                4 => format!("bareos-sd JobId {jobid}: Elapsed time=00:00:{:02}, Transfer rate=123.4 M Bytes/second, a rather long line that needs wrapping at a hundred and twenty columns {i}\n", i % 60),
                5 => format!("bareos-dir JobId {jobid}: Sending Accurate information to the FD.\n"),
                _ => format!("bareos-dir JobId {jobid}: Bareos bareos-dir 25.1.1 (04Mar26): line {i}\n"),
            };
            json!({"time": format!("2026-11-28 05:{:02}:{:02}", (i / 60) % 60, i % 60), "logtext": text})
        })
        .collect();
    json!({ "joblog": rows })
}

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .map(|l| l[k.len()..].trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!("VmRSS {}  VmHWM (peak) {}", get("VmRSS:"), get("VmHWM:"))
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let n = times.len();
    if n == 0 {
        return;
    }
    let total: Duration = times.iter().sum();
    let mean = total / n as u32;
    let pct = |p: f64| times[((n as f64 * p).ceil() as usize).clamp(1, n) - 1];
    println!(
        "{name:<28} frames {n:>6}  mean {:>8.3} ms  p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        mean.as_secs_f64() * 1e3,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        times[n - 1].as_secs_f64() * 1e3,
    );
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames = arg(&args, "--frames", 1000);
    let lines = arg(&args, "--lines", 100_000);
    let jobs = arg(&args, "--jobs", 50) as u32;

    let now = NaiveDate::from_ymd_opt(2026, 11, 28)
        .and_then(|d| d.and_hms_opt(5, 26, 0))
        .expect("date");
    let mut s = State::new(
        "bareos-dir",
        "127.0.0.1:9101",
        Keymap::builtin().expect("keymap"),
        now,
    );
    update(&mut s, Action::Resize(W, H));
    update(
        &mut s,
        Action::Link {
            link: Link::Json,
            state: LinkState::Connected {
                banner: String::new(),
            },
        },
    );
    update(
        &mut s,
        Action::Json {
            query: Query::StatusDirector,
            result: Ok(status_director(jobs)),
        },
    );
    update(
        &mut s,
        Action::Json {
            query: Query::ListJobs,
            result: Ok(list_jobs(jobs)),
        },
    );
    let styles = Styles::dark();
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    println!(
        "cairn-tui frame benchmark: {W}x{H}, {jobs} running jobs, {lines}-line job log, TestBackend"
    );
    println!("after building the dashboard state: {}", rss());

    let mut frame = |s: &State, out: &mut Vec<Duration>| {
        let t = Instant::now();
        term.draw(|f| view::render(f, s, &styles)).expect("draw");
        out.push(t.elapsed());
    };

    // Dashboard: the selection walks down and up the running jobs.
    let mut dash = Vec::with_capacity(frames);
    frame(&s, &mut Vec::new()); // first full draw, not counted
    for i in 0..frames {
        let c = if (i / jobs.max(1) as usize) & 1 == 0 {
            Cmd::Down
        } else {
            Cmd::Up
        };
        update(&mut s, Action::Cmd(c));
        frame(&s, &mut dash);
    }
    assert_eq!(s.screen, Screen::Dashboard);

    // Job log of the selected running job, 100,000 lines.
    let jobid = 100;
    update(&mut s, Action::Cmd(Cmd::Top));
    update(&mut s, Action::Cmd(Cmd::ShowLog));
    let t = Instant::now();
    update(
        &mut s,
        Action::Json {
            query: Query::JobLog(jobid),
            result: Ok(joblog(jobid, lines)),
        },
    );
    let load = t.elapsed();
    println!(
        "job log reply ({lines} lines) applied in {:.1} ms; screen {:?}, {} entries; {}",
        load.as_secs_f64() * 1e3,
        s.screen,
        s.log.entries.len(),
        rss()
    );
    let mut first = Vec::new();
    frame(&s, &mut first);
    println!(
        "first job-log frame (at the end, following): {:.3} ms",
        first[0].as_secs_f64() * 1e3
    );

    let mut follow = Vec::with_capacity(frames);
    for _ in 0..frames {
        frame(&s, &mut follow);
    }
    let mut page = Vec::with_capacity(frames);
    for i in 0..frames {
        let c = if (i / 200) & 1 == 0 {
            Cmd::PageUp
        } else {
            Cmd::PageDown
        };
        update(&mut s, Action::Cmd(c));
        frame(&s, &mut page);
    }
    let mut line = Vec::with_capacity(frames);
    for i in 0..frames {
        let c = if (i / 100) & 1 == 0 {
            Cmd::Up
        } else {
            Cmd::Down
        };
        update(&mut s, Action::Cmd(c));
        frame(&s, &mut line);
    }
    let mut jump = Vec::with_capacity(frames);
    for i in 0..frames {
        let c = if i & 1 == 0 { Cmd::Top } else { Cmd::Bottom };
        update(&mut s, Action::Cmd(c));
        frame(&s, &mut jump);
    }

    report("dashboard (select up/down)", dash);
    report("job log (following end)", follow);
    report("job log (PgUp/PgDn)", page);
    report("job log (line up/down)", line);
    report("job log (top/bottom jumps)", jump);
    println!("at the end: {}", rss());
}
