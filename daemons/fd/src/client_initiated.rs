//! Client-initiated connections ("Connection From Client To Director",
//! PROTOCOL.md §5.5): for every `Director` resource with
//! `Connection From Client To Director = yes` the file daemon dials the director,
//! authenticates and keeps the connection open until the director sends a
//! command on it. That connection is then served by the ordinary director command
//! loop ([`crate::server::serve_director`]) on its own task, exactly as if the
//! director had dialed, and a fresh connection is opened at once for the next job
//! (Bareos does the same). A refused or failed attempt, or a parked connection the
//! director closes, is retried with capped exponential back-off (1 s … 60 s).

use std::sync::Arc;
use std::time::Duration;

use cairn_config::FdDirectorRes;
use cairn_proto::auth::{self, AuthError};
use cairn_proto::{Conn, Packet, ProtoError, Signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::state::FdState;

/// The FD protocol version announced in the Hello (as Bareos 25).
pub const FD_PROTOCOL_VERSION: u32 = 54;
/// First retry delay.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// TCP connect plus handshake deadline of one attempt.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// `Hello Client <name> FdProtocolVersion=54 calling Version="25.1.1"\n`.
pub fn client_hello(client: &str) -> String {
    format!(
        "Hello Client {} FdProtocolVersion={FD_PROTOCOL_VERSION} calling Version=\"{}\"\n",
        auth::bash_spaces(client),
        cairn_types::BAREOS_COMPAT_VERSION
    )
}

/// The delay after `current`: doubled, capped at [`BACKOFF_MAX`].
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).clamp(BACKOFF_MIN, BACKOFF_MAX)
}

/// Why an attempt to reach the director failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("{0}")]
    Proto(#[from] ProtoError),
    #[error("the director refused the connection: {0}")]
    Refused(String),
}

/// Dial `host:port`, send the client Hello, answer the director's CRAM challenge
/// and challenge it back with `key` (the hex MD5 of the Director resource's
/// password), then read the director's `1000 OK: <dirname> Version: …` line,
/// which is returned.
pub async fn connect_to_director(
    host: &str,
    port: u16,
    client: &str,
    key: &str,
    timeout: Duration,
) -> Result<(Conn, String), LinkError> {
    connect_to_director_tls(host, port, client, key, timeout, None).await
}

/// [`connect_to_director`] with optional certificate TLS (started before the Hello).
pub async fn connect_to_director_tls(
    host: &str,
    port: u16,
    client: &str,
    key: &str,
    timeout: Duration,
    tls: Option<&cairn_proto::tls::TlsClient>,
) -> Result<(Conn, String), LinkError> {
    let mut conn = cairn_proto::daemon::connect(host, port, tls, timeout).await?;
    conn.send_text(client_hello(client)).await?;
    let own = format!("R_CLIENT::{client}");
    match tokio::time::timeout(timeout, auth::cram_as_client(&mut conn, key, &own)).await {
        Err(_) => return Err(ProtoError::Timeout(timeout).into()),
        Ok(Err(AuthError::Refused(r))) => return Err(LinkError::Refused(r)),
        Ok(Err(e)) => return Err(ProtoError::Auth(e).into()),
        Ok(Ok(())) => {}
    }
    match conn.recv_timeout(timeout).await? {
        Some(Packet::Data(b)) => {
            let line = String::from_utf8_lossy(&b).into_owned();
            if line.starts_with("1000 OK") {
                Ok((conn, line))
            } else {
                Err(LinkError::Refused(line.trim_end().to_string()))
            }
        }
        Some(Packet::Signal(s)) => Err(LinkError::Refused(format!("signal {}", s.name()))),
        None => Err(ProtoError::Closed.into()),
    }
}

/// How a parked connection ended.
enum Parked {
    /// The director sent its first command: serve it.
    Command(Packet),
    /// The director closed the connection (or it failed).
    Dropped(String),
    /// Shutdown.
    Stop,
}

/// Wait on a parked connection for the director's first command.
async fn wait_for_work(conn: &mut Conn, token: &CancellationToken) -> Parked {
    loop {
        let p = tokio::select! {
            _ = token.cancelled() => return Parked::Stop,
            p = conn.recv() => p,
        };
        match p {
            Ok(Some(Packet::Signal(Signal::Heartbeat))) => {
                if conn.send_signal(Signal::HbResponse).await.is_err() {
                    return Parked::Dropped("cannot answer a heartbeat".into());
                }
            }
            Ok(Some(Packet::Signal(Signal::HbResponse))) => {}
            Ok(Some(Packet::Signal(Signal::Terminate))) => return Parked::Dropped("the director ended the connection".into()),
            Ok(Some(p)) => return Parked::Command(p),
            Ok(None) => return Parked::Dropped("the director closed the connection".into()),
            Err(e) => return Parked::Dropped(e.to_string()),
        }
    }
}

/// Keep one connection to the director `dir` open until `token` is cancelled.
pub async fn run_link(state: Arc<FdState>, dir: FdDirectorRes, token: CancellationToken) {
    let sessions = TaskTracker::new();
    let mut delay = BACKOFF_MIN;
    let Some(host) = dir.address.clone().filter(|a| !a.is_empty()) else {
        tracing::error!(director = %dir.name, "cannot connect to the director: its Address directive is missing");
        return;
    };
    loop {
        if token.is_cancelled() {
            break;
        }
        let client = state.config().client.name.clone();
        let tls = match dir.tls.options().client() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(director = %dir.name, error = %e, "cannot connect to the director: TLS set-up failed");
                return;
            }
        };
        let attempt = tokio::select! {
            _ = token.cancelled() => break,
            r = connect_to_director_tls(&host, dir.port, &client, &dir.password.0, HANDSHAKE_TIMEOUT, tls.as_deref()) => r,
        };
        let wait = match attempt {
            Ok((mut conn, ok)) => {
                tracing::info!(director = %dir.name, address = %host, port = dir.port, reply = ok.trim_end(), "connected to the director, waiting for jobs");
                match wait_for_work(&mut conn, &token).await {
                    Parked::Command(first) => {
                        // Serve this connection on its own task and open the next one now.
                        delay = BACKOFF_MIN;
                        let (st, tk, monitor) = (state.clone(), token.clone(), dir.monitor);
                        sessions.spawn(crate::server::serve_director(st, conn, monitor, Some(first), tk));
                        continue;
                    }
                    Parked::Dropped(why) => {
                        tracing::info!(director = %dir.name, reason = %why, "client-initiated connection ended; reconnecting");
                        conn.close().await;
                        delay = BACKOFF_MIN;
                        BACKOFF_MIN
                    }
                    Parked::Stop => {
                        let _ = conn.send_signal(Signal::Terminate).await;
                        conn.close().await;
                        break;
                    }
                }
            }
            Err(e) => {
                let d = delay;
                tracing::warn!(director = %dir.name, address = %host, port = dir.port, error = %e, "failed to connect to the director; retry in {}s", d.as_secs());
                delay = next_backoff(delay);
                d
            }
        };
        tokio::select! {
            _ = token.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    sessions.close();
    sessions.wait().await;
    tracing::debug!(director = %dir.name, "client-initiated connection task ended");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_line() {
        assert_eq!(client_hello("laptop-fd"), "Hello Client laptop-fd FdProtocolVersion=54 calling Version=\"25.1.1\"\n");
        assert_eq!(client_hello("my fd"), "Hello Client my\u{1}fd FdProtocolVersion=54 calling Version=\"25.1.1\"\n");
        match auth::parse_hello(client_hello("laptop-fd").as_bytes()) {
            Ok(auth::Hello::Client { name, fd_protocol, version }) => {
                assert_eq!(name, "laptop-fd");
                assert_eq!(fd_protocol, Some(54));
                assert_eq!(version.as_deref(), Some("25.1.1"));
            }
            other => panic!("not a client hello: {other:?}"),
        }
    }

    use tokio::net::TcpListener;

    const KEY_PW: &str = "fdpw";

    fn fd_state(dir_port: u16) -> Result<(tempfile::TempDir, Arc<FdState>), Box<dyn std::error::Error>> {
        let t = tempfile::tempdir()?;
        let p = t.path().join("fd.conf");
        std::fs::write(
            &p,
            format!(
                "Client {{\n  Name = laptop-fd\n  Working Directory = \"{}\"\n}}\nDirector {{\n  Name = test-dir\n  Password = \"{KEY_PW}\"\n  Address = 127.0.0.1\n  Port = {dir_port}\n  Connection From Client To Director = yes\n  Connection From Director To Client = no\n}}\n",
                t.path().display()
            ),
        )?;
        let loaded = cairn_config::load_filedaemon(&p)?;
        Ok((t, Arc::new(FdState::new(loaded.config, loaded.warnings, p))))
    }

    /// Accept one client-initiated connection as a director would; returns the
    /// authenticated connection and the Hello.
    async fn accept_as_director(l: &TcpListener, pw: &str) -> Result<(Conn, String), Box<dyn std::error::Error>> {
        let (s, _) = l.accept().await?;
        let mut c = Conn::from_tcp(s);
        let hello = match c.recv_timeout(Duration::from_secs(10)).await? {
            Some(Packet::Data(b)) => String::from_utf8_lossy(&b).into_owned(),
            other => return Err(format!("no hello: {other:?}").into()),
        };
        auth::cram_as_server(&mut c, &auth::password_key(pw), "R_DIRECTOR::test-dir").await?;
        c.send_text("1000 OK: test-dir Version: 25.1.1 (04 March 2026)\n").await?;
        Ok((c, hello))
    }

    #[tokio::test]
    async fn parks_serves_a_command_and_reconnects() -> Result<(), Box<dyn std::error::Error>> {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        let port = l.local_addr()?.port();
        let (_t, st) = fd_state(port)?;
        let dir = st.config().directors[0].clone();
        let token = CancellationToken::new();
        let task = tokio::spawn(run_link(st.clone(), dir, token.clone()));
        let (mut c, hello) = tokio::time::timeout(Duration::from_secs(10), accept_as_director(&l, KEY_PW)).await??;
        assert_eq!(hello, "Hello Client laptop-fd FdProtocolVersion=54 calling Version=\"25.1.1\"\n");
        // The parked connection serves the ordinary command loop.
        c.send_text("status\n").await?;
        let mut text = String::new();
        loop {
            match c.recv_timeout(Duration::from_secs(10)).await? {
                Some(Packet::Data(b)) => text.push_str(&String::from_utf8_lossy(&b)),
                Some(Packet::Signal(Signal::Eod)) => break,
                other => return Err(format!("unexpected {other:?}").into()),
            }
        }
        assert!(text.contains("laptop-fd"), "status text: {text}");
        // Taken into use: the FD opens the next connection at once.
        let (c2, _) = tokio::time::timeout(Duration::from_secs(10), accept_as_director(&l, KEY_PW)).await??;
        // A parked connection the director closes is re-opened.
        c2.close().await;
        let (_c3, _) = tokio::time::timeout(Duration::from_secs(10), accept_as_director(&l, KEY_PW)).await??;
        token.cancel();
        tokio::time::timeout(Duration::from_secs(10), task).await??;
        c.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn wrong_password_and_unknown_client_are_refusals() -> Result<(), Box<dyn std::error::Error>> {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        let port = l.local_addr()?.port();
        let srv = tokio::spawn(async move {
            // 1: wrong password
            let (s, _) = l.accept().await?;
            let mut c = Conn::from_tcp(s);
            let _ = c.recv().await?;
            let r = auth::cram_as_server(&mut c, &auth::password_key("other"), "R_DIRECTOR::test-dir").await;
            assert!(r.is_err());
            c.send_text(auth::NOT_AUTHORIZED).await?;
            c.close().await;
            // 2: unknown client
            let (s, _) = l.accept().await?;
            let mut c = Conn::from_tcp(s);
            let _ = c.recv().await?;
            c.send_text(auth::NOT_AUTHORIZED).await?;
            c.close().await;
            Ok::<_, ProtoError>(())
        });
        let key = auth::password_key(KEY_PW);
        let r = connect_to_director("127.0.0.1", port, "laptop-fd", &key, Duration::from_secs(10)).await;
        assert!(matches!(&r, Err(LinkError::Refused(m)) if m.contains("1999")), "{r:?}");
        let r = connect_to_director("127.0.0.1", port, "laptop-fd", &key, Duration::from_secs(10)).await;
        assert!(matches!(&r, Err(LinkError::Refused(m)) if m.contains("not authorized")), "{r:?}");
        srv.await??;
        Ok(())
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let mut d = BACKOFF_MIN;
        let mut seen = vec![d.as_secs()];
        for _ in 0..8 {
            d = next_backoff(d);
            seen.push(d.as_secs());
        }
        assert_eq!(seen, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
