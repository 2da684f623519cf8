//! Client-initiated connections ("Connection From Client To Director",
//! PROTOCOL.md §5.5): a file daemon dials the director's console port with
//! `Hello Client <name> FdProtocolVersion=N calling …`, authenticates with its
//! Client resource's password and is parked in a pool keyed by client name
//! (`DirState::client_connections`, shown by `status director`). A job for that
//! client takes the parked connection ([`take`]) and goes on with `JobId=…` on it,
//! with no second Hello or CRAM.
//!
//! Each parked connection has a small watcher task: it removes the entry when the
//! FD closes the connection, closes the connection when the entry is replaced or
//! the director stops, and hands the connection over when a job asks for it (the
//! entry is removed under the pool lock first, so a connection is taken once).
//!
//! `jobs::links::connect_fd` only gets the configuration, not the state; the pool
//! of a director is found through a process-wide registry of directors that have
//! accepted a client connection ([`state_for`]), matched by configuration identity
//! (the `Arc` the state hands out) or, after a reload, by director name and
//! working directory.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use cairn_config::DirectorConfig;
use cairn_proto::auth;
use cairn_proto::{Conn, Packet, Signal};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::state::{ClientConnection, DirState};

/// How long a refused client waits for its answer (as consoles do).
pub const REFUSAL_DELAY: Duration = Duration::from_millis(300);
/// Deadline of the CRAM exchange with a connecting client.
const AUTH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a job waits for a watcher task to hand its connection over.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(5);
/// Poll interval while waiting for a client to connect.
const WAIT_POLL: Duration = Duration::from_millis(100);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static REGISTRY: Mutex<Vec<Weak<DirState>>> = Mutex::new(Vec::new());

/// Remember `state` so [`state_for`] can find its pool from a configuration.
pub fn register(state: &Arc<DirState>) {
    let mut r = match REGISTRY.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    r.retain(|w| w.strong_count() > 0);
    if !r.iter().any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(state))) {
        r.push(Arc::downgrade(state));
    }
}

/// The running director whose configuration is `cfg`: the one handing out this
/// very configuration, else (a reload in between) the one with the same director
/// name and working directory. Only directors that accepted a client connection
/// are known.
pub fn state_for(cfg: &DirectorConfig) -> Option<Arc<DirState>> {
    let states: Vec<Arc<DirState>> = {
        let r = match REGISTRY.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        r.iter().filter_map(Weak::upgrade).collect()
    };
    if let Some(s) = states.iter().find(|s| std::ptr::eq(Arc::as_ptr(&s.config()), cfg)) {
        return Some(s.clone());
    }
    states.into_iter().find(|s| {
        let c = s.config();
        c.director.name == cfg.director.name && c.director.working_directory == cfg.director.working_directory
    })
}

fn pool(state: &DirState) -> std::sync::MutexGuard<'_, Vec<ClientConnection>> {
    match state.client_connections.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Names of the clients with a parked connection, in connection order.
pub fn connected_clients(state: &DirState) -> Vec<String> {
    pool(state).iter().map(|c| c.name.clone()).collect()
}

/// Refuse a client: log with the peer address, queue a security message, answer
/// `1999 You are not authorized.` after a short delay, close.
async fn refuse(state: &DirState, mut c: Conn, peer: SocketAddr, what: String) {
    tracing::warn!(%peer, "{what}");
    state.log_security(format!("{what} (from {peer})\n"));
    tokio::time::sleep(REFUSAL_DELAY).await;
    let _ = c.send_text(auth::NOT_AUTHORIZED).await;
    c.close().await;
}

/// Serve a `Hello Client <name> …` on the director port: check the Client
/// resource, authenticate (the director challenges first with
/// `R_DIRECTOR::<dirname>`, then answers the FD's challenge, both with the Client
/// password's key), send `1000 OK: <dirname> Version: …` and park the connection.
pub async fn accept(
    state: Arc<DirState>,
    mut c: Conn,
    peer: SocketAddr,
    name: String,
    fd_protocol: Option<u32>,
    token: CancellationToken,
) {
    let cfg = state.config();
    let dir_name = cfg.director.name.clone();
    let Some(client) = cfg.client(&name) else {
        let what = format!("Client \"{name}\" tries to connect, but no matching resource is defined.");
        return refuse(&state, c, peer, what).await;
    };
    if !client.connection_from_client_to_director {
        let what = format!(
            "Connection from client \"{name}\" to director is not allowed (Connection From Client To Director = no)."
        );
        return refuse(&state, c, peer, what).await;
    }
    let key = client.password.0.clone();
    drop(cfg);
    let own = format!("R_DIRECTOR::{dir_name}");
    let res = tokio::select! {
        _ = token.cancelled() => return,
        r = tokio::time::timeout(AUTH_TIMEOUT, auth::cram_as_server(&mut c, &key, &own)) => r,
    };
    let err = match res {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {AUTH_TIMEOUT:?}")),
    };
    if let Some(e) = err {
        // A wrong answer has had `1999 Authorization failed.`; as Bareos, the
        // refusal line follows.
        let what = format!("Unable to authenticate client \"{name}\": {e}.");
        return refuse(&state, c, peer, what).await;
    }
    let ok = format!(
        "1000 OK: {dir_name} Version: {} ({})\n",
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE
    );
    if c.send_text(ok).await.is_err() {
        return;
    }
    tracing::info!(%peer, client = %name, "client-initiated connection authenticated, waiting for jobs");
    park(&state, c, name, fd_protocol.unwrap_or(0), peer.to_string(), token);
}

/// Put an authenticated connection into the pool (replacing an older one of the
/// same client) and start its watcher task.
pub fn park(state: &Arc<DirState>, conn: Conn, name: String, protocol_version: u32, peer: String, token: CancellationToken) {
    register(state);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(1);
    let entry = ClientConnection {
        name: name.clone(),
        connected: state.clock.now_local(),
        protocol_version,
        authenticated: true,
        peer,
        id,
        handover: tx,
    };
    {
        let mut p = pool(state);
        // The replaced entries' senders drop here: their watchers close them.
        p.retain(|c| c.name != name);
        p.push(entry);
    }
    tokio::spawn(watch(state.clone(), conn, name, id, rx, token));
}

fn unpark(state: &DirState, id: u64) {
    pool(state).retain(|c| c.id != id);
}

/// The watcher of one parked connection.
async fn watch(
    state: Arc<DirState>,
    mut conn: Conn,
    name: String,
    id: u64,
    mut rx: mpsc::Receiver<oneshot::Sender<Conn>>,
    token: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = token.cancelled() => {
                unpark(&state, id);
                let _ = conn.send_signal(Signal::Terminate).await;
                conn.close().await;
                return;
            }
            req = rx.recv() => match req {
                Some(reply) => {
                    // The taker removed the entry already.
                    if let Err(c) = reply.send(conn) {
                        c.close().await;
                    }
                    return;
                }
                None => {
                    tracing::debug!(client = %name, "parked client connection replaced or dropped");
                    unpark(&state, id);
                    conn.close().await;
                    return;
                }
            },
            p = conn.recv() => match p {
                Ok(Some(Packet::Signal(Signal::Heartbeat))) => {
                    if conn.send_signal(Signal::HbResponse).await.is_err() {
                        unpark(&state, id);
                        return;
                    }
                }
                Ok(Some(Packet::Signal(Signal::HbResponse))) => {}
                other => {
                    let why = match other {
                        Ok(None) => "closed by the client".to_string(),
                        Ok(Some(p)) => format!("unexpected frame from an idle client: {}", p.as_text().trim_end()),
                        Err(e) => e.to_string(),
                    };
                    tracing::info!(client = %name, peer = conn.peer(), reason = %why, "parked client connection removed");
                    unpark(&state, id);
                    conn.close().await;
                    return;
                }
            },
        }
    }
}

/// Take the parked connection of `client`, if any (the newest one). The
/// connection is authenticated; the caller goes on with `JobId=…`.
pub async fn take(state: &DirState, client: &str) -> Option<Conn> {
    loop {
        let entry = {
            let mut p = pool(state);
            let i = p.iter().rposition(|c| c.name == client)?;
            p.remove(i)
        };
        let (tx, rx) = oneshot::channel();
        if entry.handover.send(tx).await.is_err() {
            continue; // its watcher has just ended (the FD closed it)
        }
        match tokio::time::timeout(HANDOVER_TIMEOUT, rx).await {
            Ok(Ok(c)) => {
                tracing::info!(client, peer = c.peer(), "using the client-initiated connection");
                return Some(c);
            }
            _ => continue,
        }
    }
}

/// [`take`] on the director whose configuration is `cfg`.
pub async fn take_for(cfg: &DirectorConfig, client: &str) -> Option<Conn> {
    let state = state_for(cfg)?;
    take(&state, client).await
}

/// Wait up to `timeout` for `client` to connect, then take its connection.
pub async fn wait_for(cfg: &DirectorConfig, client: &str, timeout: Duration) -> Option<Conn> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(c) = take_for(cfg, client).await {
            return Some(c);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}
