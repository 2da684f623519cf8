//! Positions, diagnostics, warnings and the crate's single error type.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a configuration file (1-based line and column, columns counted in characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pos {
    pub file: Arc<PathBuf>,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(file: &Arc<PathBuf>, line: u32, col: u32) -> Pos {
        Pos { file: Arc::clone(file), line, col }
    }
    /// A position pointing at the start of `file`.
    pub fn start_of(file: &Path) -> Pos {
        Pos { file: Arc::new(file.to_path_buf()), line: 1, col: 1 }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One configuration problem with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl Diagnostic {
    pub fn at(pos: &Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic { file: (*pos.file).clone(), line: pos.line, col: pos.col, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.col, self.message)
    }
}

/// A non-fatal remark about the configuration (deprecated or not-yet-supported directives, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl Warning {
    pub fn at(pos: &Pos, message: impl Into<String>) -> Warning {
        Warning { file: (*pos.file).clone(), line: pos.line, col: pos.col, message: message.into() }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: warning: {}", self.file.display(), self.line, self.col, self.message)
    }
}

fn list_diags(d: &[Diagnostic]) -> String {
    d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
}

/// Everything that can go wrong while locating, reading or validating a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration was read but is invalid; every problem is listed as `<file>:<line>:<col>: <message>`.
    #[error("{}", list_diags(.0))]
    Invalid(Vec<Diagnostic>),
    /// No configuration for the component was found at the given path.
    #[error("no {component} configuration found at {}", .path.display())]
    NotFound { path: PathBuf, component: &'static str },
    /// A configuration file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The individual diagnostics (empty for non-`Invalid` errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Invalid(d) => d,
            _ => &[],
        }
    }
}
