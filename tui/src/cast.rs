//! Asciicast v2 recording (`cairn tui --record FILE.cast`) and reading (the
//! replayer in `tests/screens/casts.rs`).
//!
//! A cast is a header line (`{"version": 2, "width": W, "height": H,
//! "timestamp": T, "env": {"TERM": …}}`) then one JSON array a line:
//! `[time, "o", data]` what the TUI wrote to the terminal (the bytes that went
//! through [`CastTee`], one event per flush, i.e. per frame), `[time, "i",
//! key]` a key pressed, `[time, "r", "WxH"]` a resize.
//!
//! Input events carry a **textual key notation**, not raw terminal bytes
//! (crossterm has decoded them before the TUI sees them): a printable
//! character is itself (`"j"`, `"G"`, `"/"`), anything else a name —
//! `Enter Esc Tab BackTab Space Backspace Delete Insert Up Down Left Right Home
//! End PageUp PageDown F1`…`F24` — with `C-` (Ctrl) and `M-` (Alt) prefixes
//! (`"C-r"`). It is what the keymap accepts ([`Key::parse`]), so
//! [`parse_key`] decodes it. Mouse events and pastes are not recorded.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use crate::keymap::Key;

/// The header's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub width: u16,
    pub height: u16,
    /// Unix time of the start.
    pub timestamp: Option<i64>,
    /// `env.TERM`.
    pub term: Option<String>,
}

struct Inner {
    out: Box<dyn Write + Send>,
    start: Instant,
    last: f64,
    /// A frozen clock (scripted recordings): events are stamped with it.
    fixed: Option<f64>,
}

/// A cast being written; cheap to clone (the tee and the loop share it).
/// Write errors are ignored after the header: a recording never stops the TUI.
#[derive(Clone)]
pub struct Cast {
    inner: Arc<Mutex<Inner>>,
}

impl Cast {
    /// Write the header to `out`; events are timed from now.
    pub fn new(mut out: Box<dyn Write + Send>, h: &Header) -> io::Result<Cast> {
        let mut header = json!({"version": 2, "width": h.width, "height": h.height});
        if let Some(t) = h.timestamp {
            header["timestamp"] = json!(t);
        }
        if let Some(term) = &h.term {
            header["env"] = json!({"TERM": term});
        }
        writeln!(out, "{header}")?;
        out.flush()?;
        Ok(Cast { inner: Arc::new(Mutex::new(Inner { out, start: Instant::now(), last: 0.0, fixed: None })) })
    }

    /// Create `path` for a terminal of `width`x`height`, stamped with the
    /// current time and `$TERM`.
    pub fn create(path: &Path, width: u16, height: u16) -> io::Result<Cast> {
        let file = std::fs::File::create(path)?;
        let header = Header {
            width,
            height,
            timestamp: Some(chrono::Utc::now().timestamp()),
            term: std::env::var("TERM").ok().filter(|t| !t.is_empty()),
        };
        Cast::new(Box::new(file), &header)
    }

    /// An event at `time` seconds from the start (never before the last one).
    pub fn event_at(&self, time: f64, kind: &str, data: &str) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let t = time.max(inner.last);
        inner.last = t;
        // Microseconds, as asciinema writes them.
        let t = (t * 1e6).round() / 1e6;
        let line = json!([t, kind, data]);
        let _ = writeln!(inner.out, "{line}");
        let _ = inner.out.flush();
    }

    /// Freeze the clock at `t` seconds: the following events (also the
    /// tee's) are stamped `t` (scripted recordings); `None` thaws it.
    pub fn set_time(&self, t: Option<f64>) {
        if let Ok(mut i) = self.inner.lock() {
            i.fixed = t;
        }
    }

    /// An event now.
    pub fn event(&self, kind: &str, data: &str) {
        let elapsed = match self.inner.lock() {
            Ok(i) => i.fixed.unwrap_or_else(|| i.start.elapsed().as_secs_f64()),
            Err(_) => return,
        };
        self.event_at(elapsed, kind, data);
    }

    /// A key pressed (`"i"`, in the key notation).
    pub fn key(&self, k: &KeyEvent) {
        self.event("i", &key_notation(k));
    }

    /// The terminal was resized (`"r"`).
    pub fn resize(&self, w: u16, h: u16) {
        self.event("r", &format!("{w}x{h}"));
    }
}

/// A writer that passes everything to `inner` and, on each flush, records
/// what was written since the last one as an `"o"` event.
pub struct CastTee<W> {
    inner: W,
    cast: Option<Cast>,
    pending: Vec<u8>,
}

impl<W: Write> CastTee<W> {
    pub fn new(inner: W, cast: Option<Cast>) -> CastTee<W> {
        CastTee { inner, cast, pending: Vec::new() }
    }

    fn emit(&mut self) {
        let Some(cast) = &self.cast else { return };
        if self.pending.is_empty() {
            return;
        }
        // Keep an incomplete UTF-8 sequence at the end for the next flush.
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        self.pending.drain(..valid);
        if text.is_empty() {
            return;
        }
        cast.event("o", &text);
    }
}

impl<W: Write> Write for CastTee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if self.cast.is_some() {
            self.pending.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit();
        self.inner.flush()
    }
}

/// The key notation of `k` (see the module docs).
pub fn key_notation(k: &KeyEvent) -> String {
    let key = Key::from_event(k);
    let mut s = String::new();
    if key.mods.contains(KeyModifiers::CONTROL) {
        s.push_str("C-");
    }
    if key.mods.contains(KeyModifiers::ALT) {
        s.push_str("M-");
    }
    match key.code {
        KeyCode::Char(' ') => s.push_str("Space"),
        KeyCode::Char(c) => s.push(c),
        KeyCode::F(n) => s.push_str(&format!("F{n}")),
        code => s.push_str(match code {
            KeyCode::Enter => "Enter",
            KeyCode::Esc => "Esc",
            KeyCode::Tab if key.mods.contains(KeyModifiers::SHIFT) => "BackTab",
            KeyCode::Tab => "Tab",
            KeyCode::BackTab => "BackTab",
            KeyCode::Backspace => "Backspace",
            KeyCode::Delete => "Delete",
            KeyCode::Insert => "Insert",
            KeyCode::Up => "Up",
            KeyCode::Down => "Down",
            KeyCode::Left => "Left",
            KeyCode::Right => "Right",
            KeyCode::Home => "Home",
            KeyCode::End => "End",
            KeyCode::PageUp => "PageUp",
            KeyCode::PageDown => "PageDown",
            _ => "Unknown",
        }),
    }
    s
}

/// Decode the key notation back into a key event.
pub fn parse_key(s: &str) -> Result<KeyEvent, String> {
    let k = Key::parse(s)?;
    Ok(KeyEvent::new(k.code, k.mods))
}

/// A cast read back: the header and its events.
#[derive(Debug, Clone)]
pub struct ParsedCast {
    pub header: Header,
    /// `(time, kind, data)` in file order.
    pub events: Vec<(f64, String, String)>,
}

/// Parse and validate an asciicast v2 text: `version` 2, `width` and
/// `height`, each event a `[number, string, string]`, times never going back.
pub fn parse_cast(text: &str) -> Result<ParsedCast, String> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("empty cast")?;
    let h: Value = serde_json::from_str(first).map_err(|e| format!("header: {e}"))?;
    if h.get("version").and_then(Value::as_u64) != Some(2) {
        return Err("header: version is not 2".into());
    }
    let dim = |k: &str| {
        h.get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u16::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or(format!("header: bad {k}"))
    };
    let header = Header {
        width: dim("width")?,
        height: dim("height")?,
        timestamp: h.get("timestamp").and_then(Value::as_i64),
        term: h.pointer("/env/TERM").and_then(Value::as_str).map(str::to_string),
    };
    let mut events = Vec::new();
    let mut last = 0.0f64;
    for (n, line) in lines {
        let bad = |what: &str| format!("line {}: {what}", n + 1);
        let v: Value = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
        let (t, kind, data) = match v.as_array().map(Vec::as_slice) {
            Some([t, k, d]) => (
                t.as_f64().ok_or_else(|| bad("time is not a number"))?,
                k.as_str().ok_or_else(|| bad("kind is not a string"))?,
                d.as_str().ok_or_else(|| bad("data is not a string"))?,
            ),
            _ => return Err(bad("not a [time, kind, data] array")),
        };
        if t < last || t < 0.0 {
            return Err(bad("time goes back"));
        }
        last = t;
        events.push((t, kind.to_string(), data.to_string()));
    }
    Ok(ParsedCast { header, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_notation_round_trips() {
        for s in [
            "j",
            "G",
            "/",
            "1",
            "?",
            "Space",
            "Enter",
            "Esc",
            "Tab",
            "BackTab",
            "Backspace",
            "Up",
            "Down",
            "PageDown",
            "End",
            "F5",
            "C-r",
            "C-c",
            "M-x",
        ] {
            let k = parse_key(s).expect(s);
            assert_eq!(key_notation(&k), s);
        }
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(key_notation(&shifted), "G");
        assert_eq!(key_notation(&KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT)), "BackTab");
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().map_err(|_| io::Error::other("poisoned"))?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tee_records_frames_and_keeps_split_utf8() {
        let out = Shared::default();
        let h = Header { width: 80, height: 24, timestamp: Some(1), term: Some("xterm".into()) };
        let cast = Cast::new(Box::new(out.clone()), &h).expect("header");
        let mut term = Vec::new();
        let mut tee = CastTee::new(&mut term, Some(cast.clone()));
        cast.set_time(Some(0.5));
        let bytes = "a●b".as_bytes();
        tee.write_all(&bytes[..2]).expect("write");
        tee.flush().expect("flush");
        tee.write_all(&bytes[2..]).expect("write");
        tee.flush().expect("flush");
        cast.event_at(0.2, "i", "j"); // never before the last event
        drop(tee);
        assert_eq!(term, bytes);
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf8");
        let p = parse_cast(&text).expect("valid");
        assert_eq!(p.header, h);
        let ev: Vec<_> = p.events.iter().map(|(t, k, d)| (*t, k.as_str(), d.as_str())).collect();
        assert_eq!(ev, vec![(0.5, "o", "a"), (0.5, "o", "●b"), (0.5, "i", "j")]);
    }

    #[test]
    fn invalid_casts_are_refused() {
        assert!(parse_cast("").is_err());
        assert!(parse_cast(r#"{"version": 1, "width": 80, "height": 24}"#).is_err());
        assert!(parse_cast(r#"{"version": 2, "height": 24}"#).is_err());
        let back = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.0, \"o\", \"x\"]\n[0.5, \"o\", \"y\"]";
        assert!(parse_cast(back).is_err());
        assert!(parse_cast("{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.0, \"o\"]").is_err());
    }
}
