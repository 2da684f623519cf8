//! The interactive line editor: reedline on its own OS thread (`read_line`
//! blocks), talking to the async session over channels.
//!
//! Built like nushell builds its REPL (style.md item 20): the pure
//! [`crate::complete::Completer`] behind a columnar menu on Tab, a
//! [`DefaultHinter`] over history, a validator that keeps a line with an
//! unbalanced `"` open, and a [`FileBackedHistory`] (reedline's SQLite history
//! is deliberately not used: see style.md item 23).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use reedline::{
    ColumnarMenu, CompletionResult, DefaultHinter, Emacs, FileBackedHistory, KeyCode, KeyModifiers, MenuBuilder,
    Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus, Reedline, ReedlineEvent, ReedlineMenu,
    Signal, Span, Suggestion, ValidationResult, Validator, default_emacs_keybindings,
};

use crate::complete::{Completer, CompletionData};
use crate::error::ConsoleError;

/// What the editor returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EditorEvent {
    /// A line (without newline).
    Line(String),
    /// Ctrl-C: the line was abandoned.
    Interrupted,
    /// Ctrl-D on an empty line, or the terminal went away.
    Eof,
}

/// History settings (bconsole: Console `HistoryFile`, `HistoryLength`).
#[derive(Debug, Clone)]
pub(crate) struct EditorSettings {
    pub history_file: Option<PathBuf>,
    pub history_length: usize,
}

/// Handle on the editor thread.
pub(crate) struct Editor {
    req: Option<std::sync::mpsc::Sender<String>>,
    resp: tokio::sync::mpsc::UnboundedReceiver<Result<EditorEvent, String>>,
    thread: Option<JoinHandle<()>>,
}

impl Editor {
    /// Start the editor thread. Completion reads `data` at every Tab.
    pub(crate) fn spawn(settings: EditorSettings, data: Arc<RwLock<CompletionData>>) -> Result<Editor, ConsoleError> {
        let (req_tx, req_rx) = std::sync::mpsc::channel::<String>();
        let (resp_tx, resp_rx) = tokio::sync::mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("console-editor".into())
            .spawn(move || {
                let mut line_editor = build(&settings, data);
                while let Ok(prompt) = req_rx.recv() {
                    let ev = match line_editor.read_line(&LinePrompt(prompt)) {
                        Ok(Signal::Success(l)) => Ok(EditorEvent::Line(l)),
                        Ok(Signal::CtrlC) => Ok(EditorEvent::Interrupted),
                        Ok(Signal::CtrlD) => Ok(EditorEvent::Eof),
                        Ok(Signal::ExternalBreak(l)) | Ok(Signal::HostCommand(l)) => Ok(EditorEvent::Line(l)),
                        Ok(_) => Ok(EditorEvent::Interrupted),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = line_editor.sync_history();
                    if resp_tx.send(ev).is_err() {
                        break;
                    }
                }
                let _ = line_editor.sync_history();
            })
            .map_err(|e| ConsoleError::Editor(e.to_string()))?;
        Ok(Editor { req: Some(req_tx), resp: resp_rx, thread: Some(thread) })
    }

    /// Show `prompt` and wait for a line.
    pub(crate) async fn read_line(&mut self, prompt: &str) -> Result<EditorEvent, ConsoleError> {
        let Some(req) = self.req.as_ref() else {
            return Ok(EditorEvent::Eof);
        };
        req.send(prompt.to_string()).map_err(|_| ConsoleError::Editor("editor thread stopped".into()))?;
        match self.resp.recv().await {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(ConsoleError::Editor(e)),
            None => Ok(EditorEvent::Eof),
        }
    }

    /// Stop the thread (it is idle between lines) and save the history.
    pub(crate) fn shutdown(mut self) {
        self.req = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn build(settings: &EditorSettings, data: Arc<RwLock<CompletionData>>) -> Reedline {
    let mut keybindings = default_emacs_keybindings();
    keybindings.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![ReedlineEvent::Menu("completion_menu".to_string()), ReedlineEvent::MenuNext]),
    );
    let menu = ColumnarMenu::default().with_name("completion_menu");
    let mut editor = Reedline::create()
        .with_completer(Box::new(ReedCompleter { data }))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(menu)))
        .with_edit_mode(Box::new(Emacs::new(keybindings)))
        .with_hinter(Box::new(DefaultHinter::default()))
        .with_validator(Box::new(QuoteValidator))
        .with_quick_completions(false)
        .with_partial_completions(true);
    let len = settings.history_length.max(1);
    let history = match &settings.history_file {
        Some(path) => FileBackedHistory::with_file(len, path.clone()).or_else(|e| {
            eprintln!("Warning: cannot use history file {}: {e}", path.display());
            FileBackedHistory::new(len)
        }),
        None => FileBackedHistory::new(len),
    };
    if let Ok(h) = history {
        editor = editor.with_history(Box::new(h));
    }
    editor
}

/// reedline adapter over the pure completer.
struct ReedCompleter {
    data: Arc<RwLock<CompletionData>>,
}

impl reedline::Completer for ReedCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> CompletionResult {
        let suggestions: Vec<Suggestion> = match self.data.read() {
            Ok(d) => Completer::new(&d)
                .complete(line, pos)
                .into_iter()
                .map(|c| Suggestion {
                    value: c.value,
                    span: Span { start: c.start, end: c.end },
                    append_whitespace: c.append_whitespace,
                    ..Default::default()
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        CompletionResult::fresh(suggestions)
    }
}

/// A line with an odd number of `"` is not finished.
struct QuoteValidator;

impl Validator for QuoteValidator {
    fn validate(&self, line: &str) -> ValidationResult {
        if line.chars().filter(|c| *c == '"').count() % 2 == 1 {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Complete
        }
    }
}

/// The prompt: exactly the given text (`*`, `$ `, or the Director's question).
struct LinePrompt(String);

impl Prompt for LinePrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }
    fn render_prompt_history_search_indicator(&self, history_search: PromptHistorySearch) -> Cow<'_, str> {
        let prefix = match history_search.status {
            PromptHistorySearchStatus::Passing => "",
            PromptHistorySearchStatus::Failing => "failing ",
        };
        Cow::Owned(format!("({prefix}reverse-search: {}) ", history_search.term))
    }
    fn get_prompt_color(&self) -> reedline::Color {
        reedline::Color::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_validator() {
        assert!(matches!(QuoteValidator.validate("run job=\"a b"), ValidationResult::Incomplete));
        assert!(matches!(QuoteValidator.validate("run job=\"a b\""), ValidationResult::Complete));
    }

    #[test]
    fn adapter_maps_spans() {
        let d = CompletionData { commands: vec!["status".into(), "setdebug".into()], ..Default::default() };
        let mut c = ReedCompleter { data: Arc::new(RwLock::new(d)) };
        let r = reedline::Completer::complete(&mut c, "st", 2);
        let s = r.suggestions();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, "status");
        assert_eq!((s[0].span.start, s[0].span.end), (0, 2));
    }
}
