//! Client-initiated connections ("Connection From Client To Director"): the FD
//! dials the director, is parked in its pool (`status director` →
//! `client-connection`), and jobs run over that connection. The director's Client
//! resource points at an unreachable address (127.0.0.1 port 1) with
//! `Connection From Director To Client = no`, so a job can only succeed over the
//! pooled connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_fd::client_initiated::{connect_to_director, LinkError};
use cairn_proto::{ConnectOptions, DirectorClient};
use tempfile::TempDir;

use crate::cluster::{joblog, run_job, wait_job};

const DIR_PW: &str = "dirpw";
const SD_PW: &str = "sdpw";
const FD_PW: &str = "laptoppw";
const CLIENT: &str = "laptop-fd";
/// The director's `FD Connect Timeout` in these tests.
const FD_CONNECT_TIMEOUT: u64 = 8;

fn write(p: &Path, text: &str) -> Result<()> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(p, text)?;
    Ok(())
}

/// SD + director; the FD is started separately (it needs the director's port).
struct Site {
    root: TempDir,
    sd: Option<cairn_sd::StorageDaemon>,
    dir: Option<cairn_dird::Director>,
    fd: Option<cairn_fd::FileDaemon>,
    port: u16,
}

impl Site {
    async fn start() -> Result<Site> {
        let root = tempfile::tempdir()?;
        let r = root.path();
        for d in ["storage", "work-sd", "work-fd", "work-dir", "data/sub"] {
            std::fs::create_dir_all(r.join(d))?;
        }
        write(&r.join("data/a.txt"), "laptop file a\n")?;
        write(&r.join("data/sub/b.txt"), "laptop file b\n")?;
        write(
            &r.join("sd.conf"),
            &format!(
                "Storage {{\n  Name = test-sd\n  SDAddress = 127.0.0.1\n  SDPort = 0\n  Working Directory = \"{w}\"\n  Client Connect Wait = 60\n}}\nDirector {{\n  Name = test-dir\n  Password = \"{SD_PW}\"\n}}\nDevice {{\n  Name = FileStorage\n  Media Type = File\n  Archive Device = \"{s}\"\n  LabelMedia = yes\n  Random Access = yes\n  AutomaticMount = yes\n  RemovableMedia = no\n  AlwaysOpen = no\n}}\nMessages {{\n  Name = Standard\n  Director = test-dir = all\n}}\n",
                w = r.join("work-sd").display(),
                s = r.join("storage").display()
            ),
        )?;
        let sd = cairn_sd::start(cairn_sd::StartOptions::new(r.join("sd.conf"))).await.context("starting the SD")?;
        let sd_port = sd.addrs().first().context("sd addr")?.port();
        write(
            &r.join("dir.conf"),
            &format!(
                r#"Director {{
  Name = test-dir
  Password = "{DIR_PW}"
  DirAddress = 127.0.0.1
  DirPort = 0
  Working Directory = "{work}"
  Messages = Daemon
  Maximum Concurrent Jobs = 10
  FD Connect Timeout = {FD_CONNECT_TIMEOUT} s
}}
Catalog {{ Name = MyCatalog; dbname = catalog; dbuser = bareos }}
Messages {{ Name = Daemon; console = all, !skipped, !saved }}
Messages {{ Name = Standard; console = all, !skipped, !saved; catalog = all, !skipped }}
# The laptop: never dialed (port 1 would fail), only reachable over its own connection.
Client {{
  Name = {CLIENT}
  Address = 127.0.0.1
  Port = 1
  Password = "{FD_PW}"
  Connection From Client To Director = yes
  Connection From Director To Client = no
}}
# A client the director dials as usual: it may not connect on its own.
Client {{
  Name = office-fd
  Address = 127.0.0.1
  Port = 1
  Password = "officepw"
}}
Storage {{
  Name = File
  Address = 127.0.0.1
  Port = {sd_port}
  Password = "{SD_PW}"
  Device = FileStorage
  Media Type = File
  Maximum Concurrent Jobs = 10
}}
Pool {{ Name = Full; Pool Type = Backup; Label Format = "Full-"; Maximum Volumes = 100 }}
FileSet {{
  Name = LaptopSet
  Include {{
    File = "{data}"
  }}
}}
Job {{
  Name = backup-{CLIENT}
  Type = Backup
  Level = Full
  Client = {CLIENT}
  FileSet = LaptopSet
  Storage = File
  Messages = Standard
  Pool = Full
}}
"#,
                work = r.join("work-dir").display(),
                data = r.join("data").display(),
            ),
        )?;
        let dir = cairn_dird::start(cairn_dird::StartOptions::new(r.join("dir.conf"))).await.context("starting the director")?;
        let port = dir.addr().context("dir addr")?.port();
        Ok(Site { root, sd: Some(sd), dir: Some(dir), fd: None, port })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Start the laptop FD: it dials the director and does not listen for it.
    async fn start_fd(&mut self, password: &str) -> Result<()> {
        let r = self.root.path();
        let conf = r.join(format!("fd-{password}.conf"));
        write(
            &conf,
            &format!(
                "Client {{\n  Name = {CLIENT}\n  FDAddress = 127.0.0.1\n  FDPort = 0\n  Working Directory = \"{w}\"\n}}\nDirector {{\n  Name = test-dir\n  Password = \"{password}\"\n  Address = 127.0.0.1\n  Port = {port}\n  Connection From Client To Director = yes\n  Connection From Director To Client = no\n}}\nMessages {{\n  Name = Standard\n  Director = test-dir = all, !skipped, !restored\n}}\n",
                w = r.join("work-fd").display(),
                port = self.port
            ),
        )?;
        self.fd = Some(cairn_fd::start(cairn_fd::StartOptions::new(conf)).await.context("starting the FD")?);
        Ok(())
    }

    async fn stop_fd(&mut self) {
        if let Some(f) = self.fd.take() {
            f.shutdown().await;
        }
    }

    async fn console(&self) -> Result<DirectorClient> {
        let mut o = ConnectOptions::new("127.0.0.1", self.port, cairn_proto::auth::password_key(DIR_PW));
        o.connect_timeout = Duration::from_secs(5);
        Ok(DirectorClient::connect(&o).await?)
    }

    async fn stop(mut self) {
        if let Some(d) = self.dir.take() {
            d.shutdown().await;
        }
        self.stop_fd().await;
        if let Some(s) = self.sd.take() {
            s.shutdown().await;
        }
    }
}

/// Names under `client-connection` in `status director`.
async fn connected(c: &mut DirectorClient) -> Result<Vec<String>> {
    let v = c.json("status director").await?;
    let list = v["client-connection"].as_array().context("client-connection is an array")?;
    Ok(list.iter().filter_map(|x| x["name"].as_str().map(str::to_string)).collect())
}

/// Wait until `status director` lists (or, with `present = false`, no longer
/// lists) the client.
async fn wait_connected(c: &mut DirectorClient, present: bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let names = connected(c).await?;
        if names.iter().any(|n| n == CLIENT) == present {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("client {CLIENT} {} in status director: {names:?}", if present { "never showed up" } else { "stayed" });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn client_initiated_connection_runs_jobs() -> Result<()> {
    let mut site = Site::start().await?;
    let mut c = site.console().await?;
    assert!(connected(&mut c).await?.is_empty());

    // 1. The FD connects and is parked: JSON and text forms of `status director`.
    site.start_fd(FD_PW).await?;
    wait_connected(&mut c, true).await?;
    let v = c.json("status director").await?;
    let entry = &v["client-connection"][0];
    assert_eq!(entry["name"], CLIENT, "{v}");
    assert_eq!(entry["protocol_version"], 54, "{v}");
    assert_eq!(entry["authenticated"], 1, "{v}");
    assert!(entry["connecttime"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    let mut t = site.console().await?;
    let text = t.command("status director").await?.text;
    assert!(text.contains("Client Initiated Connections (waiting for jobs):"), "{text}");
    assert!(text.lines().any(|l| l.contains(CLIENT) && l.contains("54")), "{text}");

    // 2. A backup runs over the pooled connection (the Client's address is port 1,
    //    and dialing is forbidden anyway).
    let id = run_job(&mut c, &format!("run job=backup-{CLIENT} yes")).await?;
    let st = wait_job(&mut c, id).await?;
    let log = joblog(&mut c, id).await;
    assert_eq!(st, "T", "job {id}:\n{log}");
    let files = c.json(&format!("list files jobid={id}")).await?;
    let names: Vec<&str> = files["filenames"].as_array().map(|a| a.iter().filter_map(|f| f["filename"].as_str()).collect()).unwrap_or_default();
    let a = site.path("data/a.txt").display().to_string();
    assert!(names.contains(&a.as_str()), "{names:?}");

    // 3. The FD reconnects after handing its connection to the job.
    wait_connected(&mut c, true).await?;

    // 4. `status client` also takes the pooled connection (the FD reconnects again).
    let v = c.json(&format!("status client={CLIENT}")).await?;
    assert!(v["status"].as_str().is_some_and(|s| s.contains(CLIENT)), "{v}");
    wait_connected(&mut c, true).await?;

    // 5. Refusals get an answer before the close.
    let key = cairn_proto::auth::password_key("wrong");
    let r = connect_to_director("127.0.0.1", site.port, CLIENT, &key, Duration::from_secs(10)).await;
    assert!(matches!(&r, Err(LinkError::Refused(m)) if m.starts_with("1999")), "wrong password: {r:?}");
    let r = connect_to_director("127.0.0.1", site.port, "stranger-fd", &key, Duration::from_secs(10)).await;
    assert!(matches!(&r, Err(LinkError::Refused(m)) if m == "1999 You are not authorized."), "unknown client: {r:?}");
    let office = cairn_proto::auth::password_key("officepw");
    let r = connect_to_director("127.0.0.1", site.port, "office-fd", &office, Duration::from_secs(10)).await;
    assert!(matches!(&r, Err(LinkError::Refused(m)) if m == "1999 You are not authorized."), "not allowed: {r:?}");
    // The refusals did not disturb the parked connection.
    assert_eq!(connected(&mut c).await?, vec![CLIENT.to_string()]);
    let msgs = t.command("messages").await?.text;
    assert!(msgs.contains("Unable to authenticate client \"laptop-fd\"") && msgs.contains("127.0.0.1"), "{msgs}");
    assert!(msgs.contains("\"stranger-fd\" tries to connect"), "{msgs}");

    // 6. An FD with the wrong password is refused and retries; it never shows up.
    site.stop_fd().await;
    wait_connected(&mut c, false).await?;
    site.start_fd("wrongpw").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(connected(&mut c).await?.is_empty());
    site.stop_fd().await;

    // 7. No connection and no dialing: the job waits FD Connect Timeout, then fails clearly.
    let id = run_job(&mut c, &format!("run job=backup-{CLIENT} yes")).await?;
    let st = wait_job(&mut c, id).await?;
    let log = joblog(&mut c, id).await;
    assert_eq!(st, "f", "job {id}:\n{log}");
    assert!(log.contains("did not connect to the director within"), "{log}");

    // 8. A job started before the client connects waits for it.
    let id = run_job(&mut c, &format!("run job=backup-{CLIENT} yes")).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    site.start_fd(FD_PW).await?;
    let st = wait_job(&mut c, id).await?;
    let log = joblog(&mut c, id).await;
    assert_eq!(st, "T", "job {id}:\n{log}");
    wait_connected(&mut c, true).await?;

    drop(c);
    drop(t);
    site.stop().await;
    Ok(())
}

/// The seed's laptop script through python-bareos: trigger a backup of every
/// connected client without a backup in the last 24 hours.
#[tokio::test]
async fn seed_laptop_script_triggers_backups_of_connected_clients() -> Result<()> {
    let Some(py) = crate::python::python()? else { return Ok(()) };
    let mut site = Site::start().await?;
    site.start_fd(FD_PW).await?;
    let port = site.port.to_string();
    let out = tokio::process::Command::new(py)
        .arg(crate::python::script("laptop_trigger.py"))
        .args([port.as_str(), DIR_PW, CLIENT])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    site.stop().await;
    if !out.status.success() || !stdout.contains("ALL OK") {
        bail!("laptop_trigger.py failed:\n{stdout}\n{stderr}");
    }
    Ok(())
}
