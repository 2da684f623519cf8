//! Running and terminated jobs of the file daemon (for `status` and `cancel`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The shared control block of one running job.
#[derive(Debug)]
pub struct JobCtl {
    pub job_id: u32,
    pub job: String,
    pub kind: Mutex<String>,
    pub level: Mutex<String>,
    pub started: i64,
    pub cancel: AtomicBool,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub read_bytes: AtomicU64,
    pub errors: AtomicU64,
    pub examined: AtomicU64,
    pub last_file: Mutex<String>,
}

impl JobCtl {
    pub fn new(job_id: u32, job: String) -> JobCtl {
        JobCtl {
            job_id,
            job,
            kind: Mutex::new("Backup".into()),
            level: Mutex::new("Full".into()),
            started: chrono::Utc::now().timestamp(),
            cancel: AtomicBool::new(false),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            read_bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            examined: AtomicU64::new(0),
            last_file: Mutex::new(String::new()),
        }
    }
    pub fn canceled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    pub fn add(&self, c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
    pub fn set_kind(&self, k: &str) {
        if let Ok(mut g) = self.kind.lock() {
            *g = k.to_string();
        }
    }
    pub fn set_level(&self, k: &str) {
        if let Ok(mut g) = self.level.lock() {
            *g = k.to_string();
        }
    }
    pub fn set_last_file(&self, f: &str) {
        if let Ok(mut g) = self.last_file.lock() {
            g.clear();
            g.push_str(f);
        }
    }
}

/// A finished job, as `status` lists it.
#[derive(Debug, Clone)]
pub struct TermJob {
    pub job_id: u32,
    pub job: String,
    pub kind: String,
    pub level: String,
    pub files: u64,
    pub bytes: u64,
    pub status: char,
    pub finished: i64,
}

/// The daemon's job table.
#[derive(Debug, Default)]
pub struct Registry {
    running: Mutex<HashMap<String, Arc<JobCtl>>>,
    terminated: Mutex<VecDeque<TermJob>>,
    jobs_run: AtomicU64,
}

impl Registry {
    pub fn register(&self, ctl: Arc<JobCtl>) {
        if let Ok(mut m) = self.running.lock() {
            m.insert(ctl.job.clone(), ctl);
        }
    }
    pub fn finish(&self, ctl: &JobCtl, status: char) {
        if let Ok(mut m) = self.running.lock() {
            m.remove(&ctl.job);
        }
        self.jobs_run.fetch_add(1, Ordering::Relaxed);
        let t = TermJob {
            job_id: ctl.job_id,
            job: ctl.job.clone(),
            kind: ctl.kind.lock().map(|g| g.clone()).unwrap_or_default(),
            level: ctl.level.lock().map(|g| g.clone()).unwrap_or_default(),
            files: JobCtl::get(&ctl.files),
            bytes: JobCtl::get(&ctl.bytes),
            status,
            finished: chrono::Utc::now().timestamp(),
        };
        if let Ok(mut q) = self.terminated.lock() {
            q.push_back(t);
            while q.len() > 10 {
                q.pop_front();
            }
        }
    }
    /// Mark a running job canceled; false when unknown.
    pub fn cancel(&self, job: &str) -> bool {
        match self.running.lock().ok().and_then(|m| m.get(job).cloned()) {
            Some(c) => {
                c.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
    pub fn running(&self) -> Vec<Arc<JobCtl>> {
        let mut v: Vec<_> = self.running.lock().map(|m| m.values().cloned().collect()).unwrap_or_default();
        v.sort_by_key(|c| c.job_id);
        v
    }
    pub fn terminated(&self) -> Vec<TermJob> {
        self.terminated.lock().map(|q| q.iter().cloned().collect()).unwrap_or_default()
    }
    pub fn jobs_run(&self) -> u64 {
        self.jobs_run.load(Ordering::Relaxed)
    }
}
