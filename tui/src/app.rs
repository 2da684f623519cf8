//! The terminal side: set-up and restore, the input thread, the clock, and
//! the loop that drains actions and redraws only when something changed.

use std::io::{IsTerminal, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cairn_proto::ConnectOptions;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::action::{Action, Effect};
use crate::cast::{Cast, CastTee};
use crate::effect::{DirectorConnector, Runner};
use crate::error::TuiError;
use crate::keymap::Keymap;
use crate::state::State;
use crate::theme::Styles;
use crate::update::update;
use crate::view;

/// How `cairn tui` was asked to run.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// How to reach and log into the director (from the console configuration).
    pub connect: ConnectOptions,
    /// The director's name, shown until its status arrives.
    pub director: String,
    /// `--theme NAME|PATH`; `None` = `dark`, or `mono` when `NO_COLOR` is set.
    pub theme: Option<String>,
    /// `--keymap PATH`; `None` = `<config dir>/keymap.toml` when it exists.
    pub keymap: Option<PathBuf>,
    /// Where user themes (`themes/NAME.toml`) and the keymap live; see
    /// [`default_config_dir`].
    pub config_dir: Option<PathBuf>,
}

/// `$XDG_CONFIG_HOME/cairn`, else `~/.config/cairn`.
pub fn default_config_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_CONFIG_HOME") {
        Some(x) if !x.is_empty() => Some(PathBuf::from(x).join("cairn")),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config").join("cairn")),
    }
}

/// Resolve the theme: `--theme`, else `NO_COLOR` → `mono`, else `dark`.
pub fn load_styles(theme: Option<&str>, config_dir: Option<&std::path::Path>) -> Result<Styles, TuiError> {
    let no_color = std::env::var_os("NO_COLOR");
    let name = theme.unwrap_or_else(|| cairn_themes::default_name(no_color.as_deref()));
    let user = config_dir.map(|d| d.join("themes"));
    let t = cairn_themes::load(name, user.as_deref())?;
    Ok(Styles::from_theme(&t))
}

/// Load the keymap: built-in, then the user file on top.
pub fn load_keymap(path: Option<&std::path::Path>, config_dir: Option<&std::path::Path>) -> Result<Keymap, TuiError> {
    let mut map = Keymap::builtin()?;
    let file = match path {
        Some(p) => Some(p.to_path_buf()),
        None => config_dir.map(|d| d.join("keymap.toml")).filter(|p| p.is_file()),
    };
    if let Some(f) = file {
        let text = std::fs::read_to_string(&f)?;
        map = map.with_overrides(&text, &f.display().to_string())?;
    }
    Ok(map)
}

fn now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// State, theme and effect sink together: what the loop (and, later, the
/// cast replayer and scenario tests) drive.
pub struct App {
    pub state: State,
    pub styles: Styles,
    /// The `theme_cycle` the current styles answer to, and the built-in theme
    /// shown after the last switch.
    theme_seen: u32,
    theme_index: usize,
}

impl App {
    pub fn new(state: State, styles: Styles) -> App {
        let theme_seen = state.theme_cycle;
        App { state, styles, theme_seen, theme_index: 0 }
    }

    /// Apply an action; return the effects to run.
    pub fn dispatch(&mut self, a: Action) -> Vec<Effect> {
        let fx = update(&mut self.state, a);
        if self.state.theme_cycle != self.theme_seen {
            self.theme_seen = self.state.theme_cycle;
            self.next_theme();
        }
        fx
    }

    /// Switch to the next built-in theme (at run time, key `F2`).
    fn next_theme(&mut self) {
        let names: Vec<&str> = cairn_themes::BUILTIN.iter().map(|(n, _)| *n).collect();
        if names.is_empty() {
            return;
        }
        self.theme_index = (self.theme_index + 1) % names.len();
        let name = names[self.theme_index];
        match cairn_themes::load(name, None) {
            Ok(t) => {
                self.styles = Styles::from_theme(&t);
                crate::update::say(&mut self.state, format!("Theme: {name}"), false);
            }
            Err(e) => crate::update::say(&mut self.state, format!("Theme {name}: {e}"), true),
        }
    }

    /// Render into a buffer of `area` (what the terminal shows).
    pub fn render(&self, area: Rect) -> (Buffer, Option<Position>) {
        let mut buf = Buffer::empty(area);
        let cursor = view::draw(&mut buf, area, &self.state, &self.styles);
        (buf, cursor)
    }
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped (normal exit, `?` errors).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

type Term = Terminal<CrosstermBackend<CastTee<Stdout>>>;

fn setup_terminal(cast: Option<Cast>) -> Result<(Term, TerminalGuard), TuiError> {
    install_panic_hook();
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste)?;
    let terminal = Terminal::new(CrosstermBackend::new(CastTee::new(std::io::stdout(), cast)))?;
    Ok((terminal, guard))
}

/// Read terminal events on a thread of its own (crossterm's `read` blocks)
/// until `stop` is set.
fn spawn_input(tx: UnboundedSender<Action>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let action = match event::read() {
                Ok(Event::Key(k)) => Action::Key(k),
                Ok(Event::Mouse(m)) => Action::Mouse(m),
                Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                Ok(Event::Paste(s)) => Action::Paste(s),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(action).is_err() {
                break;
            }
        }
    });
}

/// Run the TUI until the user quits. Needs a tokio runtime and a terminal.
pub async fn run(opts: TuiOptions) -> Result<(), TuiError> {
    run_recorded(opts, None).await
}

/// [`run`], recording the session as an asciicast v2 file at `record`
/// (`cairn tui --record FILE.cast`; see [`crate::cast`]): what is written to
/// the terminal, the keys pressed, resizes.
pub async fn run_recorded(opts: TuiOptions, record: Option<&std::path::Path>) -> Result<(), TuiError> {
    if !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let config_dir = opts.config_dir.clone();
    let styles = load_styles(opts.theme.as_deref(), config_dir.as_deref())?;
    let keymap = load_keymap(opts.keymap.as_deref(), config_dir.as_deref())?;
    let address = format!("{}:{}", opts.connect.address, opts.connect.port);
    let mut app = App::new(State::new(&opts.director, &address, keymap, now()), styles);

    let cast = match record {
        Some(path) => {
            let (w, h) = ratatui::crossterm::terminal::size()?;
            Some(Cast::create(path, w, h)?)
        }
        None => None,
    };
    let (mut terminal, guard) = setup_terminal(cast.clone())?;
    let size = terminal.size()?;
    app.state.size = (size.width, size.height);
    if cast.is_some() {
        // The cast starts on a clear screen.
        terminal.clear()?;
    }
    let record_input = |a: &Action| match (&cast, a) {
        (Some(c), Action::Key(k)) if k.kind != event::KeyEventKind::Release => c.key(k),
        (Some(c), Action::Resize(w, h)) => c.resize(*w, *h),
        _ => {}
    };

    let (tx, mut rx) = unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), stop.clone());
    let ticker = {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if tx.send(Action::Tick(now())).is_err() {
                    break;
                }
            }
        })
    };
    let runner = Runner::spawn(DirectorConnector(opts.connect.clone()), tx.clone());
    drop(tx);

    let result = async {
        loop {
            if app.state.dirty {
                terminal.draw(|f| view::render(f, &app.state, &app.styles))?;
                app.state.dirty = false;
            }
            let Some(a) = rx.recv().await else { break };
            record_input(&a);
            for e in app.dispatch(a) {
                runner.run(e);
            }
            // Drain whatever else is queued, then draw once.
            while let Ok(a) = rx.try_recv() {
                record_input(&a);
                for e in app.dispatch(a) {
                    runner.run(e);
                }
            }
            if app.state.quit {
                break;
            }
        }
        Ok::<(), TuiError>(())
    }
    .await;

    stop.store(true, Ordering::Relaxed);
    ticker.abort();
    drop(runner);
    drop(guard);
    result
}
