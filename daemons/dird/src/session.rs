//! One console session: authentication, then the command loop with Bareos's
//! per-API-mode signal sequences (PROTOCOL.md §4.2).

use std::sync::Arc;
use std::time::Duration;

use cairn_proto::auth::{self, ConsoleProtocol, DEFAULT_CONSOLE_NAME};
use cairn_proto::{Conn, Packet, Signal};
use tokio_util::sync::CancellationToken;

use crate::state::DirState;
use crate::ua::output::{MsgKind, Output, Piece};
use crate::ua::{self, Session};

/// Delay before answering a first failed login (slows password guessing; it
/// doubles per address, see `crate::login_guard`).
pub const FAILED_LOGIN_DELAY: Duration = crate::login_guard::BASE_DELAY;

/// Authenticate a console whose Hello was already read, then serve its commands.
pub async fn run_console(
    state: Arc<DirState>,
    mut conn: Conn,
    name: String,
    protocol: ConsoleProtocol,
    shutdown: CancellationToken,
) {
    let cfg = state.config();
    let dir_name = cfg.director.name.clone();
    let named = name != DEFAULT_CONSOLE_NAME;
    let key = if named {
        match cfg.console(&name) {
            Some(c) => c.password.0.clone(),
            None => {
                tracing::warn!(peer = conn.peer(), console = %name, "login refused: unknown console");
                let (delay, n) = state.logins.failed(conn.peer());
                state.log_security(format!(
                    "Console \"{name}\" from {} unknown, connection refused ({n} recent failed logins from this address).\n",
                    conn.peer()
                ));
                tokio::time::sleep(delay).await;
                let _ = match protocol {
                    ConsoleProtocol::V2 => conn.send_signal(Signal::Terminate).await,
                    ConsoleProtocol::V1 => conn.send_text(auth::NOT_AUTHORIZED).await,
                };
                conn.close().await;
                return;
            }
        }
    } else {
        cfg.director.password.0.clone()
    };
    drop(cfg);

    if let Err(e) = auth::cram_as_server(&mut conn, &key, &format!("R_DIRECTOR::{dir_name}")).await {
        tracing::warn!(peer = conn.peer(), console = %name, error = %e, "console authentication failed");
        state.log_security(format!(
            "Console \"{name}\" from {}: authentication failed ({e}).\n",
            conn.peer()
        ));
        let (delay, _) = state.logins.failed(conn.peer());
        tokio::time::sleep(delay).await;
        conn.close().await;
        return;
    }
    state.logins.succeeded(conn.peer());
    // Maximum Console Connections counts logged-in consoles; the listener itself
    // admits more connections so that idle or half-open ones cannot lock consoles out.
    let max = state.config().director.maximum_console_connections.max(1) as usize;
    if state.consoles().len() >= max {
        tracing::warn!(peer = conn.peer(), console = %name, "refused: Maximum Console Connections ({max}) reached");
        let _ = conn.send_text(format!("1999 Too many console connections (Maximum Console Connections = {max}).\n")).await;
        conn.close().await;
        return;
    }

    let version_line = format!(
        "OK: {dir_name} Version: {} ({})",
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE
    );
    let sent = match protocol {
        ConsoleProtocol::V2 => {
            let who = if named {
                format!("You are logged in as: {name}")
            } else {
                "You are connected using the default console".to_string()
            };
            let info = format!(
                "Cairn {} (Bareos-compatible director, protocol of Bareos {})\n{who}",
                cairn_types::CAIRN_VERSION,
                cairn_types::BAREOS_COMPAT_VERSION
            );
            let mut r = conn.send_text(format!("1000\u{1e}{version_line}")).await;
            if r.is_ok() {
                r = conn.send_text(format!("1002\u{1e}{info}")).await;
            }
            r
        }
        ConsoleProtocol::V1 => conn.send_text(format!("1000 {version_line} --  Encryption: None\n")).await,
    };
    if sent.is_err() {
        return;
    }
    tracing::info!(peer = conn.peer(), console = %name, "console connected");
    let guard = state.console_connected(&name, conn.peer());
    let mut session = Session::new(if named { Some(name) } else { None }, conn.peer().to_string());
    command_loop(&state, &mut conn, &mut session, shutdown).await;
    drop(guard);
    conn.close().await;
}

async fn command_loop(state: &Arc<DirState>, conn: &mut Conn, session: &mut Session, shutdown: CancellationToken) {
    loop {
        if session.api >= 1 && conn.send_signal(Signal::MainPrompt).await.is_err() {
            return;
        }
        let packet = tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = conn.send_signal(Signal::Terminate).await;
                return;
            }
            p = conn.recv() => p,
        };
        let line = match packet {
            Ok(Some(Packet::Data(b))) => String::from_utf8_lossy(&b).into_owned(),
            Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) => return,
            Ok(Some(Packet::Signal(Signal::HbResponse))) => continue,
            Ok(Some(Packet::Signal(_))) => {
                if conn.send_signal(Signal::Poll).await.is_err() {
                    return;
                }
                continue;
            }
            Err(e) => {
                tracing::info!(peer = conn.peer(), error = %e, "console connection dropped");
                return;
            }
        };
        let line = line.trim_end_matches(['\0', '\n', '\r', ' ', '\t']).to_string();
        if line.trim().is_empty() {
            if session.api == 0 && conn.send_signal(Signal::Eod).await.is_err() {
                return;
            }
            continue;
        }
        let api_at_start = session.api;
        let (out, ok, found) = ua::execute(state, session, Some(&mut *conn), &line).await;
        if send_output(conn, session, api_at_start, &out, ok, found).await.is_err() {
            return;
        }
        if out.quit {
            return;
        }
        if session.api == 0 {
            let pending = session.may("messages") && state.has_console_messages_for(|j| session.allows(ua::AclKind::Job, j));
            if pending && !session.gui && !session.user_notified {
                if conn.send_text("You have messages.\n").await.is_err() {
                    return;
                }
                session.user_notified = true;
            }
            if conn.send_signal(Signal::Eod).await.is_err() {
                return;
            }
        } else if session.may("messages") && state.has_console_messages_for(|j| session.allows(ua::AclKind::Job, j)) && !session.user_notified {
            session.user_notified = true;
            if conn.send_signal(Signal::MsgsPending).await.is_err() {
                return;
            }
        }
    }
}

/// Send text and message pieces for API mode `api` (no CMD signals, no JSON).
pub(crate) async fn send_pieces(conn: &mut Conn, api: u8, pieces: &[Piece]) -> Result<(), cairn_proto::ProtoError> {
    for piece in pieces {
        match piece {
            Piece::Text(t) => {
                if api <= 1 {
                    conn.feed(Packet::text(t.clone())).await?;
                }
            }
            Piece::Msg(kind, t) => {
                if api >= 1 {
                    let sig = match kind {
                        MsgKind::Info => Signal::InfoMsg,
                        MsgKind::Warning => Signal::WarningMsg,
                        MsgKind::Error => Signal::ErrorMsg,
                    };
                    conn.feed(Packet::Signal(sig)).await?;
                }
                if api <= 1 {
                    conn.feed(Packet::text(t.clone())).await?;
                }
            }
        }
    }
    Ok(())
}

/// Turn an [`Output`] into frames for the session's API mode.
async fn send_output(
    conn: &mut Conn,
    session: &Session,
    api_at_start: u8,
    out: &Output,
    ok: bool,
    found: bool,
) -> Result<(), cairn_proto::ProtoError> {
    if api_at_start >= 1 && found {
        conn.feed(Packet::Signal(Signal::CmdBegin)).await?;
    }
    let api = session.api;
    send_pieces(conn, api, &out.pieces).await?;
    if api >= 1 && found {
        conn.feed(Packet::Signal(if ok { Signal::CmdOk } else { Signal::CmdFailed })).await?;
    }
    if api == 2 {
        let env = out.json_envelope(ok);
        let text = if session.compact {
            serde_json::to_string(&env)
        } else {
            serde_json::to_string_pretty(&env)
        }
        .unwrap_or_else(|_| r#"{"jsonrpc":"2.0","id":null,"error":{"message":"json encoding failed","code":1}}"#.into());
        conn.feed(Packet::text(text)).await?;
    }
    conn.flush().await
}
