//! The Cairn storage daemon (`cairn sd`): accepts job channels from the director
//! and data sessions from file daemons (PROTOCOL.md §5), reserves devices, writes
//! sessions into volumes (`cairn-volume`), reads them back for restores by
//! bootstrap, and answers `status`, `label` and `cancel`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cairn_sd::SdError> {
//! let sd = cairn_sd::start(cairn_sd::StartOptions::new("/etc/cairn/bareos-sd.d".into())).await?;
//! println!("listening on {:?}", sd.addrs());
//! sd.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Module map: [`server`] (accept, Hello, CRAM), [`dircmd`] (director commands other
//! than jobs: `status`, `label`, `cancel`), [`job`] (the job channel and the FD data
//! session), [`append`] (backup: volume selection, writing, JobMedia), [`read`]
//! (restore by bootstrap), [`bsr`] (bootstrap parsing), [`devices`] (reservation and
//! the concurrency policy), [`status`] (the `status storage` text), [`state`].

pub mod append;
pub mod bsr;
pub mod devices;
pub mod dircmd;
pub mod job;
pub mod read;
pub mod server;
pub mod state;
pub mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cairn_config::{ConfigError, StorageDaemonConfig, Warning};
use cairn_runtime::Shutdown;
use tokio::task::JoinHandle;

use crate::state::SdState;

/// Errors of the storage daemon.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Proto(#[from] cairn_proto::ProtoError),
    #[error(transparent)]
    Volume(#[from] cairn_volume::VolumeError),
    #[error("bad message: {0}")]
    Msg(#[from] cairn_proto::msg::MsgError),
    #[error("{0}")]
    Bootstrap(#[from] bsr::BsrError),
    /// The director has no volume for the job (`1901 No Media.`).
    #[error("no appendable volume: {0}")]
    NoMedia(String),
    /// A volume named by the director or a bootstrap is not on the device.
    #[error("{0}")]
    VolumeUnavailable(String),
    /// The job was canceled.
    #[error("job canceled")]
    Canceled,
    /// The peer broke the protocol or went away.
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("timed out: {0}")]
    Timeout(String),
}

/// How to start a storage daemon.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// `-c PATH`: a config file, a `bareos-sd.d` directory or a config root.
    pub config_path: PathBuf,
    /// An already loaded configuration (tests, `cairn up`); wins over `config_path`.
    pub config: Option<StorageDaemonConfig>,
}

impl StartOptions {
    pub fn new(config_path: PathBuf) -> Self {
        StartOptions { config_path, config: None }
    }
    /// Start from a configuration already loaded.
    pub fn with_config(config: StorageDaemonConfig) -> Self {
        StartOptions { config_path: PathBuf::new(), config: Some(config) }
    }
}

/// A running storage daemon.
#[derive(Debug)]
pub struct StorageDaemon {
    addrs: Vec<SocketAddr>,
    shutdown: Shutdown,
    tasks: Vec<JoinHandle<()>>,
    state: Arc<SdState>,
    warnings: Vec<Warning>,
}

impl StorageDaemon {
    /// The addresses the daemon listens on (useful with port 0).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
    /// The first listen address.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addrs.first().copied()
    }
    /// Shared state (tests and status).
    pub fn state(&self) -> &Arc<SdState> {
        &self.state
    }
    /// Configuration warnings.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
    /// Stop accepting, cancel running jobs (their volumes are closed cleanly) and
    /// wait for every task.
    pub async fn shutdown(self) {
        self.shutdown.trigger();
        self.state.cancel_all();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Load the configuration, bind the listeners and start serving.
pub async fn start(opts: StartOptions) -> Result<StorageDaemon, SdError> {
    let (cfg, warnings) = match opts.config {
        Some(c) => (c, Vec::new()),
        None => {
            let path = opts.config_path.clone();
            let loaded = tokio::task::spawn_blocking(move || cairn_config::load_storage(&path))
                .await
                .map_err(|e| SdError::Io(std::io::Error::other(e.to_string())))??;
            (loaded.config, loaded.warnings)
        }
    };
    for w in &warnings {
        tracing::info!("{w}");
    }
    // Bad TLS files are a start-up error, not a per-connection surprise.
    cfg.storage.tls.options().server().map_err(|e| SdError::Io(std::io::Error::other(format!("Storage {}: {e}", cfg.storage.name))))?;
    let listen = cfg.storage.listen.clone();
    let state = Arc::new(SdState::new(cfg));
    let shutdown = Shutdown::new();
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    for l in listen {
        let listener = server::bind(&l).await?;
        let addr = listener.local_addr()?;
        addrs.push(addr);
        let st = state.clone();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            cairn_runtime::serve(listener, 256, sd, move |stream, peer, token| {
                server::handle_connection(st.clone(), stream, peer, token)
            })
            .await;
        }));
    }
    tracing::info!(addrs = ?addrs, name = %state.name(), "storage daemon started");
    Ok(StorageDaemon { addrs, shutdown, tasks, state, warnings })
}

/// Run a storage daemon in the foreground until SIGTERM/SIGINT.
pub async fn run(opts: StartOptions) -> Result<(), SdError> {
    let sd = start(opts).await?;
    for a in sd.addrs() {
        eprintln!("cairn-sd: listening on {a}");
    }
    cairn_runtime::shutdown_signal().await;
    sd.shutdown().await;
    Ok(())
}
