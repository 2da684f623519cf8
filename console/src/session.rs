//! One console session: connect, banner, then batch or interactive input.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use cairn_proto::{Banner, ConnectOptions, DirectorClient, ProtoError};
use tokio::io::BufReader;

use crate::complete::{self, CompletionData};
use crate::editor::{Editor, EditorEvent, EditorSettings};
use crate::error::ConsoleError;
use crate::output::Output;
use crate::script::{self, Engine, Flow, ReaderEnd, ScriptOptions, SessionEnd};
use crate::select::{ConsoleEntry, DirectorEntry};

/// What bconsole prints between `Connecting to Director ...` and the first
/// prompt: the cipher line (Cairn's client speaks clear text for now), the
/// `1000 OK: ...` line, the `1002` info text, a blank line and the hint.
pub fn banner_text(banner: &Banner) -> String {
    let mut s = String::from(" Encryption: None\n");
    s.push_str(&banner.ok_line);
    s.push('\n');
    if let Some(info) = &banner.info {
        s.push_str(info);
        s.push('\n');
    }
    s.push_str("\nEnter a period (.) to cancel a command.\n");
    s
}

/// The first line bconsole prints.
pub fn connecting_line(d: &DirectorEntry) -> String {
    format!("Connecting to Director {}:{}\n", d.address, d.port)
}

/// A connection failure as one line's worth of cause.
pub(crate) fn describe_connect_error(e: &ProtoError) -> String {
    match e {
        ProtoError::Connect { source, .. } => script::strerror(source),
        ProtoError::Auth(a) => format!("authentication failed: {a}"),
        other => other.to_string(),
    }
}

/// Connect and log in.
pub(crate) async fn connect(d: &DirectorEntry, opts: &ConnectOptions) -> Result<DirectorClient, ConsoleError> {
    DirectorClient::connect(opts).await.map_err(|e| ConsoleError::Connect {
        name: d.name.clone(),
        address: d.address.clone(),
        port: d.port,
        cause: describe_connect_error(&e),
    })
}

/// Batch mode: stdin is a script.
pub(crate) async fn run_batch(client: &mut DirectorClient, opts: ScriptOptions) -> Result<SessionEnd, ConsoleError> {
    let stdin = BufReader::new(tokio::io::stdin());
    let outcome = script::run_script(client, stdin, tokio::io::stdout(), opts).await?;
    Ok(outcome.end)
}

/// `~/.cairn_console_history`.
fn default_history_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cairn_console_history"))
}

/// Interactive mode: reedline prompt, completion, history.
///
/// Completion data comes over a **second** connection to the Director (same
/// console and password), opened in the background: `.help all`, `.help`,
/// `.help item=<cmd>` and the resource lists, all in API 0. That keeps the
/// user's session untouched (its API mode, its reply stream, a pending
/// sub-prompt). If the second login fails, completion simply has no data.
/// Resource lists are fetched again after commands that can change them
/// (`reload`, `configure`, `label`, ...). Restore-tree entries (`.ls`,
/// `.lsdir`, `.lsmark`) can only come from the session itself, which is the one
/// in the tree, so they are fetched there, silently, after each tree command.
pub(crate) async fn run_interactive(
    client: &mut DirectorClient,
    connect: ConnectOptions,
    console: Option<&ConsoleEntry>,
    opts: ScriptOptions,
    debug: u32,
) -> Result<SessionEnd, ConsoleError> {
    let data = Arc::new(RwLock::new(CompletionData::default()));
    let refresh = spawn_completion_source(connect, Arc::clone(&data), debug);
    let settings = EditorSettings {
        history_file: console.and_then(|c| c.history_file.clone()).or_else(default_history_file),
        history_length: console.map(|c| c.history_length).unwrap_or(100) as usize,
    };
    let mut editor = Editor::spawn(settings, Arc::clone(&data))?;
    let mut engine = Engine::new(client, Output::new(tokio::io::stdout()), opts, true);
    let result = interactive_loop(&mut engine, &mut editor, &data, &refresh).await;
    editor.shutdown();
    result
}

async fn interactive_loop(
    engine: &mut Engine<'_, tokio::io::Stdout>,
    editor: &mut Editor,
    data: &Arc<RwLock<CompletionData>>,
    refresh: &tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<SessionEnd, ConsoleError> {
    loop {
        if let Ok(mut d) = data.write() {
            d.in_tree = engine.in_tree();
        }
        let prompt = engine.prompt();
        let line = match editor.read_line(&prompt).await? {
            EditorEvent::Line(l) => l,
            EditorEvent::Interrupted => continue,
            EditorEvent::Eof => return Ok(SessionEnd::Eof),
        };
        match engine.handle_line(&line, false).await? {
            Flow::Continue => {}
            Flow::PushInput(f, _) => {
                if let ReaderEnd::Session(e) = engine.run_reader(BufReader::new(f)).await? {
                    return Ok(e);
                }
            }
            Flow::QuitInput => return Ok(SessionEnd::Quit),
            Flow::End(e) => return Ok(e),
        }
        if engine.take_refresh() {
            let _ = refresh.send(());
        }
        if engine.in_tree() && engine.at_sub_prompt() {
            let files = engine.silent_tree_command(".ls").await?;
            let dirs = engine.silent_tree_command(".lsdir").await?;
            let marked = engine.silent_tree_command(".lsmark").await?;
            if let Ok(mut d) = data.write() {
                d.tree_files = files.as_deref().map(complete::parse_tree_list).unwrap_or_default();
                d.tree_dirs = dirs.as_deref().map(complete::parse_tree_list).unwrap_or_default();
                d.tree_marked = marked.as_deref().map(complete::parse_tree_list).unwrap_or_default();
            }
        }
    }
}

/// The background task filling completion data over its own connection.
fn spawn_completion_source(
    opts: ConnectOptions,
    data: Arc<RwLock<CompletionData>>,
    debug: u32,
) -> tokio::sync::mpsc::UnboundedSender<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        let mut client = match DirectorClient::connect(&opts).await {
            Ok(c) => c,
            Err(e) => {
                if debug > 0 {
                    eprintln!("console: no completion data: {e}");
                }
                return;
            }
        };
        let fetched = async {
            let cmds = complete::fetch_commands(&mut client).await?;
            let commands = cmds.commands.clone();
            if let Ok(mut d) = data.write() {
                d.commands = cmds.commands;
                d.arguments = cmds.arguments;
            }
            let values = complete::fetch_values(&mut client).await?;
            if let Ok(mut d) = data.write() {
                d.values = values;
            }
            for cmd in commands {
                let known = data.read().map(|d| d.arguments.contains_key(&cmd)).unwrap_or(true);
                if !known {
                    let args = complete::fetch_arguments(&mut client, &cmd).await?;
                    if let Ok(mut d) = data.write() {
                        d.arguments.insert(cmd, args);
                    }
                }
            }
            while rx.recv().await.is_some() {
                while rx.try_recv().is_ok() {}
                let values = complete::fetch_values(&mut client).await?;
                if let Ok(mut d) = data.write() {
                    d.values = values;
                }
            }
            Ok::<(), ProtoError>(())
        }
        .await;
        if let Err(e) = fetched
            && debug > 0
        {
            eprintln!("console: completion data: {e}");
        }
        client.close().await;
    });
    tx
}
