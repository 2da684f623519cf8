//! Shared daemon scaffolding for the director, storage daemon and file daemon:
//! a connection-limited accept loop with graceful drain ([`serve`]), shutdown on
//! SIGTERM/SIGINT ([`shutdown_signal`]), tracing set-up ([`init_tracing`]), an
//! injectable [`Clock`] and RunScript command splitting ([`command::split_command`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use cairn_runtime::{serve, Shutdown};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let shutdown = Shutdown::new();
//! serve(listener, 20, shutdown.clone(), |stream, peer, _token| async move {
//!     let _ = (stream, peer);
//! }).await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub mod clock;
pub mod trace;
pub mod command;
pub use clock::{Clock, ManualClock, SystemClock};

/// A cloneable "stop now" flag shared by a daemon's tasks.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Shutdown { token: CancellationToken::new() }
    }
    /// Ask every task to stop.
    pub fn trigger(&self) {
        self.token.cancel()
    }
    /// True once [`Shutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }
    /// Resolves when shutdown is triggered.
    pub async fn wait(&self) {
        self.token.cancelled().await
    }
    /// The underlying token, for `select!`.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

/// Accept connections until `shutdown` triggers, running `handler` for each on its
/// own task. At most `max_connections` handlers run at once; further connections
/// wait in the kernel backlog. After shutdown, waits for running handlers (which get
/// the token to notice the shutdown themselves) before returning.
pub async fn serve<F, Fut>(listener: TcpListener, max_connections: usize, shutdown: Shutdown, handler: F)
where
    F: Fn(TcpStream, SocketAddr, CancellationToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(max_connections.max(1)));
    let tracker = TaskTracker::new();
    let handler = Arc::new(handler);
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => break,
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.wait() => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let h = handler.clone();
        let token = shutdown.token();
        tracker.spawn(async move {
            h(stream, peer, token).await;
            drop(permit);
        });
    }
    tracker.close();
    tracker.wait().await;
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! { _ = t.recv() => {}, _ = i.recv() => {} }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Resolves on each SIGHUP (reload request); never resolves where unsupported.
pub struct HangupSignal {
    #[cfg(unix)]
    inner: Option<tokio::signal::unix::Signal>,
}

impl HangupSignal {
    pub fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            HangupSignal { inner: signal(SignalKind::hangup()).ok() }
        }
        #[cfg(not(unix))]
        HangupSignal {}
    }
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = self.inner.as_mut() {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    }
}

impl Default for HangupSignal {
    fn default() -> Self {
        Self::new()
    }
}

/// Install the process-wide tracing subscriber: `-d N` maps to a level
/// (0 → warn, 1–99 → info, 100–199 → debug, ≥ 200 → trace); `RUST_LOG` overrides.
/// Logs go to stderr. Safe to call more than once (later calls are ignored).
pub fn init_tracing(debug_level: u32) {
    let level = match debug_level {
        0 => "warn",
        1..=99 => "info",
        100..=199 => "debug",
        _ => "trace",
    };
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Per-layer filters: stderr follows `-d`/RUST_LOG, the setdebug tap follows
    // each daemon's run-time level.
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter);
    let tap = trace::TapLayer.with_filter(tracing_subscriber::filter::filter_fn(trace::TapLayer::enabled_for));
    let _ = tracing_subscriber::registry().with(stderr).with(tap).try_init();
}
