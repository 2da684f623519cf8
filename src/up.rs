//! `cairn up`: write the default configuration into a home directory on first
//! run, start the daemons on it and open the TUI (or the line console with
//! `--console`, or when stdin or stdout is not a terminal); leaving it stops the
//! daemons.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use crate::defaults;
use crate::UpArgs;

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..32).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// While the TUI owns the terminal, the daemons' log lines go to a file
/// (`<home>/var/cairn-up.log`) instead of stderr, which would scribble over the
/// screen. The `setdebug` trace tap is installed as `init_tracing` does.
fn init_tracing_to_file(home: &Path) -> Result<std::path::PathBuf, std::io::Error> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let dir = home.join("var");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("cairn-up.log");
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let log = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(std::sync::Mutex::new(file)).with_filter(filter);
    let tap = cairn_runtime::trace::TapLayer
        .with_filter(tracing_subscriber::filter::filter_fn(cairn_runtime::trace::TapLayer::enabled_for));
    let _ = tracing_subscriber::registry().with(log).with(tap).try_init();
    Ok(path)
}

pub fn run(a: UpArgs) -> ExitCode {
    let use_tui = !a.console && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if !use_tui {
        cairn_runtime::init_tracing(0);
    }
    if let Err(e) = std::fs::create_dir_all(&a.home) {
        eprintln!("cairn up: cannot create home {}: {e}", a.home.display());
        return ExitCode::FAILURE;
    }
    let home = match a.home.canonicalize() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cairn up: cannot resolve home {}: {e}", a.home.display());
            return ExitCode::FAILURE;
        }
    };
    if use_tui {
        match init_tracing_to_file(&home) {
            Ok(p) => eprintln!("cairn up: daemon log in {}", p.display()),
            Err(e) => {
                eprintln!("cairn up: cannot open the log file under {}: {e}", home.display());
                cairn_runtime::init_tracing(0);
            }
        }
    }
    let etc = home.join("etc");
    let fresh = !etc.join("bconsole.conf").exists();
    if fresh {
        let values = defaults::Values {
            home: home.display().to_string(),
            dir_password: random_password(),
            fd_password: random_password(),
            sd_password: random_password(),
            mon_password: random_password(),
            admin_password: random_password(),
            dir_port: a.port,
            fd_port: a.port.saturating_add(1),
            sd_port: a.port.saturating_add(2),
        };
        if let Err(e) = defaults::write_config(&home, &values) {
            eprintln!("cairn up: cannot write the default configuration under {}: {e}", etc.display());
            return ExitCode::FAILURE;
        }
        eprintln!("cairn up: wrote a new default configuration to {}", etc.display());
    } else {
        eprintln!("cairn up: using the existing home {}", home.display());
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cairn up: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let sd = match cairn_sd::start(cairn_sd::StartOptions::new(etc.clone())).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("cairn up: the storage daemon did not start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let fd = match cairn_fd::start(cairn_fd::StartOptions::new(etc.clone())).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("cairn up: the file daemon did not start: {e}");
                sd.shutdown().await;
                return ExitCode::FAILURE;
            }
        };
        let dir = match cairn_dird::start(cairn_dird::StartOptions::new(etc.clone())).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("cairn up: the director did not start: {e}");
                fd.shutdown().await;
                sd.shutdown().await;
                return ExitCode::FAILURE;
            }
        };
        let list = |v: &[std::net::SocketAddr]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ");
        eprintln!(
            "cairn up: director on {}, storage daemon on {}, file daemon on {}",
            list(dir.addrs()),
            list(sd.addrs()),
            list(fd.addrs())
        );
        if use_tui {
            let code = match crate::tui::target(Some(etc.clone()), None, None, None) {
                Ok(t) => {
                    let look = crate::tui::Look { theme: a.look.theme.clone(), keymap: a.look.keymap.clone() };
                    crate::tui::run(t, look).await
                }
                Err(e) => {
                    eprintln!("cairn up: {e}");
                    ExitCode::FAILURE
                }
            };
            dir.shutdown().await;
            fd.shutdown().await;
            sd.shutdown().await;
            return code;
        }
        let args = cairn_console::ConsoleArgs {
            config: Some(etc.clone()),
            director: None,
            list_directors: false,
            test_config: false,
            no_signals: false,
            timeout: None,
            debug: None,
            home: None,
            batch: None,
        };
        let code = cairn_console::run(args).await;
        dir.shutdown().await;
        fd.shutdown().await;
        sd.shutdown().await;
        ExitCode::from(code.clamp(0, 255) as u8)
    })
}
