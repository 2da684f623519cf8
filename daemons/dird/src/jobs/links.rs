//! Director-side daemon links: authenticated connections to storage and file
//! daemons (PROTOCOL.md §5.1) and the one-shot commands sent on them.

use std::time::Duration;

use cairn_config::{ClientRes, DirectorConfig, StorageRes};
use cairn_proto::daemon::{dial_tls, director_hello};
use cairn_proto::{Conn, Packet, ProtoError, Signal};

/// How long to try to reach a daemon.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connect and authenticate to a storage daemon.
pub async fn connect_sd(cfg: &DirectorConfig, s: &StorageRes) -> Result<Conn, ProtoError> {
    tracing::debug!(storage = %s.name, "connecting to the storage daemon at {}:{}", s.address, s.port);
    let name = &cfg.director.name;
    let tls = s.tls.options().client()?;
    let (c, _) = dial_tls(
        &s.address,
        s.port,
        &director_hello(name),
        &s.password.0,
        &format!("R_DIRECTOR::{name}"),
        Some("3000 OK Hello"),
        CONNECT_TIMEOUT,
        tls.as_deref(),
    )
    .await?;
    Ok(c)
}

/// An authenticated connection to a file daemon: the client's parked
/// client-initiated connection when it has one (already authenticated: the caller
/// goes on with its command, no Hello), else a new one the director dials. A
/// client with `Connection From Director To Client = no` is not dialed: the
/// director waits up to `FD Connect Timeout` for it to connect.
pub async fn connect_fd(cfg: &DirectorConfig, c: &ClientRes) -> Result<Conn, ProtoError> {
    use crate::client_conn;
    tracing::debug!(client = %c.name, "connecting to the file daemon at {}:{}", c.address, c.port);
    if c.connection_from_client_to_director
        && let Some(conn) = client_conn::take_for(cfg, &c.name).await
    {
        return Ok(conn);
    }
    if !c.connection_from_director_to_client {
        let refused = |why: String| ProtoError::Connect { addr: format!("client \"{}\"", c.name), source: std::io::Error::other(why) };
        if !c.connection_from_client_to_director {
            return Err(refused(
                "connecting to this client is not allowed (Connection From Director To Client = no and Connection From Client To Director = no)".into(),
            ));
        }
        let wait = Duration::from_secs(cfg.director.fd_connect_timeout.max(1));
        return match client_conn::wait_for(cfg, &c.name, wait).await {
            Some(conn) => Ok(conn),
            None => Err(refused(format!(
                "the client did not connect to the director within {}s (Connection From Director To Client = no: the director does not dial it)",
                wait.as_secs()
            ))),
        };
    }
    let name = &cfg.director.name;
    let tls = c.tls.options().client()?;
    let (conn, _) = dial_tls(
        &c.address,
        c.port,
        &director_hello(name),
        &c.password.0,
        &format!("R_DIRECTOR::{name}"),
        Some("2000 OK Hello"),
        CONNECT_TIMEOUT,
        tls.as_deref(),
    )
    .await?;
    Ok(conn)
}

/// Read text frames until `BNET_EOD` (or the end of the connection).
pub async fn read_until_eod(conn: &mut Conn, timeout: Duration) -> Result<String, ProtoError> {
    let mut out = String::new();
    loop {
        match conn.recv_timeout(timeout).await? {
            Some(Packet::Data(b)) => out.push_str(&String::from_utf8_lossy(&b)),
            Some(Packet::Signal(Signal::Eod)) | Some(Packet::Signal(Signal::Terminate)) | None => return Ok(out),
            Some(Packet::Signal(_)) => continue,
        }
    }
}

/// Read one text reply line (skipping heartbeats).
pub async fn read_line(conn: &mut Conn, timeout: Duration) -> Result<String, ProtoError> {
    loop {
        match conn.recv_timeout(timeout).await? {
            Some(Packet::Data(b)) => {
                let line = String::from_utf8_lossy(&b).into_owned();
                tracing::debug!(peer = conn.peer(), "<< {}", cairn_runtime::trace::redact(line.trim_end()));
                return Ok(line);
            }
            Some(Packet::Signal(Signal::Heartbeat)) => continue,
            Some(Packet::Signal(s)) => return Ok(format!("<signal {}>", s.name())),
            None => return Err(ProtoError::Closed),
        }
    }
}

/// `status` on a storage daemon.
pub async fn sd_status(cfg: &DirectorConfig, s: &StorageRes) -> Result<String, ProtoError> {
    let mut c = connect_sd(cfg, s).await?;
    c.send_text("status\n").await?;
    let t = read_until_eod(&mut c, Duration::from_secs(30)).await?;
    c.close().await;
    Ok(t)
}

/// `status` on a file daemon.
pub async fn fd_status(cfg: &DirectorConfig, c: &ClientRes) -> Result<String, ProtoError> {
    let mut conn = connect_fd(cfg, c).await?;
    conn.send_text("status\n").await?;
    let t = read_until_eod(&mut conn, Duration::from_secs(30)).await?;
    conn.close().await;
    Ok(t)
}

/// Forward a cancel to the file daemon running `job`.
pub async fn cancel_on_fd(cfg: &DirectorConfig, c: &ClientRes, job: &str) -> Result<String, ProtoError> {
    let mut conn = connect_fd(cfg, c).await?;
    conn.send_text(format!("cancel Job={}\n", cairn_proto::auth::bash_spaces(job))).await?;
    let r = read_line(&mut conn, Duration::from_secs(15)).await;
    conn.close().await;
    r
}

/// Send one command line to a file daemon and return its one-line answer.
pub async fn fd_command(cfg: &DirectorConfig, c: &ClientRes, line: &str) -> Result<String, ProtoError> {
    let mut conn = connect_fd(cfg, c).await?;
    tracing::debug!(client = %c.name, ">> {}", line.trim_end());
    conn.send_text(line.to_string()).await?;
    let r = read_line(&mut conn, Duration::from_secs(15)).await;
    conn.close().await;
    r
}

/// Send one command line to a storage daemon and return its one-line answer.
pub async fn sd_command(cfg: &DirectorConfig, s: &StorageRes, line: &str) -> Result<String, ProtoError> {
    let mut conn = connect_sd(cfg, s).await?;
    tracing::debug!(storage = %s.name, ">> {}", line.trim_end());
    conn.send_text(line.to_string()).await?;
    let r = read_line(&mut conn, Duration::from_secs(15)).await;
    conn.close().await;
    r
}

/// Forward a cancel to the storage daemon running `job`.
pub async fn cancel_on_sd(cfg: &DirectorConfig, s: &StorageRes, job: &str) -> Result<String, ProtoError> {
    let mut conn = connect_sd(cfg, s).await?;
    conn.send_text(format!("cancel Job={}\n", cairn_proto::auth::bash_spaces(job))).await?;
    let r = read_line(&mut conn, Duration::from_secs(15)).await;
    conn.close().await;
    r
}

/// Send `label` to a storage daemon; returns its answer line.
pub async fn sd_label(
    cfg: &DirectorConfig,
    s: &StorageRes,
    volume: &str,
    pool: &str,
    device: &str,
) -> Result<String, ProtoError> {
    use cairn_proto::auth::bash_spaces;
    let mut conn = connect_sd(cfg, s).await?;
    conn.send_text(format!(
        "label volume={} pool={} device={} MediaType={} Slot=0 drive=0\n",
        bash_spaces(volume),
        bash_spaces(pool),
        bash_spaces(device),
        bash_spaces(&s.media_type)
    ))
    .await?;
    let r = read_line(&mut conn, Duration::from_secs(60)).await;
    conn.close().await;
    r
}

