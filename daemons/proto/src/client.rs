//! `DirectorClient`: the console side of a director connection, used by
//! `cairn console` (raw text, API 0) and the TUI (JSON, API 2).

use std::time::Duration;

use bytes::BytesMut;

use crate::auth::{self, AuthError, ConsoleProtocol, DEFAULT_CONSOLE_NAME};
use crate::conn::Conn;
use crate::packet::{Packet, Signal};
use crate::ProtoError;

/// How to reach and log into a director.
#[derive(Clone)]
pub struct ConnectOptions {
    pub address: String,
    pub port: u16,
    /// `None` = the default console (`*UserAgent*`, Director password).
    pub console_name: Option<String>,
    /// The shared key: hex MD5 of the password (see [`auth::password_key`]).
    pub password_key: String,
    pub connect_timeout: Duration,
    pub protocol: ConsoleProtocol,
    /// Certificate TLS towards the director (`None` = cleartext).
    pub tls: Option<std::sync::Arc<crate::tls::TlsClient>>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("address", &self.address)
            .field("port", &self.port)
            .field("console_name", &self.console_name)
            .field("protocol", &self.protocol)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// Options for the default console with a clear-text password.
    pub fn new(address: impl Into<String>, port: u16, password_key: impl Into<String>) -> Self {
        ConnectOptions {
            address: address.into(),
            port,
            console_name: None,
            password_key: password_key.into(),
            connect_timeout: Duration::from_secs(15),
            protocol: ConsoleProtocol::V2,
            tls: None,
        }
    }
}

/// What the director said after a successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// `1000 OK: bareos-dir Version: 25.1.1 (04 March 2026)`
    pub ok_line: String,
    /// The 1002 info text (protocol 2), e.g. `You are connected using the default console`.
    pub info: Option<String>,
}

/// How a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyEnd {
    /// `BNET_EOD`: end of a reply in API 0.
    Eod,
    /// `BNET_MAIN_PROMPT`: end of a reply in API 1/2.
    MainPrompt,
    /// `BNET_SUB_PROMPT`: the director asks a question; send the answer as a command.
    SubPrompt,
    /// The director closed the session (`quit`, `BNET_TERMINATE` or EOF).
    Closed,
}

/// One reply: concatenated text frames plus the signals seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub signals: Vec<Signal>,
    pub end: ReplyEnd,
}

impl Reply {
    /// True when the director flagged the command as failed (API >= 1).
    pub fn failed(&self) -> bool {
        self.signals.contains(&Signal::CmdFailed) || self.signals.contains(&Signal::ErrorMsg)
    }
    /// True when the reply entered restore-tree mode (`$ ` prompt).
    pub fn in_tree(&self) -> bool {
        let start = self.signals.iter().rposition(|s| *s == Signal::StartRtree);
        let end = self.signals.iter().rposition(|s| *s == Signal::EndRtree);
        match (start, end) {
            (Some(s), Some(e)) => s > e,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// A logged-in console connection.
#[derive(Debug)]
pub struct DirectorClient {
    conn: Conn,
    banner: Banner,
    api: u8,
    compact: bool,
    closed: bool,
}

impl DirectorClient {
    /// Connect over TCP and authenticate.
    pub async fn connect(opts: &ConnectOptions) -> Result<DirectorClient, ProtoError> {
        let conn =
            crate::daemon::connect(&opts.address, opts.port, opts.tls.as_deref(), opts.connect_timeout).await?;
        Self::login(conn, opts).await
    }

    /// Authenticate on an already open connection (TCP, TLS, or a test duplex).
    pub async fn login(mut conn: Conn, opts: &ConnectOptions) -> Result<DirectorClient, ProtoError> {
        let name = opts.console_name.clone().unwrap_or_else(|| DEFAULT_CONSOLE_NAME.to_string());
        let hello = match opts.protocol {
            ConsoleProtocol::V2 => format!(
                "Hello {} calling version {}\n",
                auth::bash_spaces(&name),
                cairn_types::BAREOS_COMPAT_VERSION
            ),
            ConsoleProtocol::V1 => format!("Hello {} calling\n", auth::bash_spaces(&name)),
        };
        conn.send_text(hello).await?;
        auth::cram_as_client(&mut conn, &opts.password_key, &format!("R_CONSOLE::{name}"))
            .await
            .map_err(|e| match e {
                AuthError::Refused(msg) if msg == "BNET_TERMINATE" => ProtoError::Auth(AuthError::Refused(
                    "the director refused this console (unknown console name, or TLS required)".into(),
                )),
                other => ProtoError::Auth(other),
            })?;
        let first = match conn.recv_timeout(Duration::from_secs(30)).await? {
            Some(Packet::Data(b)) => String::from_utf8_lossy(&b).into_owned(),
            Some(Packet::Signal(s)) => return Err(ProtoError::Auth(AuthError::Refused(s.name().into()))),
            None => return Err(ProtoError::Auth(AuthError::Closed)),
        };
        let banner = match opts.protocol {
            ConsoleProtocol::V2 => {
                let Some(rest) = first.strip_prefix("1000\u{1e}") else {
                    if first.starts_with("1001") {
                        return Err(ProtoError::Auth(AuthError::Refused(
                            "the director requires PAM authentication, which cairn console does not support yet"
                                .into(),
                        )));
                    }
                    return Err(ProtoError::Auth(AuthError::Refused(first.trim_end().to_string())));
                };
                let info = match conn.recv_timeout(Duration::from_secs(30)).await? {
                    Some(Packet::Data(b)) => {
                        let t = String::from_utf8_lossy(&b).into_owned();
                        t.strip_prefix("1002\u{1e}").map(|s| s.replace('\u{1e}', " "))
                    }
                    _ => None,
                };
                Banner { ok_line: format!("1000 {}", rest.replace('\u{1e}', " ")), info }
            }
            ConsoleProtocol::V1 => {
                if !first.starts_with("1000 OK") {
                    return Err(ProtoError::Auth(AuthError::Refused(first.trim_end().to_string())));
                }
                Banner { ok_line: first.trim_end().to_string(), info: None }
            }
        };
        Ok(DirectorClient { conn, banner, api: 0, compact: false, closed: false })
    }

    /// The login banner.
    pub fn banner(&self) -> &Banner {
        &self.banner
    }

    /// The API mode this client believes the session is in.
    pub fn api(&self) -> u8 {
        self.api
    }

    /// True once the director closed the session.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Send one command line (or an answer to a sub-prompt).
    pub async fn send_command(&mut self, line: &str) -> Result<(), ProtoError> {
        self.track_api(line);
        self.conn.send_text(line.to_string()).await
    }

    fn track_api(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        if words.next().map(|w| w.eq_ignore_ascii_case(".api")).unwrap_or(false) {
            let mut mode = 1;
            for w in words {
                match w.to_ascii_lowercase().as_str() {
                    "0" | "off" => mode = 0,
                    "1" | "on" => mode = 1,
                    "2" | "json" => mode = 2,
                    "compact=yes" => self.compact = true,
                    "compact=no" => self.compact = false,
                    _ => {}
                }
            }
            self.api = mode;
        }
    }

    /// Read one reply up to its closing signal.
    pub async fn read_reply(&mut self) -> Result<Reply, ProtoError> {
        let mut buf = BytesMut::new();
        let mut signals = Vec::new();
        loop {
            match self.conn.recv().await? {
                None => {
                    self.closed = true;
                    return Ok(Reply { text: lossy(&buf), signals, end: ReplyEnd::Closed });
                }
                Some(Packet::Data(b)) => buf.extend_from_slice(&b),
                Some(Packet::Signal(s)) => match s {
                    Signal::Eod => return Ok(Reply { text: lossy(&buf), signals, end: ReplyEnd::Eod }),
                    Signal::MainPrompt => {
                        return Ok(Reply { text: lossy(&buf), signals, end: ReplyEnd::MainPrompt });
                    }
                    Signal::SubPrompt => {
                        return Ok(Reply { text: lossy(&buf), signals, end: ReplyEnd::SubPrompt });
                    }
                    Signal::Terminate => {
                        self.closed = true;
                        return Ok(Reply { text: lossy(&buf), signals, end: ReplyEnd::Closed });
                    }
                    Signal::Heartbeat => self.conn.send_signal(Signal::HbResponse).await?,
                    other => signals.push(other),
                },
            }
        }
    }

    /// Send a command and read its reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, ProtoError> {
        self.send_command(line).await?;
        self.read_reply().await
    }

    /// Run a command in JSON mode (switching the session to `.api json compact=yes`
    /// first if needed) and return the `result` object; an `error` envelope becomes
    /// [`ProtoError::CommandFailed`].
    pub async fn json(&mut self, line: &str) -> Result<serde_json::Value, ProtoError> {
        if self.api != 2 || !self.compact {
            let r = self.command(".api json compact=yes").await?;
            if r.end == ReplyEnd::Closed {
                return Err(ProtoError::Closed);
            }
        }
        let r = self.command(line).await?;
        if r.end == ReplyEnd::Closed && r.text.is_empty() {
            return Err(ProtoError::Closed);
        }
        let v: serde_json::Value = serde_json::from_str(&r.text)
            .map_err(|e| ProtoError::BadJson(format!("{e}: {}", r.text.chars().take(200).collect::<String>())))?;
        if let Some(result) = v.get("result") {
            return Ok(result.clone());
        }
        if let Some(err) = v.get("error") {
            let message = err.get("message").and_then(|m| m.as_str()).unwrap_or("failed").to_string();
            let errors: Vec<String> = err
                .pointer("/data/messages/error")
                .and_then(|e| e.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            return Err(ProtoError::CommandFailed { message, errors });
        }
        Err(ProtoError::BadJson(r.text))
    }

    /// Start the event stream (`.events ARGS`, PROTOCOL.md §4.8) and return its
    /// `subscribed` event; a refusal becomes [`ProtoError::CommandFailed`].
    pub async fn subscribe_events(&mut self, args: &str) -> Result<serde_json::Value, ProtoError> {
        self.send_command(format!(".events {args}").trim_end()).await?;
        match self.next_event().await? {
            Some(v) if v.get("event").and_then(|e| e.as_str()) == Some("subscribed") => Ok(v),
            Some(v) => Err(ProtoError::BadJson(v.to_string())),
            None => Err(ProtoError::Closed),
        }
    }

    /// The next event of a stream started by [`DirectorClient::subscribe_events`]
    /// (heartbeats are answered, other signals skipped). `None`: the connection
    /// ended. A text reply instead of an event (the command was refused) is read
    /// to its end and returned as [`ProtoError::CommandFailed`].
    pub async fn next_event(&mut self) -> Result<Option<serde_json::Value>, ProtoError> {
        loop {
            match self.conn.recv().await? {
                None => {
                    self.closed = true;
                    return Ok(None);
                }
                Some(Packet::Data(b)) => {
                    let text = lossy(&b);
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim_end()) {
                        if v.get("event").is_some() {
                            return Ok(Some(v));
                        }
                    }
                    let rest = self.read_reply().await?;
                    let all = format!("{text}{}", rest.text);
                    return Err(ProtoError::CommandFailed { message: all.trim_end().to_string(), errors: vec![all] });
                }
                Some(Packet::Signal(Signal::Heartbeat)) => self.conn.send_signal(Signal::HbResponse).await?,
                Some(Packet::Signal(Signal::Terminate)) => {
                    self.closed = true;
                    return Ok(None);
                }
                Some(Packet::Signal(_)) => continue,
            }
        }
    }

    /// End the event stream; returns the closing reply without any events that
    /// were still in flight.
    pub async fn stop_events(&mut self) -> Result<Reply, ProtoError> {
        self.conn.send_text(".".to_string()).await?;
        let mut r = self.read_reply().await?;
        r.text = r.text.split_inclusive('\n').filter(|l| !l.starts_with("{\"event\"")).collect();
        Ok(r)
    }

    /// Close the connection gracefully.
    pub async fn close(self) {
        self.conn.close().await
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
