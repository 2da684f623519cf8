//! The Cairn file daemon (`cairn fd`): authenticates directors, walks FileSets
//! and streams files to the storage daemon, restores records from it, answers
//! `estimate` and `status` (PROTOCOL.md §5.3–5.4).
//!
//! ```no_run
//! # async fn demo() -> Result<(), cairn_fd::FdError> {
//! let fd = cairn_fd::start(cairn_fd::StartOptions::new("/etc/cairn/bareos-fd.d".into())).await?;
//! println!("listening on {:?}", fd.addrs());
//! fd.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Pipeline: the walk, reading, hashing and LZ4 compression run on a dedicated
//! thread that hands batches of frames (≤ 1 MiB) through a bounded channel to the
//! connection task, which writes them to the storage daemon; a restore mirrors
//! this (network task → bounded channel of frame batches → writer thread; a file's
//! data is written frame by frame, never held whole, see [`restore`]). Memory
//! stays flat: only the directories on the current path, the hard-link table
//! (files with more than one link) and, in accurate mode, the director's list are
//! held.
//!
//! Client-side RunScripts ([`runscript`]): `Run …` lines are stored with the job;
//! Before (then AfterVSS) scripts run when `backup`/`restore` arrives (or on
//! `RunBeforeNow`), After scripts before `2800 End Job`. Cairn kills a script after
//! [`runscript::SCRIPT_TIMEOUT`] (Bareos never does) and runs AfterVSS scripts
//! before the data (Bareos runs them only on Windows, after the VSS snapshot).
//!
//! Deviations from Bareos (on purpose, or not yet done):
//! * `2000 OK backup` is sent once the SD session is open, before the data (as
//!   Bareos does); Jmsg/Progress lines follow, then `2800 End Job`.
//! * A file that cannot be opened is skipped whole (no attributes record), with a
//!   `Cannot open` error message; Bareos sends its attributes first.
//! * Options blocks: paths no patterned block matches use the first pattern-less
//!   block's options (Bareos keeps the last block's flags). See [`fileset`].
//! * Compression: only LZ4 is implemented; GZIP/LZO/LZFAST/LZ4HC are accepted with a
//!   job warning and stored as LZ4 (streams 29/30).
//! * Xattr stream 1998: `[u32 BE name length][name][u32 BE value length][value]…`;
//!   ACL streams 1007/1008 carry the raw `system.posix_acl_*` xattr values. Neither
//!   is byte-compatible with Bareos's encodings.
//! * Accurate letters `5`/`1` (digest comparison) are ignored; the others
//!   (`i p n u g s a m c M C A`) are honoured, default `mcs`.
//! * `estimate listing` prints the ctime like Bareos's `attr_to_ls_output`.
//! * One reader thread per job (MaximumWorkersPerJob is not used yet).
//! * Client-initiated connections ([`client_initiated`]): the FD dials each
//!   Director with `Connection From Client To Director = yes` and keeps a connection
//!   parked there; it still listens on its own port for other directors (a Director
//!   with `Connection From Director To Client = no` is refused there).

pub mod attrs;
pub mod backup;
pub mod client_initiated;
pub mod codec;
pub mod fileset;
pub mod job;
pub mod relocate;
pub mod restore;
pub mod runscript;
pub mod server;
pub mod state;
pub mod status;
pub mod walk;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cairn_config::{ConfigError, FileDaemonConfig, ListenAddr, Warning};
use cairn_runtime::Shutdown;
use tokio::task::JoinHandle;

use crate::state::FdState;

/// Errors of the file daemon.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FdError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// How to start a file daemon.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// `-c PATH`: a config file, a `bareos-fd.d` directory or a config root.
    pub config_path: PathBuf,
    /// Listen here instead of the Client resource's addresses (tests: port 0).
    pub listen_override: Option<Vec<ListenAddr>>,
}

impl StartOptions {
    pub fn new(config_path: PathBuf) -> Self {
        StartOptions { config_path, listen_override: None }
    }
}

/// A running file daemon.
#[derive(Debug)]
pub struct FileDaemon {
    addrs: Vec<SocketAddr>,
    shutdown: Shutdown,
    tasks: Vec<JoinHandle<()>>,
    state: Arc<FdState>,
}

impl FileDaemon {
    /// The addresses the daemon listens on (useful with port 0).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
    /// The first listen address.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addrs.first().copied()
    }
    /// Configuration warnings.
    pub fn warnings(&self) -> &[Warning] {
        &self.state.warnings
    }
    /// The loaded configuration.
    pub fn config(&self) -> Arc<FileDaemonConfig> {
        self.state.config()
    }
    /// The status report `status client` shows.
    pub fn status_text(&self) -> String {
        status::status_text(&self.state)
    }
    /// Stop accepting, end the sessions and wait for the tasks.
    pub async fn shutdown(self) {
        self.shutdown.trigger();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Load the configuration, bind the listeners and start serving.
pub async fn start(opts: StartOptions) -> Result<FileDaemon, FdError> {
    let path = opts.config_path.clone();
    let loaded = tokio::task::spawn_blocking(move || cairn_config::load_filedaemon(&path))
        .await
        .map_err(|e| FdError::Io(std::io::Error::other(e.to_string())))??;
    if !loaded.warnings.is_empty() {
        tracing::warn!("the configuration has {} warning(s); see `cairn fd -t`", loaded.warnings.len());
        for w in &loaded.warnings {
            tracing::info!("{w}");
        }
    }
    // Bad TLS files are a start-up error, not a per-connection surprise.
    let c = &loaded.config.client;
    c.tls.options().server().map_err(|e| FdError::Io(std::io::Error::other(format!("Client {}: {e}", c.name))))?;
    let listen = opts.listen_override.clone().unwrap_or_else(|| loaded.config.client.listen.clone());
    let state = Arc::new(FdState::new(loaded.config, loaded.warnings, opts.config_path));
    let shutdown = Shutdown::new();
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    for l in listen {
        let listener = server::bind(&l).await?;
        addrs.push(listener.local_addr()?);
        let st = state.clone();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            cairn_runtime::serve(listener, 256, sd, move |stream, peer, token| {
                server::handle_connection(st.clone(), stream, peer, token)
            })
            .await;
        }));
    }
    // Directors this client dials itself (Connection From Client To Director).
    for d in state.config().directors.iter().filter(|d| d.connection_from_client_to_director) {
        let (st, dir, token) = (state.clone(), d.clone(), shutdown.token());
        tasks.push(tokio::spawn(client_initiated::run_link(st, dir, token)));
    }
    tracing::info!(addrs = ?addrs, "file daemon started");
    Ok(FileDaemon { addrs, shutdown, tasks, state })
}

/// Run a file daemon in the foreground until SIGTERM/SIGINT.
pub async fn run(opts: StartOptions) -> Result<(), FdError> {
    let fd = start(opts).await?;
    for a in fd.addrs() {
        eprintln!("cairn-fd: listening on {a}");
    }
    cairn_runtime::shutdown_signal().await;
    tracing::info!("shutting down");
    fd.shutdown().await;
    Ok(())
}
