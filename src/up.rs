//! `cairn up`: write the default configuration into a home directory on first
//! run, start the daemons on it and open the console; leaving the console stops
//! the daemons.

use std::process::ExitCode;

use crate::defaults;
use crate::UpArgs;

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..32).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

pub fn run(a: UpArgs) -> ExitCode {
    cairn_runtime::init_tracing(0);
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
