//! Typed views of the director's API 2 `result` objects.
//!
//! Parsing is lenient: values read from the catalog arrive as JSON strings
//! (`"jobid":"1"`), values computed by the director as numbers, and a missing
//! or malformed field becomes its default rather than an error. The director
//! is the authority; the TUI shows what it gets.

use serde_json::Value;

/// A field as text (strings as is, numbers and booleans printed).
pub fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A field as an unsigned number (numbers, or strings holding one).
pub fn number(v: &Value, key: &str) -> u64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().replace(',', "").parse().unwrap_or(0),
        _ => 0,
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// Volume usage of one pool, summed from `llist volumes all`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolUsage {
    pub pool: String,
    pub volumes: usize,
    pub full: usize,
    pub append: usize,
    pub used: usize,
    /// Bytes written to the pool's volumes.
    pub bytes: u64,
    /// The sum of the volumes' MaxVolBytes, when every volume has one.
    pub capacity: Option<u64>,
}

impl PoolUsage {
    /// Bytes used / capacity, when the capacity is known.
    pub fn ratio(&self) -> Option<f64> {
        self.capacity.filter(|&c| c > 0).map(|c| (self.bytes as f64 / c as f64).clamp(0.0, 1.0))
    }

    /// `llist volumes all` (a flat `volumes` array with a `pool` field per
    /// volume) or `list volumes` (an object of arrays keyed by pool), grouped
    /// by pool in first-seen order.
    pub fn list_from_json(v: &Value) -> Vec<PoolUsage> {
        let mut rows: Vec<(String, &Value)> = Vec::new();
        match v.get("volumes") {
            Some(Value::Array(a)) => rows.extend(a.iter().map(|r| (text(r, "pool"), r))),
            Some(Value::Object(m)) => {
                for (pool, vols) in m {
                    if let Some(a) = vols.as_array() {
                        rows.extend(a.iter().map(|r| {
                            let p = text(r, "pool");
                            (if p.is_empty() { pool.clone() } else { p }, r)
                        }));
                    }
                }
            }
            _ => {}
        }
        let mut out: Vec<PoolUsage> = Vec::new();
        for (pool, r) in rows {
            let i = match out.iter().position(|p| p.pool == pool) {
                Some(i) => i,
                None => {
                    out.push(PoolUsage { pool: pool.clone(), capacity: Some(0), ..PoolUsage::default() });
                    out.len() - 1
                }
            };
            let p = &mut out[i];
            p.volumes += 1;
            match text(r, "volstatus").as_str() {
                "Full" => p.full += 1,
                "Append" => p.append += 1,
                "Used" => p.used += 1,
                _ => {}
            }
            p.bytes = p.bytes.saturating_add(number(r, "volbytes"));
            let max = number(r, "maxvolbytes");
            p.capacity = match (p.capacity, max) {
                (Some(c), m) if m > 0 => Some(c.saturating_add(m)),
                _ => None,
            };
        }
        out
    }
}

/// `status director`: the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub director: String,
    pub version: String,
    pub release_date: String,
    pub os: String,
    pub binary_info: String,
    pub daemon_started: String,
    pub jobs_run: u64,
    pub jobs_running: u64,
    pub config_warnings: bool,
}

/// `status director`: one running (or queued) job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunningJob {
    pub jobid: u32,
    /// The unique job name (`backup-usr.2026-11-28_05.25.18_07`).
    pub name: String,
    pub level: String,
    pub job_type: String,
    /// `is running`, `is waiting on max Client jobs`, …
    pub status: String,
    pub start_time: String,
    pub files: u64,
    pub bytes: u64,
}

impl RunningJob {
    /// The job resource name without the unique suffix.
    pub fn job_name(&self) -> &str {
        strip_unique(&self.name)
    }
    /// True when the job is actually transferring (not queued or waiting).
    pub fn is_running(&self) -> bool {
        self.status.contains("running")
    }
}

/// `backup-usr.2026-11-28_05.25.18_07` → `backup-usr` (the unique suffix is
/// `.YYYY-MM-DD_HH.MM.SS_NN`).
pub fn strip_unique(name: &str) -> &str {
    const PATTERN: &[u8] = b".dddd-dd-dd_dd.dd.dd_dd";
    let b = name.as_bytes();
    if b.len() <= PATTERN.len() {
        return name;
    }
    let tail = &b[b.len() - PATTERN.len()..];
    let ok = tail.iter().zip(PATTERN).all(|(c, p)| if *p == b'd' { c.is_ascii_digit() } else { c == p });
    if ok { &name[..b.len() - PATTERN.len()] } else { name }
}

/// `status director`: one terminated job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TerminatedJob {
    pub jobid: u32,
    pub name: String,
    pub level: String,
    pub job_type: String,
    /// `OK`, `OK -- with warnings`, `Error`, `Cancel`, …
    pub status: String,
    pub files: u64,
    pub bytes: u64,
    pub finished: String,
}

/// `status director`: one upcoming scheduled run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduledRun {
    pub name: String,
    pub job_type: String,
    pub level: String,
    pub priority: u64,
    pub scheduled: String,
    pub volume: String,
}

/// `status director`: a client-initiated connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientConnection {
    pub name: String,
    pub connect_time: String,
    pub protocol_version: String,
    pub authenticated: bool,
}

/// The whole `status director` result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectorStatus {
    pub header: Header,
    pub scheduled: Vec<ScheduledRun>,
    pub running: Vec<RunningJob>,
    pub terminated: Vec<TerminatedJob>,
    pub clients: Vec<ClientConnection>,
}

impl DirectorStatus {
    pub fn from_json(v: &Value) -> DirectorStatus {
        let h = v.get("header").cloned().unwrap_or(Value::Null);
        let header = Header {
            director: text(&h, "director"),
            version: text(&h, "version"),
            release_date: text(&h, "release_date"),
            os: text(&h, "os"),
            binary_info: text(&h, "binary_info"),
            daemon_started: text(&h, "daemon_started"),
            jobs_run: number(&h, "jobs_run"),
            jobs_running: number(&h, "jobs_running"),
            config_warnings: h.get("config_warnings").and_then(Value::as_bool).unwrap_or(false),
        };
        DirectorStatus {
            header,
            scheduled: array(v, "scheduled")
                .iter()
                .map(|s| ScheduledRun {
                    name: text(s, "name"),
                    job_type: text(s, "type"),
                    level: text(s, "level"),
                    priority: number(s, "priority"),
                    scheduled: text(s, "scheduled"),
                    volume: text(s, "volume"),
                })
                .collect(),
            running: array(v, "running")
                .iter()
                .map(|r| RunningJob {
                    jobid: number(r, "jobid") as u32,
                    name: text(r, "name"),
                    level: text(r, "level"),
                    job_type: text(r, "type"),
                    status: text(r, "status"),
                    start_time: text(r, "start_time"),
                    files: number(r, "files"),
                    bytes: number(r, "bytes"),
                })
                .collect(),
            terminated: array(v, "terminated")
                .iter()
                .map(|r| TerminatedJob {
                    jobid: number(r, "jobid") as u32,
                    name: text(r, "name"),
                    level: text(r, "level"),
                    job_type: text(r, "type"),
                    status: text(r, "status"),
                    files: number(r, "files"),
                    bytes: number(r, "bytes"),
                    finished: text(r, "finished"),
                })
                .collect(),
            clients: array(v, "client-connection")
                .iter()
                .map(|c| ClientConnection {
                    name: text(c, "name"),
                    connect_time: text(c, "connecttime"),
                    protocol_version: text(c, "protocol_version"),
                    authenticated: number(c, "authenticated") != 0,
                })
                .collect(),
        }
    }
}

/// One row of `list jobs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobRow {
    pub jobid: u32,
    pub name: String,
    pub client: String,
    pub starttime: String,
    pub duration: String,
    /// One-letter type code (`B`, `R`, `D`, …).
    pub job_type: String,
    /// One-letter level code (`F`, `I`, `D`, …).
    pub level: String,
    pub files: u64,
    pub bytes: u64,
    /// One-letter status code (`T`, `W`, `E`, `f`, `A`, `R`, …).
    pub status: String,
}

impl JobRow {
    pub fn from_json(v: &Value) -> JobRow {
        JobRow {
            jobid: number(v, "jobid") as u32,
            name: text(v, "name"),
            client: text(v, "client"),
            starttime: text(v, "starttime"),
            duration: text(v, "duration"),
            job_type: text(v, "type"),
            level: text(v, "level"),
            files: number(v, "jobfiles"),
            bytes: number(v, "jobbytes"),
            status: text(v, "jobstatus"),
        }
    }

    /// `list jobs` → rows, newest first.
    pub fn list_from_json(v: &Value) -> Vec<JobRow> {
        let mut rows: Vec<JobRow> = array(v, "jobs").iter().map(JobRow::from_json).collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.jobid));
        rows
    }
}

/// How a job stands, for colouring. Derived from one-letter codes (catalog)
/// or from the words `status director` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Ok,
    Warning,
    Error,
    Canceled,
    Running,
    Waiting,
    Other,
}

impl JobState {
    /// From a catalog status code (`T`, `W`, `E`, …).
    pub fn from_code(code: &str) -> JobState {
        match code {
            "T" => JobState::Ok,
            "W" => JobState::Warning,
            "E" | "e" | "f" => JobState::Error,
            "A" => JobState::Canceled,
            "R" => JobState::Running,
            "C" | "F" | "S" | "m" | "M" | "s" | "j" | "c" | "d" | "t" | "p" | "i" | "a" | "q" => JobState::Waiting,
            _ => JobState::Other,
        }
    }

    /// From the word `status director` uses for a terminated job.
    pub fn from_word(word: &str) -> JobState {
        let w = word.to_ascii_lowercase();
        if w.contains("warning") {
            JobState::Warning
        } else if w.starts_with("ok") {
            JobState::Ok
        } else if w.contains("cancel") {
            JobState::Canceled
        } else if w.contains("error") || w.contains("fatal") || w.contains("diffs") {
            JobState::Error
        } else if w.contains("running") {
            JobState::Running
        } else if w.contains("wait") || w.contains("created") || w.contains("blocked") {
            JobState::Waiting
        } else {
            JobState::Other
        }
    }

    /// True while the job has not ended.
    pub fn is_active(self) -> bool {
        matches!(self, JobState::Running | JobState::Waiting)
    }
}

/// Long words for the one-letter status codes (as `llist` shows them).
pub fn status_word(code: &str) -> &'static str {
    match code {
        "C" => "Created",
        "R" => "Running",
        "B" => "Blocked",
        "T" => "OK",
        "W" => "OK, warnings",
        "E" => "Error",
        "e" => "Non-fatal error",
        "f" => "Fatal error",
        "D" => "Verify differences",
        "A" => "Canceled",
        "I" => "Incomplete",
        "F" => "Waiting FD",
        "S" => "Waiting SD",
        "m" => "Waiting media",
        "M" => "Waiting mount",
        "s" => "Waiting storage",
        "j" => "Waiting job",
        "c" => "Waiting client",
        "d" => "Waiting max jobs",
        "t" => "Waiting start",
        "p" => "Waiting priority",
        "a" => "SD despooling",
        "i" => "Incomplete",
        "q" => "Queued",
        _ => "Unknown",
    }
}

/// Long words for the one-letter level codes.
pub fn level_word(code: &str) -> &str {
    match code {
        "F" => "Full",
        "I" => "Incr",
        "D" => "Diff",
        "V" => "Init",
        "C" => "Catalog",
        "O" => "VolToCat",
        "d" => "DiskToCat",
        "A" => "Data",
        " " | "" => "",
        other => other,
    }
}

/// `llist jobid=N`: the first job's fields in the director's order.
pub fn detail_from_json(v: &Value) -> Vec<(String, String)> {
    let Some(job) = array(v, "jobs").first() else { return Vec::new() };
    match job.as_object() {
        Some(m) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        None => Vec::new(),
    }
}

/// `.jobs` → job names.
pub fn job_names_from_json(v: &Value) -> Vec<String> {
    array(v, "jobs")
        .iter()
        .filter_map(|j| match j {
            Value::String(s) => Some(s.clone()),
            other => other.get("name").and_then(Value::as_str).map(str::to_string),
        })
        .collect()
}

/// `.defaults job=X` → its key/value pairs in order.
pub fn defaults_from_json(v: &Value) -> Vec<(String, String)> {
    let d = v.get("defaults").unwrap_or(v);
    d.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One `list joblog` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEntry {
    pub time: String,
    pub text: String,
}

pub fn joblog_from_json(v: &Value) -> Vec<LogEntry> {
    array(v, "joblog").iter().map(|e| LogEntry { time: text(e, "time"), text: text(e, "logtext") }).collect()
}

/// One run of the `status scheduler` preview.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviewRun {
    /// `Sat 28-Nov-2026 21:00`
    pub datetime: String,
    /// Unix time.
    pub runtime: i64,
    pub schedule: String,
    /// The overrides of the Run line (`Full`, `Pool=…`).
    pub level: String,
    pub overrides: Vec<(String, String)>,
}

/// A schedule and the jobs it triggers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleInfo {
    pub name: String,
    pub enabled: bool,
    pub jobs: Vec<(String, bool)>,
}

/// `status scheduler days=N`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedulerStatus {
    pub schedules: Vec<ScheduleInfo>,
    pub preview: Vec<PreviewRun>,
}

impl SchedulerStatus {
    pub fn from_json(v: &Value) -> SchedulerStatus {
        SchedulerStatus {
            schedules: array(v, "schedules")
                .iter()
                .map(|s| ScheduleInfo {
                    name: text(s, "name"),
                    enabled: s.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                    jobs: array(s, "jobs")
                        .iter()
                        .map(|j| (text(j, "name"), j.get("enabled").and_then(Value::as_bool).unwrap_or(true)))
                        .collect(),
                })
                .collect(),
            preview: array(v, "preview")
                .iter()
                .map(|p| {
                    let mut overrides = Vec::new();
                    if let Some(m) = p.as_object() {
                        for (k, val) in m {
                            if matches!(k.as_str(), "datetime" | "runtime" | "schedule" | "level") {
                                continue;
                            }
                            let s = match val {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            overrides.push((k.clone(), s));
                        }
                    }
                    PreviewRun {
                        datetime: text(p, "datetime"),
                        runtime: p.get("runtime").and_then(Value::as_i64).unwrap_or(0),
                        schedule: text(p, "schedule"),
                        level: text(p, "level"),
                        overrides,
                    }
                })
                .collect(),
        }
    }

    /// The jobs a schedule triggers (enabled ones first, in config order).
    pub fn jobs_of(&self, schedule: &str) -> Vec<&(String, bool)> {
        self.schedules.iter().filter(|s| s.name == schedule).flat_map(|s| s.jobs.iter()).collect()
    }
}

/// The first job id found in a `run`/`rerun` result (`{"run":{"jobid":"10"}}`).
pub fn queued_jobid(v: &Value) -> Option<u32> {
    match v {
        Value::Object(m) => {
            if let Some(id) = m.get("jobid") {
                let n = match id {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                };
                if let Some(n) = n {
                    return u32::try_from(n).ok();
                }
            }
            m.values().find_map(queued_jobid)
        }
        Value::Array(a) => a.iter().find_map(queued_jobid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unique_names_are_stripped() {
        assert_eq!(strip_unique("backup-usr.2026-11-28_05.25.18_07"), "backup-usr");
        assert_eq!(strip_unique("my.job.2026-11-28_05.25.18_07"), "my.job");
        assert_eq!(strip_unique("plain"), "plain");
        assert_eq!(strip_unique("a.b"), "a.b");
    }

    #[test]
    fn lenient_fields() {
        let v = json!({"jobid": "12", "jobbytes": 34, "jobfiles": "1,024", "name": null});
        let r = JobRow::from_json(&v);
        assert_eq!((r.jobid, r.bytes, r.files, r.name.as_str()), (12, 34, 1024, ""));
        assert_eq!(queued_jobid(&json!({"run": {"jobid": "10"}})), Some(10));
        assert_eq!(queued_jobid(&json!({})), None);
        assert_eq!(JobState::from_word("OK -- with warnings"), JobState::Warning);
        assert_eq!(JobState::from_word("Cancel"), JobState::Canceled);
        assert_eq!(JobState::from_word("Error"), JobState::Error);
        assert_eq!(JobState::from_code("f"), JobState::Error);
    }
}
