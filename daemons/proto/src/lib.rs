//! The Bareos wire protocol as Cairn speaks it: the packet codec and its signals
//! ([`packet`]), a framed connection over any stream ([`conn`]), the Hello and
//! CRAM-MD5 handshake ([`auth`]) and the console-side [`client::DirectorClient`].
//! `PROTOCOL.md` beside this crate is the prose specification.
//!
//! ```
//! use cairn_proto::auth::{password_key, cram_answer};
//! let key = password_key("secret");
//! assert_eq!(key, "5ebe2294ecd0e0f08eab7690d2a6ee69");
//! assert_eq!(cram_answer(&key, "<1234567890.1700000000@R_DIRECTOR::bareos-dir>", false),
//!            "wGRS45MJwQ/T0h/dbx/WSA");
//! ```

pub mod auth;
pub mod client;
pub mod conn;
pub mod daemon;
pub mod msg;
pub mod packet;
pub mod tls;

pub use auth::AuthError;
pub use client::{Banner, ConnectOptions, DirectorClient, Reply, ReplyEnd};
pub use conn::Conn;
pub use packet::{BnetCodec, Packet, Signal};

/// Errors of the protocol layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: String, source: std::io::Error },
    #[error("packet of {len} bytes exceeds the limit of {max} bytes")]
    PacketTooBig { len: usize, max: usize },
    #[error("bad Hello: {0}")]
    BadHello(String),
    #[error("authentication failed: {0}")]
    Auth(AuthError),
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    #[error("connection closed by peer")]
    Closed,
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    #[error("invalid JSON reply: {0}")]
    BadJson(String),
    #[error("{message}: {}", errors.join(""))]
    CommandFailed { message: String, errors: Vec<String> },
}
