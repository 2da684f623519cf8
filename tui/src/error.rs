//! The crate's error type.

/// Why the TUI could not start (or had to stop). Connection problems are not
/// errors: they show in the status bar and the link is retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuiError {
    #[error("needs a terminal (stdout is not a tty); use `cairn console` for scripts")]
    NotATerminal,
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Theme(#[from] cairn_themes::ThemeError),
    #[error(transparent)]
    Keymap(#[from] crate::keymap::KeymapError),
}
