//! Interoperability with python-bareos 25.1.1 from PyPI: the Python scripts under
//! `tests/python/` run against a live director. They need a virtualenv with
//! python-bareos (`.ci/run` makes one in `.venv`); without it they are skipped
//! with a message, unless `CAIRN_REQUIRE_INTEROP=1` (set in CI) makes that a failure.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

use crate::support::{TestDirector, ADMIN_PASSWORD, DIR_PASSWORD};

/// The Python interpreter with python-bareos, if any.
pub fn python() -> Result<Option<PathBuf>> {
    let candidates: Vec<PathBuf> = std::env::var_os("CAIRN_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")))
        .collect();
    for p in candidates {
        if p.exists() {
            let ok = Command::new(&p).args(["-c", "import bareos.bsock"]).output().map(|o| o.status.success()).unwrap_or(false);
            if ok {
                return Ok(Some(p));
            }
        }
    }
    if std::env::var("CAIRN_REQUIRE_INTEROP").as_deref() == Ok("1") {
        bail!("python-bareos is required (CAIRN_REQUIRE_INTEROP=1) but no interpreter with it was found");
    }
    eprintln!("SKIPPED: python-bareos not installed (run .ci/run or create .venv with python-bareos==25.1.1)");
    Ok(None)
}

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(name)
}

#[tokio::test]
async fn python_bareos_connects_and_runs_commands() -> Result<()> {
    let Some(py) = python()? else { return Ok(()) };
    let d = TestDirector::start().await?;
    let port = d.port.to_string();
    let out = tokio::process::Command::new(py)
        .arg(script("interop_basic.py"))
        .args([port.as_str(), DIR_PASSWORD, "admin", ADMIN_PASSWORD])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    d.stop().await;
    if !out.status.success() || !stdout.contains("ALL OK") {
        bail!("python-bareos interop failed:\n{stdout}\n{stderr}");
    }
    Ok(())
}

/// The seed's named console (`Command ACL = !delete, *all*` …) through python-bareos.
#[tokio::test]
async fn python_bareos_seed_console_acls() -> Result<()> {
    let Some(py) = python()? else { return Ok(()) };
    let d = TestDirector::start().await?;
    let port = d.port.to_string();
    let out = tokio::process::Command::new(py)
        .arg(script("interop_acl.py"))
        .args([port.as_str(), DIR_PASSWORD, "admin", ADMIN_PASSWORD])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    d.stop().await;
    if !out.status.success() || !stdout.contains("ALL OK") {
        bail!("python-bareos ACL interop failed:\n{stdout}\n{stderr}");
    }
    Ok(())
}
