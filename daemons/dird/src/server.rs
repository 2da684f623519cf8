//! The director's listener: classify each new connection (TLS ClientHello,
//! console Hello, client-initiated file daemon) and hand it to its handler
//! (`session` for consoles, `client_conn` for file daemons).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cairn_config::ListenAddr;
use cairn_proto::auth::{self, Hello};
use cairn_proto::{tls, Packet, Signal};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::state::DirState;
use crate::DirdError;

/// How long a peer may take to send its Hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// Bind one listen address (no host = all addresses, IPv6 and IPv4).
pub async fn bind(l: &ListenAddr) -> Result<TcpListener, DirdError> {
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
    Err(DirdError::Listen { addr, source })
}

/// Serve one accepted connection. Errors end this connection only.
pub async fn handle_connection(state: Arc<DirState>, stream: TcpStream, peer: SocketAddr, token: CancellationToken) {
    let tls = match state.config().director.tls.options().server() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(%peer, error = %e, "TLS set-up failed, closing the connection");
            return;
        }
    };
    let mut c = match tls::accept(stream, &peer.to_string(), tls.as_deref(), "director", HELLO_TIMEOUT).await {
        Ok(tls::Accepted::Conn { conn, .. }) => conn,
        Ok(tls::Accepted::Refused(why)) => {
            tracing::info!(%peer, "{why}");
            if why.contains("TLS") && !why.contains("ClientHello") {
                state.log_security(format!("Connection from {peer} refused: {why}\n"));
            }
            return;
        }
        Err(_) => return,
    };
    let first = tokio::select! {
        _ = token.cancelled() => return,
        r = c.recv_timeout(HELLO_TIMEOUT) => r,
    };
    let hello = match first {
        Ok(Some(Packet::Data(b))) => auth::parse_hello(&b),
        Ok(Some(Packet::Signal(s))) => {
            tracing::info!(%peer, signal = s.name(), "signal instead of Hello, closing");
            let _ = c.send_signal(Signal::Terminate).await;
            c.close().await;
            return;
        }
        Ok(None) => return,
        Err(e) => {
            tracing::info!(%peer, error = %e, "bad first frame, closing");
            let _ = c.send_signal(Signal::Terminate).await;
            c.close().await;
            return;
        }
    };
    match hello {
        Ok(Hello::Console { name, protocol, .. }) => {
            crate::session::run_console(state, c, name, protocol, token).await;
        }
        Ok(Hello::Client { name, fd_protocol, .. }) => {
            // Client-initiated file daemon (PROTOCOL.md §5.5): authenticate and park.
            crate::client_conn::accept(state, c, peer, name, fd_protocol, token).await;
        }
        Ok(Hello::Director { name, .. }) => {
            tracing::warn!(%peer, director = %name, "director-to-director connection refused");
            let _ = c.send_signal(Signal::Terminate).await;
            c.close().await;
        }
        Err(e) => {
            tracing::info!(%peer, error = %e, "garbage handshake, closing");
            state.log_security(format!("Invalid connection from {peer}: {e}\n"));
            let _ = c.send_signal(Signal::Terminate).await;
            c.close().await;
        }
    }
}
