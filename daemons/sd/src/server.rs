//! The listener: classify each connection (TLS ClientHello, `Hello Director`,
//! `Hello Start Job`), authenticate it (PROTOCOL.md §5.1) and hand it on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cairn_config::ListenAddr;
use cairn_proto::daemon::{DaemonHello, parse_daemon_hello};
use cairn_proto::{Conn, Packet, Signal, auth, tls};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::SdError;
use crate::state::SdState;

/// How long a peer may take to send its Hello and finish CRAM.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(30);
/// Delay before answering a failed authentication (slows down guessing).
const REFUSAL_DELAY: Duration = Duration::from_millis(200);

/// Bind one listen address (no host = all addresses, IPv6 then IPv4).
pub async fn bind(l: &ListenAddr) -> Result<TcpListener, SdError> {
    let candidates: Vec<String> = match &l.host {
        Some(h) if h.contains(':') && !h.starts_with('[') => vec![format!("[{h}]:{}", l.port)],
        Some(h) => vec![format!("{h}:{}", l.port)],
        None => vec![format!("[::]:{}", l.port), format!("0.0.0.0:{}", l.port)],
    };
    let mut last = None;
    for c in &candidates {
        match TcpListener::bind(c).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some((c.clone(), e)),
        }
    }
    let (addr, source) = last.unwrap_or_else(|| ("?".into(), std::io::Error::other("no address")));
    Err(SdError::Listen { addr, source })
}

async fn refuse(mut c: Conn) {
    tokio::time::sleep(REFUSAL_DELAY).await;
    let _ = c.send_signal(Signal::Terminate).await;
    c.close().await;
}

/// Serve one accepted connection. Errors end this connection only.
pub async fn handle_connection(state: Arc<SdState>, stream: TcpStream, peer: SocketAddr, token: CancellationToken) {
    let tls = match state.cfg.storage.tls.options().server() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(%peer, error = %e, "TLS set-up failed, closing the connection");
            return;
        }
    };
    let mut c = match tls::accept(stream, &peer.to_string(), tls.as_deref(), "storage daemon", HELLO_TIMEOUT).await {
        Ok(tls::Accepted::Conn { conn, .. }) => conn,
        Ok(tls::Accepted::Refused(why)) => {
            tracing::info!(%peer, "{why}");
            return;
        }
        Err(_) => return,
    };
    let first = tokio::select! {
        _ = token.cancelled() => return,
        r = c.recv_timeout(HELLO_TIMEOUT) => r,
    };
    let hello = match first {
        Ok(Some(Packet::Data(b))) => parse_daemon_hello(&b),
        Ok(Some(Packet::Signal(s))) => {
            tracing::info!(%peer, signal = s.name(), "signal instead of Hello, closing");
            return refuse(c).await;
        }
        Ok(None) => return,
        Err(e) => {
            tracing::info!(%peer, error = %e, "bad first frame, closing");
            return refuse(c).await;
        }
    };
    let own = format!("R_STORAGE::{}", state.name());
    match hello {
        Ok(DaemonHello::Director { name }) => {
            let Some(dir) = state.cfg.director(&name) else {
                tracing::warn!(%peer, director = %name, "connection from an unknown director refused");
                return refuse(c).await;
            };
            let key = dir.password.0.clone();
            let monitor = dir.monitor;
            match tokio::time::timeout(HELLO_TIMEOUT, auth::cram_as_server(&mut c, &key, &own)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(%peer, director = %name, error = %e, "director authentication failed");
                    tokio::time::sleep(REFUSAL_DELAY).await;
                    c.close().await;
                    return;
                }
                Err(_) => {
                    tracing::warn!(%peer, director = %name, "director authentication timed out");
                    return;
                }
            }
            if c.send_text("3000 OK Hello\n").await.is_err() {
                return;
            }
            crate::dircmd::serve_director(state, c, name, monitor, token).await;
        }
        Ok(DaemonHello::StartJob { job }) => {
            let Some(ctl) = state.job(&job) else {
                tracing::warn!(%peer, %job, "file daemon connection for an unknown job refused");
                return refuse(c).await;
            };
            match tokio::time::timeout(HELLO_TIMEOUT, auth::cram_as_server(&mut c, &ctl.authorization, &own)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(%peer, %job, error = %e, "file daemon authentication failed");
                    tokio::time::sleep(REFUSAL_DELAY).await;
                    c.close().await;
                    return;
                }
                Err(_) => {
                    tracing::warn!(%peer, %job, "file daemon authentication timed out");
                    return;
                }
            }
            if let Err(c) = ctl.deliver_fd(c) {
                tracing::warn!(%peer, %job, "file daemon connected but the job is not waiting for one");
                refuse(*c).await;
            }
        }
        Err(e) => {
            tracing::info!(%peer, error = %e, "garbage handshake, closing");
            refuse(c).await;
        }
    }
}
