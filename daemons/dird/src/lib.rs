//! The Cairn director (`cairn dir`): loads a Bareos-style configuration, opens the
//! SQLite catalog, synchronises its resources into it and serves consoles over the
//! Bareos director protocol.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cairn_dird::DirdError> {
//! let dir = cairn_dird::start(cairn_dird::StartOptions::new("/etc/cairn".into())).await?;
//! println!("listening on {:?}", dir.addrs());
//! dir.shutdown().await;
//! # Ok(()) }
//! ```

pub mod acl;
pub mod catalog_actor;
pub mod client_conn;
pub mod jobs;
pub mod login_guard;
pub mod msgs;
pub mod server;
pub mod session;
pub mod state;
pub mod sync;
pub mod scheduler;
pub mod tree;
pub mod ua;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cairn_config::{ConfigError, DirectorConfig, Warning};
use cairn_runtime::{Clock, Shutdown, SystemClock};
use tokio::task::JoinHandle;

use crate::catalog_actor::CatalogHandle;
use crate::state::DirState;

/// Errors of the director.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirdError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("catalog \"{name}\" ({path}): {source}")]
    Catalog { name: String, path: String, source: Box<cairn_catalog::CatalogError> },
    #[error("catalog error: {0}")]
    CatalogQuery(#[from] cairn_catalog::CatalogError),
    #[error("the catalog thread has stopped")]
    CatalogGone,
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("I/O error: {0}")]
    Io(std::io::Error),
}

/// How to start a director.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// `-c PATH`: a config file, a `bareos-dir.d` directory or a config root.
    pub config_path: PathBuf,
    pub clock: Arc<dyn Clock>,
    /// The longest the scheduler sleeps between looks at the clock (60 s; tests
    /// driving a manual clock use less).
    pub scheduler_tick: std::time::Duration,
}

impl StartOptions {
    pub fn new(config_path: PathBuf) -> Self {
        StartOptions { config_path, clock: Arc::new(SystemClock), scheduler_tick: std::time::Duration::from_secs(60) }
    }
}

/// A running director.
#[derive(Debug)]
pub struct Director {
    addrs: Vec<SocketAddr>,
    shutdown: Shutdown,
    tasks: Vec<JoinHandle<()>>,
    state: Arc<DirState>,
}

impl Director {
    /// The addresses the director listens on (useful with port 0).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
    /// The first listen address.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addrs.first().copied()
    }
    /// Shared state (for the binary's reload-on-SIGHUP and for tests).
    pub fn state(&self) -> &Arc<DirState> {
        &self.state
    }
    /// Configuration warnings of the loaded configuration.
    pub fn warnings(&self) -> Vec<Warning> {
        self.state.config_warnings()
    }
    /// Stop accepting, end every console session and wait for the tasks.
    /// Stop: no new consoles or scheduled runs; queued and running jobs are
    /// canceled (each ends `A` with its report in the catalog, its daemons told),
    /// waiting up to 60 s for them to finish; then the listeners end.
    pub async fn shutdown(self) {
        self.shutdown.trigger();
        let active = self.state.jobs.active();
        for ctl in &active {
            jobs::report::job_msg(
                &self.state,
                ctl,
                cairn_types::MsgType::Warning,
                "The director is shutting down: the job is canceled.\n",
            )
            .await;
            let _ = jobs::cancel(&self.state, ctl).await;
        }
        if !active.is_empty()
            && tokio::time::timeout(std::time::Duration::from_secs(60), self.state.jobs.wait_idle()).await.is_err()
        {
            tracing::warn!("jobs still running after 60 s of shutdown; the next start marks them failed");
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Where the SQLite catalog of `catalog` lives: `DbName` as a path if it contains a
/// `/` or ends in `.db`, `:memory:` for an in-memory catalog, else
/// `<WorkingDirectory>/<DbName>.db`.
pub fn catalog_path(cfg: &DirectorConfig, catalog: &cairn_config::CatalogRes) -> PathBuf {
    let name = &catalog.db_name;
    if name == ":memory:" || name.contains('/') || name.ends_with(".db") {
        PathBuf::from(name)
    } else {
        cfg.director.working_directory.join(format!("{name}.db"))
    }
}

fn open_catalog(cfg: &DirectorConfig) -> Result<cairn_catalog::Catalog, DirdError> {
    let cat = cfg.default_catalog();
    let path = catalog_path(cfg, cat);
    let res = if path.as_os_str() == ":memory:" {
        cairn_catalog::Catalog::open_in_memory()
    } else {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(DirdError::Io)?;
            }
        cairn_catalog::Catalog::open(&path)
    };
    res.map_err(|source| DirdError::Catalog { name: cat.name.clone(), path: path.display().to_string(), source: Box::new(source) })
}

/// Report configuration warnings once: one summary line at warn level, each
/// warning at info level (`status configuration` lists them too).
fn log_warnings(warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    tracing::warn!(
        "the configuration has {} warning(s) (directives accepted but not acted on yet, or deprecated); see `status configuration` or `cairn dir -t`",
        warnings.len()
    );
    for w in warnings {
        tracing::info!("{w}");
    }
}

/// Load the configuration, open the catalog, bind the listeners and start serving.
pub async fn start(opts: StartOptions) -> Result<Director, DirdError> {
    let loaded = cairn_config::load_director(&opts.config_path)?;
    log_warnings(&loaded.warnings);
    let cfg = loaded.config;
    let catalog = CatalogHandle::spawn(open_catalog(&cfg)?)?;
    // Jobs left running by a director that died are failed, not left "running".
    match catalog.call(|c| c.mark_interrupted_jobs()).await? {
        Ok(ids) if !ids.is_empty() => tracing::warn!(jobids = ?ids, "jobs interrupted by a previous stop were marked failed"),
        Ok(_) => {}
        Err(e) => tracing::error!("cannot check for interrupted jobs: {e}"),
    }
    sync::sync_resources(&catalog, &cfg).await?;
    let max_consoles = cfg.director.maximum_console_connections.max(1) as usize;
    // Bad TLS files are a start-up error, not a per-connection surprise.
    cfg.director.tls.options().server().map_err(|e| DirdError::Io(std::io::Error::other(format!("Director {}: {e}", cfg.director.name))))?;
    let listen = cfg.director.listen.clone();
    let (job_tx, job_rx) = tokio::sync::mpsc::unbounded_channel();
    let state = Arc::new(DirState::new(cfg, loaded.warnings, opts.config_path.clone(), catalog, opts.clock.clone(), job_tx));
    let shutdown = Shutdown::new();
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    let last = state
        .catalog
        .call(|c| c.list_jobs(&cairn_catalog::JobFilter { reverse: true, limit: Some(1), ..Default::default() }))
        .await;
    if let Ok(Ok(rows)) = last {
        state.jobs.seed_seq(rows.first().map(|r| u64::from(r.jobid)).unwrap_or(0));
    }
    tokio::spawn(jobs::dispatcher(state.clone(), job_rx));
    tasks.push(tokio::spawn(scheduler::run(state.clone(), opts.scheduler_tick, shutdown.token())));
    for l in listen {
        let listener = server::bind(&l).await?;
        let addr = listener.local_addr().map_err(DirdError::Io)?;
        addrs.push(addr);
        let st = state.clone();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            cairn_runtime::serve(listener, max_consoles + 256, sd, move |stream, peer, token| {
                server::handle_connection(st.clone(), stream, peer, token)
            })
            .await;
        }));
    }
    tracing::info!(addrs = ?addrs, "director started");
    Ok(Director { addrs, shutdown, tasks, state })
}

/// Re-read the configuration from the path the director was started with. On error
/// the old configuration stays in force and the error is returned.
pub async fn reload(state: &Arc<DirState>) -> Result<Vec<Warning>, DirdError> {
    let path = state.config_path.clone();
    let loaded = tokio::task::spawn_blocking(move || cairn_config::load_director(&path))
        .await
        .map_err(|e| DirdError::Io(std::io::Error::other(e.to_string())))??;
    sync::sync_resources(&state.catalog, &loaded.config).await?;
    log_warnings(&loaded.warnings);
    let warnings = loaded.warnings.clone();
    state.swap_config(loaded.config, loaded.warnings);
    tracing::info!("configuration reloaded");
    Ok(warnings)
}

/// Run a director in the foreground until SIGTERM/SIGINT; SIGHUP reloads.
pub async fn run(opts: StartOptions) -> Result<(), DirdError> {
    let dir = start(opts).await?;
    for a in dir.addrs() {
        eprintln!("cairn-dir: listening on {a}");
    }
    let mut hup = cairn_runtime::HangupSignal::new();
    loop {
        tokio::select! {
            _ = cairn_runtime::shutdown_signal() => break,
            _ = hup.recv() => {
                if let Err(e) = reload(dir.state()).await {
                    tracing::error!("reload failed, keeping the old configuration: {e}");
                }
            }
        }
    }
    tracing::info!("shutting down");
    dir.shutdown().await;
    Ok(())
}
