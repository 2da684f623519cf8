//! `cairn up` in a real terminal: tmux runs the binary in a detached 120x40
//! session on a private socket; the test types keys with `send-keys` and reads
//! the screen with `capture-pane`. It runs a backup from the Jobs screen, sees it
//! end OK on the dashboard, restores one file through the restore browser into a
//! temporary directory and compares its bytes, resizes the window to 80x24,
//! quits with `q` and checks the process exited 0.
//!
//! Without tmux the test is skipped with a message, unless `CAIRN_REQUIRE_TMUX=1`
//! (set by `.ci/run`) makes that a failure. Timeouts are generous and nothing
//! about timing is asserted.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One tmux server on a private socket (`tmux -L NAME`), with no user config.
/// Dropping it kills `cairn` (by PID, if still alive) and the tmux server.
struct Tmux {
    socket: String,
    home: PathBuf,
    cairn_pid: Option<u32>,
    /// The server's socket file, removed on drop (kill-server leaves it).
    socket_path: Option<PathBuf>,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .with_context(|| format!("running tmux {args:?}"))?;
        if !out.status.success() {
            bail!("tmux {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn capture(&self) -> Result<String> {
        self.cmd(&["capture-pane", "-p", "-t", "cairn"])
    }

    /// Keys by tmux name (`Enter`, `Down`, `C-u`, `q`, …).
    fn keys(&self, keys: &[&str]) -> Result<()> {
        let mut args = vec!["send-keys", "-t", "cairn"];
        args.extend_from_slice(keys);
        self.cmd(&args)?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// Literal text (no key-name lookup).
    fn type_text(&self, text: &str) -> Result<()> {
        self.cmd(&["send-keys", "-t", "cairn", "-l", text])?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// Poll the screen until `pred` holds; on timeout fail with the screen and
    /// the tail of the daemon log.
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> Result<String> {
        let start = Instant::now();
        loop {
            let screen = self.capture()?;
            if pred(&screen) {
                return Ok(screen);
            }
            if start.elapsed() > timeout {
                let log = std::fs::read_to_string(self.home.join("var/cairn-up.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                bail!(
                    "timed out after {timeout:?} waiting for {what}; screen:\n{screen}\n--- cairn-up.log (tail) ---\n{}",
                    tail.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The PID of the pane's first child (the shell's `cairn up`).
    fn find_cairn_pid(&self) -> Option<u32> {
        let pane: u32 = self.cmd(&["display-message", "-p", "-t", "cairn", "#{pane_pid}"]).ok()?.trim().parse().ok()?;
        let children = std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if let Some(pid) = self.cairn_pid.filter(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false)
}

/// A director port P with P, P+1 and P+2 free on 127.0.0.1 (`cairn up --port P`
/// puts the file daemon on P+1 and the storage daemon on P+2).
fn free_port_triple() -> Result<u16> {
    for _ in 0..200 {
        let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let p = first.local_addr()?.port();
        if p > u16::MAX - 2 {
            continue;
        }
        let rest: Vec<_> = (1..=2).map(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, p + i))).collect();
        if rest.iter().all(|r| r.is_ok()) {
            return Ok(p);
        }
    }
    bail!("no three consecutive free ports on 127.0.0.1")
}

/// A line of the screen containing all of `words`.
fn has_line(screen: &str, words: &[&str]) -> bool {
    screen.lines().any(|l| words.iter().all(|w| l.contains(w)))
}

fn no_panic(screen: &str) -> bool {
    !screen.contains("panicked") && !screen.contains("RUST_BACKTRACE")
}

#[test]
fn tui_in_tmux_backup_restore_resize_quit() -> Result<()> {
    if !tmux_available() {
        if std::env::var("CAIRN_REQUIRE_TMUX").as_deref() == Ok("1") {
            bail!("tmux is required (CAIRN_REQUIRE_TMUX=1) but `tmux -V` does not run");
        }
        eprintln!("SKIPPED tui_in_tmux_backup_restore_resize_quit: tmux is not installed (set CAIRN_REQUIRE_TMUX=1 to fail instead)");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let home = tmp.path().join("home");
    let out = tmp.path().join("restored");
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&out)?;
    let home = home.canonicalize()?;
    let out = out.canonicalize()?;
    let port = free_port_triple()?;
    let cairn = env!("CARGO_BIN_EXE_cairn");
    let socket = format!("cairn-it-{}-{port}", std::process::id());

    let mut t = Tmux { socket, home: home.clone(), cairn_pid: None, socket_path: None };
    // Several arguments: tmux execs them directly, no quoting through a shell line.
    let script = r#""$1" up --home "$2" --port "$3"; echo "EXIT=$?"; exec sleep 600"#;
    let port_s = port.to_string();
    let home_s = home.display().to_string();
    t.cmd(&[
        "new-session", "-d", "-s", "cairn", "-x", "120", "-y", "40", "--", "sh", "-c", script, "sh", cairn, &home_s,
        &port_s,
    ])?;
    t.socket_path = t.cmd(&["display-message", "-p", "-t", "cairn", "#{socket_path}"]).ok().map(|p| PathBuf::from(p.trim()));
    let long = Duration::from_secs(120);
    let step = Duration::from_secs(30);

    // Dashboard.
    let screen = t.wait_for("the dashboard", long, |s| s.contains("Running jobs") && s.contains("bareos-dir"))?;
    t.cairn_pid = t.find_cairn_pid();
    assert!(no_panic(&screen), "{screen}");
    assert!(has_line(&screen, &["bareos-dir", &format!("127.0.0.1:{port}")]), "status bar:\n{screen}");

    // Jobs → r → backup-bareos-fd (third in the picker) → Enter → Enter.
    t.keys(&["2"])?;
    t.wait_for("the Jobs screen", step, |s| s.contains("Job history"))?;
    t.keys(&["r"])?;
    t.wait_for("the job picker", step, |s| s.contains("Run which job?") && s.contains("backup-bareos-fd"))?;
    let picker = t.capture()?;
    let lines: Vec<&str> = picker
        .lines()
        .skip_while(|l| !l.contains("Run which job?"))
        .skip(1)
        .take_while(|l| !l.contains("Enter confirm"))
        .collect();
    let idx = lines
        .iter()
        .position(|l| l.contains("backup-bareos-fd"))
        .with_context(|| format!("backup-bareos-fd not in the picker:\n{picker}"))?;
    for _ in 0..idx {
        t.keys(&["Down"])?;
    }
    t.keys(&["Enter"])?;
    t.wait_for("the run form", step, |s| s.contains("Run backup-bareos-fd") && s.contains("SelfTest"))?;
    t.keys(&["Enter"])?;

    // Dashboard: the job ends OK.
    t.keys(&["1"])?;
    t.wait_for("the backup terminated OK", long, |s| has_line(s, &["backup-bareos-fd", "Backup", " OK "]))?;

    // Restore browser: client → most recent → (opens in the home's etc/).
    t.keys(&["6"])?;
    t.wait_for("the client list", step, |s| s.contains("pick the client") && s.contains("bareos-fd"))?;
    t.keys(&["Enter"])?;
    t.wait_for("the points in time", step, |s| s.contains("Most recent"))?;
    t.keys(&["Enter"])?;
    let etc_title = format!("{}/etc/", home.display());
    let screen = t.wait_for("the etc/ listing", long, |s| s.contains(&etc_title) && s.contains("bconsole.conf"))?;
    let rows: Vec<&str> = screen.lines().skip_while(|l| !l.contains(&etc_title)).skip(2).collect();
    let idx = rows
        .iter()
        .position(|l| l.contains("bconsole.conf"))
        .with_context(|| format!("bconsole.conf not listed:\n{screen}"))?;
    for _ in 0..idx {
        t.keys(&["Down"])?;
    }
    t.keys(&["Space"])?;
    t.wait_for("bconsole.conf marked", step, |s| s.contains("[x] bconsole.conf") && s.contains("marked: 1 file"))?;
    t.keys(&["d"])?;
    t.wait_for("the restore form", step, |s| s.contains("Where") && s.contains("Enter restore"))?;
    // Where is the first field: clear it and type the temp dir.
    t.keys(&["End", "C-u"])?;
    t.type_text(&out.display().to_string())?;
    let out_s = out.display().to_string();
    t.wait_for("Where typed", step, |s| has_line(s, &["Where", &out_s]))?;
    t.keys(&["Enter"])?;
    t.wait_for("the restore queued", step, |s| s.contains("Restore queued"))?;
    t.keys(&["1"])?;
    t.wait_for("the restore terminated OK", long, |s| has_line(s, &["RestoreFiles", " OK "]))?;

    let original = home.join("etc/bconsole.conf");
    let restored = out.join(original.strip_prefix("/")?);
    let want = std::fs::read(&original)?;
    let got = std::fs::read(&restored).with_context(|| format!("reading the restored {}", restored.display()))?;
    assert_eq!(got, want, "restored bytes differ from {}", original.display());

    // Resize to 80x24: still renders, status bar present, no panic.
    t.cmd(&["resize-window", "-t", "cairn", "-x", "80", "-y", "24"])?;
    let screen = t.wait_for("the 80x24 redraw", step, |s| {
        s.lines().count() <= 24 && s.contains("1 Dash") && has_line(s, &["bareos-dir", "q quit"])
    })?;
    assert!(no_panic(&screen), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "wider than 80 columns:\n{screen}");

    // q: the TUI leaves, the terminal is restored, the process exits 0.
    t.keys(&["q"])?;
    let screen = t.wait_for("EXIT=", long, |s| s.contains("EXIT="))?;
    assert!(screen.contains("EXIT=0"), "cairn up did not exit 0:\n{screen}");
    assert!(!screen.contains("Running jobs") && !screen.contains("q quit"), "the TUI is still on screen:\n{screen}");
    assert!(no_panic(&screen), "{screen}");
    if let Some(pid) = t.cairn_pid {
        let start = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && start.elapsed() < step {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}
