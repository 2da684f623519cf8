//! Opening authenticated daemon links (PROTOCOL.md §5.1).

use std::time::Duration;

use tokio::net::TcpStream;

use crate::auth::{self, AuthError};
use crate::conn::Conn;
use crate::packet::Packet;
use crate::tls::TlsClient;
use crate::ProtoError;

/// Connect to `host:port`, send `hello`, run CRAM-MD5 as the connecting side with
/// `key` (challenge name `own_name`), then, when `expect_ok` is given, read the
/// acceptor's hello-OK line and check it starts with that text
/// (`3000 OK Hello` from an SD, `2000 OK Hello` from an FD).
pub async fn dial(
    host: &str,
    port: u16,
    hello: &str,
    key: &str,
    own_name: &str,
    expect_ok: Option<&str>,
    timeout: Duration,
) -> Result<(Conn, String), ProtoError> {
    dial_tls(host, port, hello, key, own_name, expect_ok, timeout, None).await
}

/// Open a TCP connection and, when `tls` is given, run the TLS client handshake
/// first (PROTOCOL.md §3: TLS before the Hello).
pub async fn connect(host: &str, port: u16, tls: Option<&TlsClient>, timeout: Duration) -> Result<Conn, ProtoError> {
    let addr = if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let stream = tokio::time::timeout(timeout, TcpStream::connect(&addr))
        .await
        .map_err(|_| ProtoError::Connect { addr: addr.clone(), source: std::io::ErrorKind::TimedOut.into() })?
        .map_err(|source| ProtoError::Connect { addr: addr.clone(), source })?;
    match tls {
        Some(t) => Ok(t.connect(stream, host, timeout).await?),
        None => Ok(Conn::from_tcp(stream)),
    }
}

/// [`dial`] with optional TLS.
#[allow(clippy::too_many_arguments)]
pub async fn dial_tls(
    host: &str,
    port: u16,
    hello: &str,
    key: &str,
    own_name: &str,
    expect_ok: Option<&str>,
    timeout: Duration,
    tls: Option<&TlsClient>,
) -> Result<(Conn, String), ProtoError> {
    let mut conn = connect(host, port, tls, timeout).await?;
    conn.send_text(hello.to_string()).await?;
    tokio::time::timeout(timeout, auth::cram_as_client(&mut conn, key, own_name))
        .await
        .map_err(|_| ProtoError::Timeout(timeout))?
        .map_err(ProtoError::Auth)?;
    let mut ok_line = String::new();
    if let Some(want) = expect_ok {
        match conn.recv_timeout(timeout).await? {
            Some(Packet::Data(b)) => {
                ok_line = String::from_utf8_lossy(&b).into_owned();
                if !ok_line.starts_with(want) {
                    return Err(ProtoError::Auth(AuthError::Refused(ok_line.trim_end().to_string())));
                }
            }
            Some(Packet::Signal(s)) => return Err(ProtoError::Auth(AuthError::Refused(s.name().into()))),
            None => return Err(ProtoError::Auth(AuthError::Closed)),
        }
    }
    Ok((conn, ok_line))
}

/// The Hello a director sends to a storage or file daemon.
pub fn director_hello(dir_name: &str) -> String {
    format!(
        "Hello Director {} calling Version=\"{}\"\n",
        auth::bash_spaces(dir_name),
        cairn_types::BAREOS_COMPAT_VERSION
    )
}

/// The Hello a file daemon sends to a storage daemon for a job.
pub fn start_job_hello(job: &str) -> String {
    format!("Hello Start Job {} Version=\"{}\"\n", auth::bash_spaces(job), cairn_types::BAREOS_COMPAT_VERSION)
}

/// What a first frame on a storage or file daemon port asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonHello {
    Director { name: String },
    StartJob { job: String },
}

/// Parse the first frame on an SD or FD port.
pub fn parse_daemon_hello(payload: &[u8]) -> Result<DaemonHello, ProtoError> {
    if payload.len() < 15 || payload.len() > 500 {
        return Err(ProtoError::BadHello(format!("Hello frame of {} bytes", payload.len())));
    }
    let text = String::from_utf8_lossy(payload);
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    if let Some(r) = text.strip_prefix("Hello Director ") {
        let name = r.split(' ').next().unwrap_or_default();
        return Ok(DaemonHello::Director { name: auth::unbash_spaces(name) });
    }
    if let Some(r) = text.strip_prefix("Hello Start Job ") {
        let job = r.split(' ').next().unwrap_or_default();
        return Ok(DaemonHello::StartJob { job: auth::unbash_spaces(job) });
    }
    Err(ProtoError::BadHello(text.chars().take(60).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_round_trip() -> Result<(), ProtoError> {
        let h = director_hello("bareos dir");
        assert_eq!(h, "Hello Director bareos\u{1}dir calling Version=\"25.1.1\"\n");
        assert_eq!(parse_daemon_hello(h.as_bytes())?, DaemonHello::Director { name: "bareos dir".into() });
        let h = start_job_hello("backup.2026-01-01_00.00.00_01");
        assert_eq!(parse_daemon_hello(h.as_bytes())?, DaemonHello::StartJob { job: "backup.2026-01-01_00.00.00_01".into() });
        assert!(parse_daemon_hello(b"Hello *UserAgent* calling version 25.1.1\n").is_err());
        Ok(())
    }
}
