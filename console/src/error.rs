//! The crate's single error type.

use cairn_proto::ProtoError;

/// Everything that can go wrong in the console. Expected user-level conditions
/// (a bad `@`-command argument, an unknown command) are not errors: they are
/// printed to the console output exactly as bconsole prints them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The configuration could not be found, parsed or is incomplete.
    #[error("{0}")]
    Config(String),
    /// `-D name` names no Director resource (bconsole: `Can't find <name> in Director list`).
    #[error("Can't find {0} in Director list")]
    UnknownDirector(String),
    /// TCP connect or login failed.
    #[error("Failed to connect to Director {name} at {address}:{port}: {cause}")]
    Connect { name: String, address: String, port: u16, cause: String },
    /// A protocol error after login (connection lost, bad frame).
    #[error("connection to the Director failed: {0}")]
    Proto(#[from] ProtoError),
    /// Reading input or writing output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The interactive line editor could not be started or died.
    #[error("line editor: {0}")]
    Editor(String),
}
