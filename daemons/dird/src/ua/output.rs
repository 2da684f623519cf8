//! What a command produces, independent of the API mode: ordered text and
//! messages (API 0/1) plus a JSON result object (API 2). The session turns an
//! [`Output`] into frames and signals for the current mode (see `PROTOCOL.md` §4).

use serde_json::{Map, Value};

/// Message severities with their own bnet signal in API >= 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    Info,
    Warning,
    Error,
}

impl MsgKind {
    pub fn json_key(self) -> &'static str {
        match self {
            MsgKind::Info => "info",
            MsgKind::Warning => "warning",
            MsgKind::Error => "error",
        }
    }
}

/// One piece of a command's output, in emission order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Plain text (API 0/1 only; never part of JSON).
    Text(String),
    /// A message with a severity (text in API 0/1, `messages` in JSON on failure).
    Msg(MsgKind, String),
}

/// A command's output.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub pieces: Vec<Piece>,
    pub result: Map<String, Value>,
    /// Set by `quit`/`exit`: close the session after sending.
    pub quit: bool,
}

impl Output {
    pub fn new() -> Self {
        Self::default()
    }
    /// Append human text.
    pub fn text(&mut self, s: impl Into<String>) {
        let s = s.into();
        if s.is_empty() {
            return;
        }
        if let Some(Piece::Text(t)) = self.pieces.last_mut() {
            t.push_str(&s);
        } else {
            self.pieces.push(Piece::Text(s));
        }
    }
    pub fn info(&mut self, s: impl Into<String>) {
        self.pieces.push(Piece::Msg(MsgKind::Info, s.into()));
    }
    pub fn warning(&mut self, s: impl Into<String>) {
        self.pieces.push(Piece::Msg(MsgKind::Warning, s.into()));
    }
    /// An error message: the command counts as failed in JSON.
    pub fn error(&mut self, s: impl Into<String>) {
        self.pieces.push(Piece::Msg(MsgKind::Error, s.into()));
    }
    /// Set a key of the JSON result.
    pub fn set(&mut self, key: &str, v: impl Into<Value>) {
        self.result.insert(key.to_string(), v.into());
    }
    /// True when an error message was emitted.
    pub fn has_error(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Msg(MsgKind::Error, _)))
    }
    /// All human text, for tests and run scripts.
    pub fn all_text(&self) -> String {
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) | Piece::Msg(_, t) => s.push_str(t),
            }
        }
        s
    }

    /// The JSON-RPC envelope for API 2: `result` on success, an `error` object with
    /// the partial result and the collected messages on failure.
    pub fn json_envelope(&self, ok: bool) -> Value {
        let ok = ok && !self.has_error();
        let mut env = Map::new();
        env.insert("jsonrpc".into(), Value::from("2.0"));
        env.insert("id".into(), Value::Null);
        if ok {
            env.insert("result".into(), Value::Object(self.result.clone()));
        } else {
            let mut messages = Map::new();
            for p in &self.pieces {
                if let Piece::Msg(kind, text) = p {
                    let e = messages.entry(kind.json_key()).or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = e {
                        a.push(Value::from(text.clone()));
                    }
                }
            }
            let mut data = Map::new();
            data.insert("result".into(), Value::Object(self.result.clone()));
            data.insert("messages".into(), Value::Object(messages));
            let mut error = Map::new();
            error.insert("code".into(), Value::from(1));
            error.insert("message".into(), Value::from("failed"));
            error.insert("data".into(), Value::Object(data));
            env.insert("error".into(), Value::Object(error));
        }
        Value::Object(env)
    }
}

/// Format an integer with thousands separators (`1,234,567`), as Bareos's
/// `edit_uint64_with_commas` does.
pub fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_success_and_failure() {
        let mut o = Output::new();
        o.set("api", 2);
        assert_eq!(
            serde_json::to_string(&o.json_envelope(true)).unwrap_or_default(),
            r#"{"jsonrpc":"2.0","id":null,"result":{"api":2}}"#
        );
        let mut o = Output::new();
        o.error("invalidcommand: is an invalid command.\n");
        assert_eq!(
            serde_json::to_string(&o.json_envelope(true)).unwrap_or_default(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"failed","data":{"result":{},"messages":{"error":["invalidcommand: is an invalid command.\n"]}}}}"#
        );
    }

    #[test]
    fn commas() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(1000), "1,000");
        assert_eq!(with_commas(1234567), "1,234,567");
    }
}
