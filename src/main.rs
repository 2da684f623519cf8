//! `cairn`: one binary for the director (`dir`), storage daemon (`sd`), file daemon
//! (`fd`), the line console (`console`, also when invoked as `bconsole`), the
//! full-screen TUI (`tui`) and `up` (everything on a default configuration). This
//! file only parses arguments and dispatches into the crates.

mod defaults;
mod pki;
mod tui;
mod up;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "cairn", version, about = "Cairn: a Bareos-compatible network backup system")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the director.
    Dir(DaemonArgs),
    /// Run the storage daemon.
    Sd(DaemonArgs),
    /// Run the file daemon.
    Fd(DaemonArgs),
    /// The bconsole-compatible line console.
    Console(ConsoleCli),
    /// The full-screen terminal UI.
    Tui(TuiCli),
    /// Start every daemon on a default configuration under a home directory, then
    /// open the TUI on it (the line console with --console, or when not on a terminal).
    Up(UpArgs),
    /// Offline volume tools.
    #[command(subcommand)]
    Volume(VolumeCmd),
}

#[derive(Subcommand, Debug)]
enum VolumeCmd {
    /// List the label, jobs (sessions) and files of a volume file, like Bareos's `bls`.
    Ls {
        /// Also list every file.
        #[arg(long = "files", short = 'f')]
        files: bool,
        /// The volume file(s).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct DaemonArgs {
    /// Configuration: a file, a resource directory (`bareos-dir.d`) or a config root.
    #[arg(short = 'c', long = "config")]
    config: Option<PathBuf>,
    /// Run in the foreground (Cairn daemons never fork; accepted for compatibility).
    #[arg(short = 'f', long = "foreground")]
    foreground: bool,
    /// Debug level (0 warnings only, 1-99 info, 100-199 debug, 200+ trace).
    #[arg(short = 'd', long = "debug", default_value_t = 0)]
    debug: u32,
    /// Test the configuration and exit (0 = valid, 1 = errors).
    #[arg(short = 't', long = "test")]
    test: bool,
    /// Print the directive schema as JSON and exit (also `-xs`).
    #[arg(long = "xs")]
    export_schema: bool,
    /// Print the loaded configuration in resource syntax and exit (also `-xc`).
    #[arg(long = "xc", num_args = 0..=2, value_names = ["TYPE", "NAME"])]
    export_config: Option<Vec<String>>,
    /// Accepted for compatibility with Bareos's daemons; ignored.
    #[arg(short = 's', hide = true)]
    no_signals: bool,
}

#[derive(Args, Debug)]
struct ConsoleCli {
    /// Configuration file or directory (bconsole.conf, bconsole.d, or a config root).
    #[arg(short = 'c', long = "config")]
    config: Option<PathBuf>,
    /// Director to connect to (its Name in the console configuration).
    #[arg(short = 'D', long = "director")]
    director: Option<String>,
    /// List the configured directors and exit.
    #[arg(short = 'l', long = "list-directors")]
    list_directors: bool,
    /// Test the configuration and exit.
    #[arg(short = 't', long = "test")]
    test: bool,
    /// No signals (accepted for compatibility).
    #[arg(short = 's')]
    no_signals: bool,
    /// Timeout in seconds for the connection.
    #[arg(short = 'u', long = "timeout")]
    timeout: Option<u64>,
    /// Debug level.
    #[arg(short = 'd', long = "debug")]
    debug: Option<u32>,
    /// Use the configuration of a `cairn up` home (<DIR>/etc).
    #[arg(long = "home")]
    home: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TuiCli {
    #[command(flatten)]
    console: ConsoleCli,
    #[command(flatten)]
    look: LookArgs,
    /// Record the session as an asciicast v2 file (output, keys pressed, resizes;
    /// `asciinema play FILE` plays it back).
    #[arg(long = "record", value_name = "FILE.cast")]
    record: Option<PathBuf>,
}

/// Appearance of the TUI.
#[derive(Args, Debug, Clone)]
pub struct LookArgs {
    /// Theme: dark, light, high-contrast, mono, a name from ~/.config/cairn/themes, or a .toml path
    /// (default: dark; mono when NO_COLOR is set).
    #[arg(long = "theme", value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Key bindings overriding the built-in ones (default: ~/.config/cairn/keymap.toml if present).
    #[arg(long = "keymap", value_name = "PATH")]
    pub keymap: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Home directory holding configuration, catalog and volumes.
    #[arg(long = "home", default_value = "cairn-home")]
    pub home: PathBuf,
    /// Director port for a new home (file daemon and storage daemon use the next two).
    #[arg(long = "port", default_value_t = 9101)]
    pub port: u16,
    /// Open the line console instead of the TUI (the default when stdin or stdout is not a terminal).
    #[arg(long = "console")]
    pub console: bool,
    #[command(flatten)]
    pub look: LookArgs,
}

/// Bareos accepts `-xs`/`-xc` with a single dash; clap would read them as `-x -s`.
fn normalise_args(args: Vec<String>) -> Vec<String> {
    args.into_iter()
        .map(|a| match a.as_str() {
            "-xs" => "--xs".to_string(),
            "-xc" => "--xc".to_string(),
            _ => a,
        })
        .collect()
}

fn default_config(component: &str) -> PathBuf {
    for root in ["/etc/cairn", "/etc/bareos"] {
        let p = PathBuf::from(root);
        if p.join(format!("{component}.conf")).exists() || p.join(format!("{component}.d")).exists() {
            return p;
        }
    }
    PathBuf::from("/etc/cairn")
}

fn print_config_error(e: &cairn_config::ConfigError) {
    eprintln!("{e}");
}

#[derive(Clone, Copy)]
enum Daemon {
    Dir,
    Sd,
    Fd,
}

fn run_daemon(kind: Daemon, a: DaemonArgs) -> ExitCode {
    cairn_runtime::init_tracing(a.debug);
    let (component, bareos_name, tag) = match kind {
        Daemon::Dir => (cairn_config::Component::Director, "bareos-dir", "dir"),
        Daemon::Sd => (cairn_config::Component::Storage, "bareos-sd", "sd"),
        Daemon::Fd => (cairn_config::Component::FileDaemon, "bareos-fd", "fd"),
    };
    if a.export_schema {
        match serde_json::to_string_pretty(&cairn_config::schema_json(component)) {
            Ok(s) => {
                println!("{s}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("cannot encode the schema: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let path = a.config.unwrap_or_else(|| default_config(bareos_name));
    if a.test || a.export_config.is_some() {
        return match cairn_config::load_resources(&path, component) {
            Ok(loaded) => {
                // Load the typed model too, so -t reports every error the daemon would.
                let typed = match kind {
                    Daemon::Dir => cairn_config::load_director(&path).map(|_| ()),
                    Daemon::Sd => cairn_config::load_storage(&path).map(|_| ()),
                    Daemon::Fd => cairn_config::load_filedaemon(&path).map(|_| ()),
                };
                if let Err(e) = typed {
                    print_config_error(&e);
                    return ExitCode::FAILURE;
                }
                for w in &loaded.warnings {
                    eprintln!("Warning: {w}");
                }
                if let Some(sel) = a.export_config {
                    let filter = sel.first().map(|t| (t.as_str(), sel.get(1).map(String::as_str)));
                    print!("{}", loaded.config.to_config_text(filter, false, false));
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                print_config_error(&e);
                ExitCode::FAILURE
            }
        };
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cairn {tag}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = a.foreground;
    let res = match kind {
        Daemon::Dir => rt.block_on(cairn_dird::run(cairn_dird::StartOptions::new(path))).map_err(|e| e.to_string()),
        Daemon::Sd => rt.block_on(cairn_sd::run(cairn_sd::StartOptions::new(path))).map_err(|e| e.to_string()),
        Daemon::Fd => rt.block_on(cairn_fd::run(cairn_fd::StartOptions::new(path))).map_err(|e| e.to_string()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cairn {tag}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_volume(cmd: VolumeCmd) -> ExitCode {
    match cmd {
        VolumeCmd::Ls { files, paths } => {
            let mut code = ExitCode::SUCCESS;
            for p in paths {
                match cairn_volume::list_volume(&p) {
                    Ok(l) => print!("{}", cairn_volume::format_listing(&l, files)),
                    Err(e) => {
                        eprintln!("cairn volume ls: {}: {e}", p.display());
                        code = ExitCode::FAILURE;
                    }
                }
            }
            code
        }
    }
}

fn console_args(c: ConsoleCli) -> cairn_console::ConsoleArgs {
    cairn_console::ConsoleArgs {
        config: c.config,
        director: c.director,
        list_directors: c.list_directors,
        test_config: c.test,
        no_signals: c.no_signals,
        timeout: c.timeout,
        debug: c.debug,
        home: c.home,
        batch: None,
    }
}

fn run_console(c: ConsoleCli) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cairn console: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(cairn_console::run(console_args(c)));
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn run_tui(c: TuiCli) -> ExitCode {
    let TuiCli { console: c, look, record } = c;
    if c.list_directors || c.test {
        // Same answers as the console gives.
        return run_console(c);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!("cairn tui: {}", cairn_tui::TuiError::NotATerminal);
        return ExitCode::FAILURE;
    }
    let target = match tui::target(c.config, c.home, c.director.as_deref(), c.timeout) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cairn tui: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cairn tui: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(tui::run_recorded(target, tui::Look { theme: look.theme, keymap: look.keymap }, record))
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if invoked_as == "bconsole" {
        args.insert(1, "console".into());
    }
    let cli = match Cli::try_parse_from(normalise_args(args)) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Dir(a) => run_daemon(Daemon::Dir, a),
        Command::Sd(a) => run_daemon(Daemon::Sd, a),
        Command::Fd(a) => run_daemon(Daemon::Fd, a),
        Command::Volume(v) => run_volume(v),
        Command::Console(c) => run_console(c),
        Command::Tui(t) => run_tui(t),
        Command::Up(u) => up::run(u),
    }
}
