//! Where console output goes: the terminal (any [`AsyncWrite`]), or an
//! `@output` file instead of it, or an `@tee` file as well as it.
//!
//! As in bconsole *everything* the console prints after the banner goes
//! through this sink: echoed input lines, Director replies and `@`-command
//! output. So an `@output` log contains the commands too, which is what
//! Bareos's system tests diff.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::at_commands::OpenMode;
use crate::error::ConsoleError;

/// The output sink.
#[derive(Debug)]
pub struct Output<W> {
    term: W,
    file: Option<(PathBuf, File)>,
    tee: bool,
    /// Whether the last text written ended a line (or nothing was written yet).
    at_line_start: bool,
}

impl<W: AsyncWrite + Unpin> Output<W> {
    /// Output to `term` only.
    pub fn new(term: W) -> Self {
        Output { term, file: None, tee: false, at_line_start: true }
    }

    /// Write text to the current destination(s) and flush.
    pub async fn write_str(&mut self, s: &str) -> Result<(), ConsoleError> {
        if s.is_empty() {
            return Ok(());
        }
        self.at_line_start = s.ends_with('\n');
        if let Some((_, f)) = self.file.as_mut() {
            f.write_all(s.as_bytes())?;
            f.flush()?;
            if !self.tee {
                return Ok(());
            }
        }
        self.term.write_all(s.as_bytes()).await?;
        self.term.flush().await?;
        Ok(())
    }

    /// Write to the terminal only, whatever the redirection (used for things
    /// that are not console output, like a final error line).
    pub async fn write_term(&mut self, s: &str) -> Result<(), ConsoleError> {
        if !s.is_empty() {
            self.at_line_start = s.ends_with('\n');
        }
        self.term.write_all(s.as_bytes()).await?;
        self.term.flush().await?;
        Ok(())
    }

    /// True when the last text written ended with a newline.
    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }

    /// `@output file [mode]` (tee = false) or `@tee file [mode]` (tee = true).
    /// A previously open file is closed first.
    pub fn redirect(&mut self, path: &Path, mode: OpenMode, tee: bool) -> std::io::Result<()> {
        let mut oo = OpenOptions::new();
        match mode {
            OpenMode::Append => oo.append(true).create(true),
            OpenMode::Truncate => oo.write(true).truncate(true).create(true),
        };
        let f = oo.open(path)?;
        self.file = Some((path.to_path_buf(), f));
        self.tee = tee;
        Ok(())
    }

    /// `@output` / `@tee` without a file: close it, back to the terminal only.
    /// (bconsole leaves tee mode switched on after a bare `@tee` with no file
    /// open, which doubles every line; Cairn does not copy that.)
    pub fn close_file(&mut self) {
        self.file = None;
        self.tee = false;
    }

    /// The file output currently goes to, and whether it is a tee.
    pub fn redirection(&self) -> Option<(&Path, bool)> {
        self.file.as_ref().map(|(p, _)| (p.as_path(), self.tee))
    }

    /// Give the terminal writer back.
    pub fn into_inner(self) -> W {
        self.term
    }

    /// The terminal writer.
    pub fn term_mut(&mut self) -> &mut W {
        &mut self.term
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_append_and_truncate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("log");
        std::fs::write(&p, "old\n").expect("write");
        let mut o = Output::new(Vec::<u8>::new());
        o.write_str("term1\n").await.expect("w");
        o.redirect(&p, OpenMode::Append, false).expect("open");
        o.write_str("file1\n").await.expect("w");
        o.close_file();
        o.write_str("term2\n").await.expect("w");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "old\nfile1\n");
        o.redirect(&p, OpenMode::Truncate, false).expect("open");
        o.write_str("file2\n").await.expect("w");
        o.close_file();
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "file2\n");
        assert_eq!(String::from_utf8(o.into_inner()).expect("utf8"), "term1\nterm2\n");
    }

    #[tokio::test]
    async fn tee_writes_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("tee");
        let mut o = Output::new(Vec::<u8>::new());
        o.redirect(&p, OpenMode::Append, true).expect("open");
        assert_eq!(o.redirection(), Some((p.as_path(), true)));
        o.write_str("both\n").await.expect("w");
        o.write_term("only-term\n").await.expect("w");
        o.close_file();
        o.write_str("after\n").await.expect("w");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "both\n");
        assert_eq!(String::from_utf8(o.into_inner()).expect("utf8"), "both\nonly-term\nafter\n");
    }
}
