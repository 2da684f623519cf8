//! Test support: temporary director configurations and in-process directors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use cairn_proto::{ConnectOptions, DirectorClient};
use tempfile::TempDir;

/// Clear-text passwords used by the test configuration.
pub const DIR_PASSWORD: &str = "secret";
pub const ADMIN_PASSWORD: &str = "adminpw";
pub const LIMITED_PASSWORD: &str = "limitedpw";

/// A director configuration in a temporary directory.
pub struct TestConfig {
    pub dir: TempDir,
}

impl TestConfig {
    /// The standard fixture: one director on 127.0.0.1 port 0 with a file catalog,
    /// a client, a storage, pools, a fileset, jobs, the seed's named console and a
    /// status-only console.
    pub fn standard() -> Result<TestConfig> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        let work = root.join("work");
        std::fs::create_dir_all(&work)?;
        let d = root.join("bareos-dir.d");
        let files: Vec<(&str, String)> = vec![
            (
                "director/bareos-dir.conf",
                format!(
                    "Director {{\n  Name = bareos-dir\n  Password = \"{DIR_PASSWORD}\"\n  DirAddress = 127.0.0.1\n  DirPort = 0\n  Working Directory = \"{}\"\n  Messages = Daemon\n  Maximum Concurrent Jobs = 10\n}}\n",
                    work.display()
                ),
            ),
            ("catalog/MyCatalog.conf", "Catalog {\n  Name = MyCatalog\n  dbname = bareos\n  dbuser = bareos\n  dbpassword = \"\"\n}\n".into()),
            (
                "client/bareos-fd.conf",
                "Client {\n  Name = bareos-fd\n  Description = \"Client resource of the Director itself.\"\n  Address = localhost\n  Password = \"fdpassword\"\n}\n".into(),
            ),
            ("client/client1-fd.conf", "Client {\n  Name = client1-fd\n  Address = 127.0.0.2\n  Password = \"c1\"\n}\n".into()),
            (
                "storage/File.conf",
                "Storage {\n  Name = File\n  Address = localhost\n  Password = \"sdpassword\"\n  Device = FileStorage\n  Media Type = File\n}\n".into(),
            ),
            (
                "pool/Full.conf",
                "Pool {\n  Name = Full\n  Pool Type = Backup\n  Recycle = yes\n  AutoPrune = yes\n  Volume Retention = 365 days\n  Maximum Volume Bytes = 50G\n  Maximum Volumes = 100\n  Label Format = \"Full-\"\n}\n".into(),
            ),
            (
                "pool/Incremental.conf",
                "Pool {\n  Name = Incremental\n  Pool Type = Backup\n  Volume Retention = 30 days\n  Maximum Volume Bytes = 1G\n  Maximum Volumes = 100\n  Label Format = \"Incremental-\"\n}\n".into(),
            ),
            ("pool/Scratch.conf", "Pool {\n  Name = Scratch\n  Pool Type = Scratch\n}\n".into()),
            (
                "fileset/SelfTest.conf",
                "FileSet {\n  Name = \"SelfTest\"\n  Include {\n    Options {\n      Signature = XXH128\n    }\n    File = \"/usr/sbin\"\n  }\n}\n".into(),
            ),
            (
                "fileset/LinuxAll.conf",
                "FileSet {\n  Name = \"LinuxAll\"\n  Include {\n    File = /\n  }\n}\n".into(),
            ),
            (
                "jobdefs/DefaultJob.conf",
                "JobDefs {\n  Name = \"DefaultJob\"\n  Type = Backup\n  Level = Incremental\n  Client = bareos-fd\n  FileSet = \"SelfTest\"\n  Storage = File\n  Messages = Standard\n  Pool = Incremental\n  Priority = 10\n  Full Backup Pool = Full\n  Incremental Backup Pool = Incremental\n}\n".into(),
            ),
            ("job/backup-bareos-fd.conf", "Job {\n  Name = \"backup-bareos-fd\"\n  JobDefs = \"DefaultJob\"\n}\n".into()),
            ("job/backup-client1.conf", "Job {\n  Name = \"backup-client1\"\n  JobDefs = \"DefaultJob\"\n  Client = client1-fd\n  FileSet = LinuxAll\n}\n".into()),
            (
                "job/RestoreFiles.conf",
                "Job {\n  Name = \"RestoreFiles\"\n  Type = Restore\n  Client = bareos-fd\n  FileSet = SelfTest\n  Storage = File\n  Pool = Incremental\n  Messages = Standard\n  Where = /tmp/bareos-restores\n}\n".into(),
            ),
            ("messages/Daemon.conf", "Messages {\n  Name = Daemon\n  console = all, !skipped, !saved, !audit\n}\n".into()),
            (
                "messages/Standard.conf",
                "Messages {\n  Name = Standard\n  console = all, !skipped, !saved, !audit\n  catalog = all, !skipped, !saved, !audit\n}\n".into(),
            ),
            (
                "console/admin.conf",
                format!(
                    "Console {{\n  Name = admin\n  Password = \"{ADMIN_PASSWORD}\"\n  Command ACL = !delete, *all*\n  Catalog ACL = MyCatalog\n  Client ACL = client1-fd, client2-fd\n  FileSet ACL = Linux.*\n  Job ACL = backup-client1, restore-client1, backup-client2\n  Plugin Options ACL = *all*\n  Pool ACL = *all*\n  Schedule ACL = *all*\n  Storage ACL = *all*\n  Where ACL = *all*\n}}\n"
                ),
            ),
            (
                "console/limited.conf",
                format!("Console {{\n  Name = limited\n  Password = \"{LIMITED_PASSWORD}\"\n  CommandACL = status, .status, version\n  JobACL = *all*\n}}\n"),
            ),
        ];
        for (rel, text) in files {
            let p = d.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, text)?;
        }
        Ok(TestConfig { dir })
    }

    /// The `-c` path of the director configuration.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("bareos-dir.d")
    }

    /// Write (or overwrite) one resource file under `bareos-dir.d`.
    pub fn write(&self, rel: &str, text: &str) -> Result<()> {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
        Ok(())
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// An in-process director on a temporary configuration.
pub struct TestDirector {
    pub config: TestConfig,
    pub dir: Option<cairn_dird::Director>,
    pub port: u16,
}

impl TestDirector {
    pub async fn start() -> Result<TestDirector> {
        Self::start_with(TestConfig::standard()?).await
    }

    pub async fn start_with(config: TestConfig) -> Result<TestDirector> {
        let dir = cairn_dird::start(cairn_dird::StartOptions::new(config.path())).await?;
        let port = dir.addr().context("director has no address")?.port();
        Ok(TestDirector { config, dir: Some(dir), port })
    }

    pub fn options(&self, console: Option<&str>, password: &str) -> ConnectOptions {
        let mut o = ConnectOptions::new("127.0.0.1", self.port, cairn_proto::auth::password_key(password));
        o.console_name = console.map(str::to_string);
        o.connect_timeout = Duration::from_secs(5);
        o
    }

    /// Log in as the default console.
    pub async fn root(&self) -> Result<DirectorClient> {
        Ok(DirectorClient::connect(&self.options(None, DIR_PASSWORD)).await?)
    }

    pub async fn stop(mut self) {
        if let Some(d) = self.dir.take() {
            d.shutdown().await;
        }
    }
}
