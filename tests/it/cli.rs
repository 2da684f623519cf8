//! The `cairn` binary: config checking and export, daemon start/stop by signal,
//! subcommands not built yet, `bconsole` as argv[0].

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::support::TestConfig;

fn cairn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
}

#[test]
fn dir_test_mode_reports_errors_with_position() -> Result<()> {
    let cfg = TestConfig::standard()?;
    let out = cairn().args(["dir", "-t", "-c"]).arg(cfg.path()).output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    cfg.write("pool/Bad.conf", "Pool {\n  Name = Bad\n  Maximum Volume Bytes = 12 parsecs\n}\n")?;
    let out = cairn().args(["dir", "-t", "-c"]).arg(cfg.path()).output()?;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Bad.conf:3:"), "{err}");
    Ok(())
}

#[test]
fn dir_exports_schema_and_config() -> Result<()> {
    let out = cairn().args(["dir", "-xs"]).output()?;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert!(v["resource"]["bareos-dir"]["Job"]["Name"].is_object(), "{}", &v.to_string()[..200.min(v.to_string().len())]);
    let cfg = TestConfig::standard()?;
    let out = cairn().args(["dir", "--xc", "Client", "bareos-fd", "-c"]).arg(cfg.path()).output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Client {\n  Name = \"bareos-fd\"\n"), "{text}");
    assert!(!text.contains("Pool {"), "{text}");
    Ok(())
}

#[test]
fn tui_needs_a_terminal() -> Result<()> {
    let out = cairn().arg("tui").output()?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"), "{}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// Start `cairn dir` as a process, read its listening port, talk to it with the
/// console in batch mode, then stop it with SIGTERM.
#[test]
fn dir_process_serves_a_batch_console_and_stops_on_sigterm() -> Result<()> {
    let cfg = TestConfig::standard()?;
    let mut child = cairn()
        .args(["dir", "-f", "-c"])
        .arg(cfg.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child.stderr.take().context("stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let port: u16 = loop {
        if Instant::now() > deadline {
            bail!("director did not report its address");
        }
        let Some(line) = lines.next() else { bail!("director exited early") };
        let line = line?;
        if let Some(addr) = line.strip_prefix("cairn-dir: listening on ") {
            break addr.rsplit(':').next().context("port")?.parse()?;
        }
    };
    let conf = cfg.root().join("bconsole.conf");
    std::fs::write(
        &conf,
        format!("Director {{\n  Name = bareos-dir\n  Address = 127.0.0.1\n  Port = {port}\n  Password = \"secret\"\n}}\n"),
    )?;
    let mut console = cairn().args(["console", "-c"]).arg(&conf).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    {
        use std::io::Write;
        let mut stdin = console.stdin.take().context("stdin")?;
        stdin.write_all(b"whoami\nversion\nquit\n")?;
    }
    let out = console.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1000 OK: bareos-dir Version: 25.1.1"), "{text}");
    assert!(text.contains("root\n"), "{text}");

    // a console with a wrong password exits non-zero with a clear message
    std::fs::write(
        &conf,
        format!("Director {{\n  Name = bareos-dir\n  Address = 127.0.0.1\n  Port = {port}\n  Password = \"nope\"\n}}\n"),
    )?;
    let out = cairn().args(["console", "-c"]).arg(&conf).stdin(Stdio::null()).output()?;
    assert_ne!(out.status.code(), Some(0));

    let pid = child.id() as i32;
    let rc = unsafe_free_kill(pid)?;
    assert!(rc, "kill failed");
    let status = wait_timeout(&mut child, Duration::from_secs(15))?;
    assert!(status.success(), "director exit status {status:?}");
    Ok(())
}

fn unsafe_free_kill(pid: i32) -> Result<bool> {
    Ok(Command::new("kill").args(["-TERM", &pid.to_string()]).status()?.success())
}

fn wait_timeout(child: &mut std::process::Child, d: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + d;
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("process did not exit in {d:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn invoked_as_bconsole_it_is_the_console() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let link = dir.path().join("bconsole");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cairn"), &link)?;
    let conf = dir.path().join("bconsole.conf");
    std::fs::write(&conf, "Director {\n  Name = d\n  Address = 127.0.0.1\n  Port = 1\n  Password = x\n}\n")?;
    let out = Command::new(&link).args(["-t", "-c"]).arg(&conf).output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // connecting to a closed port fails with a message naming the address
    let out = Command::new(&link).args(["-c"]).arg(&conf).stdin(Stdio::null()).output()?;
    assert_ne!(out.status.code(), Some(0));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("127.0.0.1:1"), "{all}");
    Ok(())
}
