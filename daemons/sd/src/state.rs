//! Shared state of a running storage daemon: configuration, session counter, the
//! table of jobs (pending and running), devices, volumes in use, terminated jobs.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cairn_config::StorageDaemonConfig;
use cairn_proto::Conn;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::devices::Devices;

/// Lock a mutex, recovering from poisoning (a panicked task must not wedge the SD).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Unix time now.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// How many terminated jobs `status` remembers.
const TERMINATED_KEPT: usize = 10;

/// Live counters and placement of a job, shown by `status`.
#[derive(Debug, Clone, Default)]
pub struct JobStats {
    pub files: u64,
    pub bytes: u64,
    pub volume: String,
    pub pool: String,
    pub device: String,
    /// `Writing` or `Reading` once a device is in use.
    pub mode: Option<&'static str>,
    pub status: char,
    /// Bytes and instant of the previous rate sample (LastBytes/sec).
    pub last_sample: Option<(u64, Instant)>,
    pub last_rate: u64,
}

/// One job known to the SD, from the director's job command to its end.
#[derive(Debug)]
pub struct JobCtl {
    pub job: String,
    pub job_id: u32,
    pub job_type: char,
    pub level: char,
    pub authorization: String,
    /// VolSessionId (= SDid).
    pub session_id: u32,
    pub started: Instant,
    pub cancel: CancellationToken,
    fd_slot: Mutex<Option<oneshot::Sender<Conn>>>,
    pub stats: Mutex<JobStats>,
    /// Set while the job waits for a free device (shown by `status`).
    pub waiting_for: Mutex<Option<String>>,
}

impl JobCtl {
    /// Hand an authenticated FD connection to the job. Fails (giving the connection
    /// back) when the job is not waiting for one.
    pub fn deliver_fd(&self, conn: Conn) -> Result<(), Box<Conn>> {
        match lock(&self.fd_slot).take() {
            Some(tx) => tx.send(conn).map_err(Box::new),
            None => Err(Box::new(conn)),
        }
    }

    /// Arm the FD hand-over; the receiver resolves when the FD has authenticated.
    pub fn expect_fd(&self) -> oneshot::Receiver<Conn> {
        let (tx, rx) = oneshot::channel();
        *lock(&self.fd_slot) = Some(tx);
        rx
    }

    /// Update counters and the rate sample.
    pub fn add(&self, files: u64, bytes: u64) {
        let mut s = lock(&self.stats);
        s.files += files;
        s.bytes += bytes;
    }
}

/// A job that ended, for `status`'s "Terminated Jobs".
#[derive(Debug, Clone)]
pub struct TerminatedJob {
    pub job_id: u32,
    pub job: String,
    pub level: char,
    pub files: u64,
    pub bytes: u64,
    pub status: char,
    pub ended: chrono::DateTime<chrono::Local>,
}

/// Everything the daemon's tasks share.
#[derive(Debug)]
pub struct SdState {
    pub cfg: StorageDaemonConfig,
    /// SDtime: the daemon's start time, VolSessionTime of every session it writes.
    pub start_time: i64,
    pub started_at: chrono::DateTime<chrono::Local>,
    next_session: AtomicU32,
    jobs_run: AtomicU64,
    jobs: Mutex<HashMap<String, Arc<JobCtl>>>,
    terminated: Mutex<VecDeque<TerminatedJob>>,
    /// Volume name → job appending to it.
    volumes_in_use: Mutex<HashMap<String, String>>,
    pub devices: Devices,
    /// Every job's cancellation is a child of this token (shutdown).
    root_cancel: CancellationToken,
    /// Run-time debug level and trace file (`setdebug`).
    pub debug: Arc<cairn_runtime::trace::DebugHandle>,
}

impl SdState {
    pub fn new(cfg: StorageDaemonConfig) -> Self {
        let devices = Devices::new(&cfg);
        let debug = cairn_runtime::trace::DebugHandle::register(
            cairn_runtime::trace::DaemonKind::Storage,
            &cfg.storage.name,
            &cfg.storage.working_directory,
            0,
        );
        SdState {
            debug,
            start_time: now_unix(),
            started_at: chrono::Local::now(),
            next_session: AtomicU32::new(0),
            jobs_run: AtomicU64::new(0),
            jobs: Mutex::new(HashMap::new()),
            terminated: Mutex::new(VecDeque::new()),
            volumes_in_use: Mutex::new(HashMap::new()),
            devices,
            root_cancel: CancellationToken::new(),
            cfg,
        }
    }

    /// The Storage resource's name.
    pub fn name(&self) -> &str {
        &self.cfg.storage.name
    }

    /// How long a job waits for its file daemon after `run`.
    pub fn client_connect_wait(&self) -> Duration {
        let s = self.cfg.storage.client_connect_wait;
        Duration::from_secs(if s == 0 { 1800 } else { s })
    }

    /// Register a new job: allocates its VolSessionId and authorization key.
    pub fn register_job(&self, cmd: &cairn_proto::msg::SdJobCmd) -> Arc<JobCtl> {
        let session_id = self.next_session.fetch_add(1, Ordering::SeqCst) + 1;
        let ctl = Arc::new(JobCtl {
            job: cmd.job.clone(),
            job_id: cmd.job_id,
            job_type: cmd.job_type,
            level: cmd.level,
            authorization: make_authorization(),
            session_id,
            started: Instant::now(),
            cancel: self.root_cancel.child_token(),
            fd_slot: Mutex::new(None),
            stats: Mutex::new(JobStats { status: 'C', ..Default::default() }),
            waiting_for: Mutex::new(None),
        });
        lock(&self.jobs).insert(cmd.job.clone(), ctl.clone());
        ctl
    }

    pub fn job(&self, job: &str) -> Option<Arc<JobCtl>> {
        lock(&self.jobs).get(job).cloned()
    }

    pub fn jobs(&self) -> Vec<Arc<JobCtl>> {
        let mut v: Vec<_> = lock(&self.jobs).values().cloned().collect();
        v.sort_by_key(|j| j.session_id);
        v
    }

    /// Remove an ended job and remember it for `status`.
    pub fn finish_job(&self, ctl: &JobCtl, status: char) {
        lock(&self.jobs).remove(&ctl.job);
        lock(&self.volumes_in_use).retain(|_, j| j != &ctl.job);
        self.jobs_run.fetch_add(1, Ordering::SeqCst);
        let s = lock(&ctl.stats).clone();
        let mut t = lock(&self.terminated);
        t.push_back(TerminatedJob {
            job_id: ctl.job_id,
            job: ctl.job.clone(),
            level: ctl.level,
            files: s.files,
            bytes: s.bytes,
            status,
            ended: chrono::Local::now(),
        });
        while t.len() > TERMINATED_KEPT {
            t.pop_front();
        }
    }

    pub fn terminated(&self) -> Vec<TerminatedJob> {
        lock(&self.terminated).iter().cloned().collect()
    }

    pub fn jobs_run(&self) -> u64 {
        self.jobs_run.load(Ordering::SeqCst)
    }

    /// Claim a volume for appending; false when another job appends to it.
    pub fn claim_volume(&self, volume: &str, job: &str) -> bool {
        let mut m = lock(&self.volumes_in_use);
        match m.get(volume) {
            Some(j) if j != job => false,
            _ => {
                m.insert(volume.to_string(), job.to_string());
                true
            }
        }
    }

    pub fn release_volume(&self, volume: &str, job: &str) {
        let mut m = lock(&self.volumes_in_use);
        if m.get(volume).is_some_and(|j| j == job) {
            m.remove(volume);
        }
    }

    /// Is any job appending to `volume`?
    pub fn volume_busy(&self, volume: &str) -> Option<String> {
        lock(&self.volumes_in_use).get(volume).cloned()
    }

    /// Cancel every job (shutdown).
    pub fn cancel_all(&self) {
        self.root_cancel.cancel();
    }
}

/// 32 random upper-case letters in 8 groups of 4 joined by `-` (PROTOCOL.md §5.2).
pub fn make_authorization() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(39);
    for g in 0..8 {
        if g > 0 {
            s.push('-');
        }
        for _ in 0..4 {
            s.push(rng.gen_range(b'A'..=b'Z') as char);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn authorization_shape() {
        let a = super::make_authorization();
        assert_eq!(a.len(), 39);
        assert_eq!(a.split('-').count(), 8);
        assert!(a.split('-').all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_uppercase())));
    }
}
