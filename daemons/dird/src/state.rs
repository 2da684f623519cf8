//! The director's shared state: the live configuration (swapped by `reload`),
//! the catalog handle, counters, the console message queue and the list of
//! connected consoles and clients.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use cairn_config::{DirectorConfig, Warning};
use cairn_runtime::Clock;
use chrono::{DateTime, Local};

use crate::catalog_actor::CatalogHandle;

/// A console currently logged in.
#[derive(Debug, Clone)]
pub struct ConsoleInfo {
    pub id: u64,
    pub name: String,
    pub peer: String,
    pub connected: DateTime<Local>,
}

/// A file daemon connected to the director on its own initiative
/// ("Connection From Client To Director"), parked in `DirState::client_connections`
/// until a job takes it (see `crate::client_conn`).
#[derive(Debug, Clone)]
pub struct ClientConnection {
    pub name: String,
    pub connected: DateTime<Local>,
    pub protocol_version: u32,
    pub authenticated: bool,
    /// The FD's address, for logs.
    pub peer: String,
    /// Unique per parked connection (a replacement gets a new id).
    pub id: u64,
    /// Asks the task watching the parked connection to hand it over; dropping every
    /// sender (removing the entry) makes that task close the connection.
    pub handover: ClientHandover,
}

/// The request channel of a parked client connection: send a oneshot sender, get
/// the connection back on it.
pub type ClientHandover =
    tokio::sync::mpsc::Sender<tokio::sync::oneshot::Sender<cairn_proto::Conn>>;

/// Everything the director's tasks share.
#[derive(Debug)]
pub struct DirState {
    config: RwLock<Arc<DirectorConfig>>,
    warnings: RwLock<Vec<Warning>>,
    pub config_path: PathBuf,
    pub catalog: CatalogHandle,
    pub clock: Arc<dyn Clock>,
    pub started: DateTime<Local>,
    pub jobs_run: AtomicU64,
    /// Queued console messages: the job's resource name for job messages
    /// (empty when unknown), `None` for director messages.
    console_msgs: Mutex<VecDeque<(Option<String>, String)>>,
    consoles: Mutex<Vec<ConsoleInfo>>,
    next_console: AtomicU64,
    pub client_connections: Mutex<Vec<ClientConnection>>,
    pub jobs: crate::jobs::JobManager,
    restore_seq: AtomicU64,
    /// Submitted jobs go to the dispatcher task.
    pub job_tx: tokio::sync::mpsc::UnboundedSender<Arc<crate::jobs::JobControl>>,
    /// Runtime `enable`/`disable` of jobs, clients and schedules, over the
    /// configured `Enabled`; a reload drops them (as Bareos re-reads the resources).
    toggles: Mutex<std::collections::HashMap<(ResKind, String), bool>>,
    /// Run-time debug level and trace file (`setdebug dir`).
    pub debug: Arc<cairn_runtime::trace::DebugHandle>,
    /// Failed-login back-off per address.
    pub logins: crate::login_guard::LoginGuard,
    /// Job log lines for `.events` subscribers.
    pub events: tokio::sync::broadcast::Sender<Arc<DirEvent>>,
}

/// One event for `.events` subscribers (besides job state, which they sample).
#[derive(Debug, Clone)]
pub struct DirEvent {
    /// The Job resource name (for the Job ACL), when the event belongs to a job.
    pub job_name: Option<String>,
    pub json: serde_json::Value,
}

/// Resources `enable`/`disable` act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResKind {
    Job,
    Client,
    Schedule,
}

/// Upper bound of queued console messages (oldest dropped first).
const MAX_CONSOLE_MSGS: usize = 10_000;

impl DirState {
    pub fn new(
        config: DirectorConfig,
        warnings: Vec<Warning>,
        config_path: PathBuf,
        catalog: CatalogHandle,
        clock: Arc<dyn Clock>,
        job_tx: tokio::sync::mpsc::UnboundedSender<Arc<crate::jobs::JobControl>>,
    ) -> Self {
        let started = clock.now_local();
        let debug = cairn_runtime::trace::DebugHandle::register(
            cairn_runtime::trace::DaemonKind::Director,
            &config.director.name,
            &config.director.working_directory,
            0,
        );
        let (events, _) = tokio::sync::broadcast::channel(4096);
        DirState {
            debug,
            events,
            logins: Default::default(),
            config: RwLock::new(Arc::new(config)),
            warnings: RwLock::new(warnings),
            config_path,
            catalog,
            clock,
            started,
            jobs_run: AtomicU64::new(0),
            console_msgs: Mutex::new(VecDeque::new()),
            consoles: Mutex::new(Vec::new()),
            next_console: AtomicU64::new(1),
            client_connections: Mutex::new(Vec::new()),
            jobs: crate::jobs::JobManager::new(),
            restore_seq: AtomicU64::new(1),
            job_tx,
            toggles: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Enable or disable a job, client or schedule until the next reload.
    pub fn set_enabled(&self, kind: ResKind, name: &str, on: bool) {
        if let Ok(mut t) = self.toggles.lock() {
            t.insert((kind, name.to_string()), on);
        }
    }

    /// Whether a job, client or schedule is enabled now (runtime toggle, else its
    /// configured `Enabled`; unknown names are disabled).
    pub fn is_enabled(&self, kind: ResKind, name: &str) -> bool {
        if let Some(on) = self.toggles.lock().ok().and_then(|t| t.get(&(kind, name.to_string())).copied()) {
            return on;
        }
        let cfg = self.config();
        match kind {
            ResKind::Job => cfg.job(name).is_some_and(|j| j.enabled),
            ResKind::Client => cfg.client(name).is_some_and(|c| c.enabled),
            ResKind::Schedule => cfg.schedules.iter().any(|s| s.name == name && s.enabled),
        }
    }

    /// The configuration in force now (a cheap Arc clone; a reload does not change
    /// what an earlier caller holds).
    pub fn config(&self) -> Arc<DirectorConfig> {
        match self.config.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replace the configuration (after a successful reload).
    pub fn swap_config(&self, new: DirectorConfig, warnings: Vec<Warning>) {
        match self.config.write() {
            Ok(mut g) => *g = Arc::new(new),
            Err(p) => *p.into_inner() = Arc::new(new),
        }
        if let Ok(mut w) = self.warnings.write() {
            *w = warnings;
        }
        if let Ok(mut t) = self.toggles.lock() {
            t.clear();
        }
    }

    /// Warnings of the configuration in force.
    pub fn config_warnings(&self) -> Vec<Warning> {
        self.warnings.read().map(|w| w.clone()).unwrap_or_default()
    }

    /// The number of the next `<dir>.restore.<n>.bsr` file.
    pub fn next_restore_number(&self) -> u64 {
        self.restore_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Queue a daemon message for the `messages` command.
    pub fn queue_console_message(&self, text: String) {
        self.queue_job_console_message(None, text);
    }

    /// Queue a message; `job` is the job's resource name for a job message, so
    /// only consoles whose Job ACL allows that job get it.
    pub fn queue_job_console_message(&self, job: Option<String>, text: String) {
        if let Ok(mut q) = self.console_msgs.lock() {
            if q.len() >= MAX_CONSOLE_MSGS {
                q.pop_front();
            }
            q.push_back((job, text));
        }
    }

    /// A security event: logged and queued for consoles.
    pub fn log_security(&self, text: String) {
        let name = self.config().director.name.clone();
        let stamp = self.clock.now_local().format("%d-%b %H:%M");
        self.queue_console_message(format!("{stamp} {name}: {text}"));
    }

    /// Is a message queued that a console whose Job ACL is `job_ok` may read?
    pub fn has_console_messages_for(&self, job_ok: impl Fn(&str) -> bool) -> bool {
        self.console_msgs.lock().map(|q| q.iter().any(|(j, _)| j.as_deref().is_none_or(&job_ok))).unwrap_or(false)
    }

    /// Take the queued messages a console whose Job ACL is `job_ok` may read;
    /// messages of other jobs stay queued for the consoles that may see them.
    pub fn take_console_messages_for(&self, job_ok: impl Fn(&str) -> bool) -> Vec<String> {
        let Ok(mut q) = self.console_msgs.lock() else { return Vec::new() };
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(q.len());
        for (j, t) in q.drain(..) {
            if j.as_deref().is_none_or(&job_ok) {
                taken.push(t);
            } else {
                kept.push_back((j, t));
            }
        }
        *q = kept;
        taken
    }

    /// Register a connected console; the registration ends when the guard drops.
    pub fn console_connected(self: &Arc<Self>, name: &str, peer: &str) -> ConsoleGuard {
        let id = self.next_console.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = self.consoles.lock() {
            c.push(ConsoleInfo { id, name: name.to_string(), peer: peer.to_string(), connected: self.clock.now_local() });
        }
        ConsoleGuard { state: self.clone(), id }
    }

    /// Consoles logged in now.
    pub fn consoles(&self) -> Vec<ConsoleInfo> {
        self.consoles.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Unregisters a console when dropped.
#[derive(Debug)]
pub struct ConsoleGuard {
    state: Arc<DirState>,
    id: u64,
}

impl Drop for ConsoleGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = self.state.consoles.lock() {
            c.retain(|x| x.id != self.id);
        }
    }
}
