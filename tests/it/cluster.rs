//! A whole Cairn on 127.0.0.1: storage daemon, file daemon and director started
//! in-process on port 0 with temporary directories, plus helpers to drive it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_proto::{ConnectOptions, DirectorClient};
use tempfile::TempDir;

pub const DIR_PW: &str = "dirpw";
const SD_PW: &str = "sdpw";
const FD_PW: &str = "fdpw";

/// Options of a test cluster.
#[derive(Clone)]
pub struct ClusterOpts {
    /// FileSet `Include` body lines (e.g. `File = "/x"`), Options included.
    pub include: String,
    /// Extra Pool directives for the Full pool (e.g. `Maximum Volume Bytes = 1M`).
    pub full_pool_extra: String,
    /// Extra Job directives for the backup job.
    pub job_extra: String,
    pub sd_devices: u32,
    /// Extra director resources appended to the configuration.
    pub extra_resources: String,
    /// The director's clock (a manual clock for scheduler tests) and the
    /// scheduler's longest sleep.
    pub clock: Option<std::sync::Arc<dyn cairn_runtime::Clock>>,
    pub scheduler_tick: Option<Duration>,
    /// Certificate TLS on every link (console, director↔SD, director↔FD, FD↔SD).
    pub tls: Option<ClusterTls>,
}

/// Certificate TLS for a test cluster: `certs` holds `ca.pem` and
/// `{dir,sd,fd}.pem` / `.key` (see `tls::Pki`).
#[derive(Clone, Default)]
pub struct ClusterTls {
    pub certs: PathBuf,
    /// `TLS Require` on the director's listener (consoles).
    pub dir_require: bool,
    /// `TLS Allowed CN` of the SD's Storage resource (who may connect to the SD).
    pub sd_allowed_cn: Vec<String>,
}

impl ClusterTls {
    /// The TLS directives of one resource, using `who`'s certificate.
    pub fn block(&self, who: &str, require: bool, verify: bool, allowed: &[String]) -> String {
        let c = self.certs.display();
        let yn = |b: bool| if b { "yes" } else { "no" };
        let mut s = format!(
            "  TLS Enable = yes\n  TLS Require = {}\n  TLS CA Certificate File = \"{c}/ca.pem\"\n  TLS Certificate = \"{c}/{who}.pem\"\n  TLS Key = \"{c}/{who}.key\"\n  TLS Verify Peer = {}\n",
            yn(require),
            yn(verify)
        );
        for a in allowed {
            s.push_str(&format!("  TLS Allowed CN = \"{a}\"\n"));
        }
        s
    }
}

impl Default for ClusterOpts {
    fn default() -> Self {
        ClusterOpts {
            include: String::new(),
            full_pool_extra: String::new(),
            job_extra: String::new(),
            sd_devices: 1,
            extra_resources: String::new(),
            clock: None,
            scheduler_tick: None,
            tls: None,
        }
    }
}

pub struct Cluster {
    pub root: TempDir,
    pub sd: Option<cairn_sd::StorageDaemon>,
    pub fd: Option<cairn_fd::FileDaemon>,
    pub dir: Option<cairn_dird::Director>,
    pub port: u16,
    pub sd_port: u16,
    pub fd_port: u16,
    pub tls: Option<ClusterTls>,
}

fn write(p: &Path, text: &str) -> Result<()> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(p, text)?;
    Ok(())
}

impl Cluster {
    pub async fn start(o: ClusterOpts) -> Result<Cluster> {
        let root = tempfile::tempdir()?;
        let r = root.path();
        let storage = r.join("storage");
        std::fs::create_dir_all(&storage)?;
        std::fs::create_dir_all(r.join("work-sd"))?;
        std::fs::create_dir_all(r.join("work-fd"))?;
        std::fs::create_dir_all(r.join("work-dir"))?;
        let tls_block = |who: &str, require: bool, verify: bool, allowed: &[String]| match &o.tls {
            Some(t) => t.block(who, require, verify, allowed),
            None => String::new(),
        };
        let sd_tls = tls_block("sd", true, true, o.tls.as_ref().map(|t| t.sd_allowed_cn.as_slice()).unwrap_or(&[]));
        let fd_tls = tls_block("fd", true, true, &[]);
        let dir_tls = tls_block("dir", o.tls.as_ref().is_some_and(|t| t.dir_require), false, &[]);
        let dir_out_tls = tls_block("dir", true, true, &[]);
        let count = if o.sd_devices > 1 { format!("  Count = {}\n", o.sd_devices) } else { String::new() };
        write(
            &r.join("sd.conf"),
            &format!(
                "Storage {{\n  Name = test-sd\n  SDAddress = 127.0.0.1\n  SDPort = 0\n  Working Directory = \"{w}\"\n  Client Connect Wait = 60\n{sd_tls}}}\nDirector {{\n  Name = test-dir\n  Password = \"{SD_PW}\"\n}}\nDevice {{\n  Name = FileStorage\n  Media Type = File\n  Archive Device = \"{s}\"\n  LabelMedia = yes\n  Random Access = yes\n  AutomaticMount = yes\n  RemovableMedia = no\n  AlwaysOpen = no\n{count}}}\nMessages {{\n  Name = Standard\n  Director = test-dir = all\n}}\n",
                w = r.join("work-sd").display(),
                s = storage.display()
            ),
        )?;
        let sd = cairn_sd::start(cairn_sd::StartOptions::new(r.join("sd.conf"))).await.context("starting the SD")?;
        let sd_port = sd.addrs().first().context("sd addr")?.port();
        write(
            &r.join("fd.conf"),
            &format!(
                "Client {{\n  Name = test-fd\n  FDAddress = 127.0.0.1\n  FDPort = 0\n  Working Directory = \"{w}\"\n{fd_tls}}}\nDirector {{\n  Name = test-dir\n  Password = \"{FD_PW}\"\n}}\nMessages {{\n  Name = Standard\n  Director = test-dir = all, !skipped, !restored\n}}\n",
                w = r.join("work-fd").display()
            ),
        )?;
        let fd = cairn_fd::start(cairn_fd::StartOptions::new(r.join("fd.conf"))).await.context("starting the FD")?;
        let fd_port = fd.addrs().first().context("fd addr")?.port();
        let device = "FileStorage";
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
{dir_tls}}}
Catalog {{ Name = MyCatalog; dbname = catalog; dbuser = bareos }}
Messages {{ Name = Daemon; console = all, !skipped, !saved }}
Messages {{ Name = Standard; console = all, !skipped, !saved; catalog = all, !skipped }}
Client {{
  Name = test-fd
  Address = 127.0.0.1
  Port = {fd_port}
  Password = "{FD_PW}"
  Maximum Concurrent Jobs = 10
{dir_out_tls}}}
Storage {{
  Name = File
  Address = 127.0.0.1
  Port = {sd_port}
  Password = "{SD_PW}"
  Device = {device}
  Media Type = File
  Maximum Concurrent Jobs = 10
{dir_out_tls}}}
Pool {{
  Name = Full
  Pool Type = Backup
  Label Format = "Full-"
  Maximum Volumes = 100
{full_extra}
}}
Pool {{ Name = Incremental; Pool Type = Backup; Label Format = "Incremental-" }}
Pool {{ Name = Differential; Pool Type = Backup; Label Format = "Differential-" }}
FileSet {{
  Name = TestSet
  Include {{
{include}
  }}
}}
Job {{
  Name = backup
  Type = Backup
  Level = Incremental
  Client = test-fd
  FileSet = TestSet
  Storage = File
  Messages = Standard
  Pool = Full
  Full Backup Pool = Full
  Incremental Backup Pool = Incremental
  Differential Backup Pool = Differential
  Maximum Concurrent Jobs = 5
{job_extra}
}}
Job {{
  Name = RestoreFiles
  Type = Restore
  Client = test-fd
  FileSet = TestSet
  Storage = File
  Pool = Full
  Messages = Standard
  Where = "{restores}"
}}
{extra}
"#,
                work = r.join("work-dir").display(),
                full_extra = o.full_pool_extra,
                include = o.include,
                job_extra = o.job_extra,
                restores = r.join("restores").display(),
                extra = o.extra_resources,
            ),
        )?;
        let mut dopts = cairn_dird::StartOptions::new(r.join("dir.conf"));
        if let Some(c) = o.clock.clone() {
            dopts.clock = c;
        }
        if let Some(t) = o.scheduler_tick {
            dopts.scheduler_tick = t;
        }
        let dir = cairn_dird::start(dopts).await.context("starting the director")?;
        let port = dir.addr().context("dir addr")?.port();
        let sd_port_pub = sd_port;
        let fd_port_pub = fd_port;
        Ok(Cluster { root, sd: Some(sd), fd: Some(fd), dir: Some(dir), port, sd_port: sd_port_pub, fd_port: fd_port_pub, tls: o.tls })
    }

    pub async fn console(&self) -> Result<DirectorClient> {
        let mut o = ConnectOptions::new("127.0.0.1", self.port, cairn_proto::auth::password_key(DIR_PW));
        o.connect_timeout = Duration::from_secs(5);
        if let Some(t) = &self.tls {
            let opts = cairn_proto::tls::TlsOptions {
                enable: true,
                ca_certificate_file: Some(t.certs.join("ca.pem")),
                ..Default::default()
            };
            o.tls = opts.client()?;
        }
        Ok(DirectorClient::connect(&o).await?)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub async fn stop(mut self) {
        if let Some(d) = self.dir.take() {
            d.shutdown().await;
        }
        if let Some(f) = self.fd.take() {
            f.shutdown().await;
        }
        if let Some(s) = self.sd.take() {
            s.shutdown().await;
        }
    }
}

/// `run job=… yes` in JSON mode; returns the JobId.
pub async fn run_job(c: &mut DirectorClient, cmd: &str) -> Result<u32> {
    let v = c.json(cmd).await?;
    let id = v["run"]["jobid"].as_str().context("run.jobid is a string")?;
    Ok(id.parse()?)
}

/// `wait jobid=N` in JSON mode; returns the job status letter.
pub async fn wait_job(c: &mut DirectorClient, jobid: u32) -> Result<String> {
    let v = tokio::time::timeout(Duration::from_secs(120), c.json(&format!("wait jobid={jobid}"))).await??;
    Ok(v["job"]["jobstatus"].as_str().unwrap_or("?").to_string())
}

/// The job log of a job (for failure messages).
pub async fn joblog(c: &mut DirectorClient, jobid: u32) -> String {
    match c.json(&format!("list joblog jobid={jobid}")).await {
        Ok(v) => v["joblog"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["logtext"].as_str()).collect::<Vec<_>>().join(""))
            .unwrap_or_default(),
        Err(e) => format!("(no job log: {e})"),
    }
}

/// Run a job to its end and insist on a status.
pub async fn run_and_expect(c: &mut DirectorClient, cmd: &str, want: &[&str]) -> Result<u32> {
    let id = run_job(c, cmd).await?;
    let st = wait_job(c, id).await?;
    if !want.contains(&st.as_str()) {
        let log = joblog(c, id).await;
        bail!("job {id} ({cmd}) ended with status {st}, expected {want:?}\n{log}");
    }
    Ok(id)
}
