//! `cairn tui`: find the director in the console configuration (the same rules
//! as `cairn console`: `-c`, `--home`, `./bconsole.conf`, `/etc/cairn`,
//! `/etc/bareos`), then hand over to `cairn-tui`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where the TUI connects, resolved from a console configuration.
pub struct Target {
    pub connect: cairn_proto::ConnectOptions,
    pub director: String,
}

/// Resolve `-c`/`--home`/`-D` into connect options.
pub fn target(
    config: Option<PathBuf>,
    home: Option<PathBuf>,
    director: Option<&str>,
    timeout: Option<u64>,
) -> anyhow::Result<Target> {
    let path = cairn_console::config::config_path(config.as_deref(), home.as_deref())?;
    let loaded = cairn_console::config::load(&path)?;
    for w in &loaded.warnings {
        eprintln!("Warning: {w}");
    }
    let setup = loaded.setup;
    let idx = match setup.choose_director(director)? {
        Some(i) => i,
        None => {
            let names: Vec<&str> = setup.directors.iter().map(|d| d.name.as_str()).collect();
            anyhow::bail!(
                "{} configures several directors ({}): choose one with -D NAME",
                path.display(),
                names.join(", ")
            );
        }
    };
    let mut connect = setup.connect_options(idx)?;
    if let Some(t) = timeout.filter(|t| *t > 0) {
        connect.connect_timeout = Duration::from_secs(t);
    }
    let director = setup.directors[idx].name.clone();
    Ok(Target { connect, director })
}

/// Theme and keymap choices shared by `cairn tui` and `cairn up`.
pub struct Look {
    pub theme: Option<String>,
    pub keymap: Option<PathBuf>,
}

/// Run the TUI on an existing runtime; the exit code.
pub async fn run(target: Target, look: Look) -> ExitCode {
    run_recorded(target, look, None).await
}

/// [`run`], recording the session as an asciicast v2 file (`--record`).
pub async fn run_recorded(target: Target, look: Look, record: Option<PathBuf>) -> ExitCode {
    let opts = cairn_tui::TuiOptions {
        connect: target.connect,
        director: target.director,
        theme: look.theme,
        keymap: look.keymap,
        config_dir: cairn_tui::default_config_dir(),
    };
    match cairn_tui::run_recorded(opts, record.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cairn tui: {e}");
            ExitCode::FAILURE
        }
    }
}
