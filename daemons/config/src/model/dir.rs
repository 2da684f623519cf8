//! Typed director configuration.

use std::path::PathBuf;

use cairn_types::{JobLevel, JobType};

use super::{Acls, ListenAddr, MessagesRes, Password, TlsSettings, View, messages_res};
use crate::error::Diagnostic;
use crate::resource::{Directive, ResourceSet};
use crate::schedule::{RunSpec, parse_run};
use crate::schema::{Component, DataType, Shortcut};
use crate::value::Value;

/// The whole director configuration.
#[derive(Debug, Clone)]
pub struct DirectorConfig {
    pub director: DirectorRes,
    pub catalogs: Vec<CatalogRes>,
    pub clients: Vec<ClientRes>,
    pub storages: Vec<StorageRes>,
    pub pools: Vec<PoolRes>,
    pub jobs: Vec<JobRes>,
    pub jobdefs: Vec<JobRes>,
    pub filesets: Vec<FileSetRes>,
    pub schedules: Vec<ScheduleRes>,
    pub messages: Vec<MessagesRes>,
    pub consoles: Vec<ConsoleRes>,
    pub profiles: Vec<ProfileRes>,
    pub users: Vec<UserRes>,
    pub counters: Vec<CounterRes>,
    /// Generic representation, for `show` / `--xc`.
    pub resources: ResourceSet,
}

impl DirectorConfig {
    pub fn job(&self, name: &str) -> Option<&JobRes> {
        self.jobs.iter().find(|r| r.name == name)
    }
    pub fn jobdef(&self, name: &str) -> Option<&JobRes> {
        self.jobdefs.iter().find(|r| r.name == name)
    }
    pub fn client(&self, name: &str) -> Option<&ClientRes> {
        self.clients.iter().find(|r| r.name == name)
    }
    pub fn pool(&self, name: &str) -> Option<&PoolRes> {
        self.pools.iter().find(|r| r.name == name)
    }
    pub fn storage(&self, name: &str) -> Option<&StorageRes> {
        self.storages.iter().find(|r| r.name == name)
    }
    pub fn fileset(&self, name: &str) -> Option<&FileSetRes> {
        self.filesets.iter().find(|r| r.name == name)
    }
    pub fn schedule(&self, name: &str) -> Option<&ScheduleRes> {
        self.schedules.iter().find(|r| r.name == name)
    }
    pub fn catalog(&self, name: &str) -> Option<&CatalogRes> {
        self.catalogs.iter().find(|r| r.name == name)
    }
    pub fn console(&self, name: &str) -> Option<&ConsoleRes> {
        self.consoles.iter().find(|r| r.name == name)
    }
    pub fn profile(&self, name: &str) -> Option<&ProfileRes> {
        self.profiles.iter().find(|r| r.name == name)
    }
    pub fn user(&self, name: &str) -> Option<&UserRes> {
        self.users.iter().find(|r| r.name == name)
    }
    pub fn counter(&self, name: &str) -> Option<&CounterRes> {
        self.counters.iter().find(|r| r.name == name)
    }
    pub fn messages_res(&self, name: &str) -> Option<&MessagesRes> {
        self.messages.iter().find(|r| r.name == name)
    }
    /// The first Catalog resource (validation guarantees there is one).
    pub fn default_catalog(&self) -> &CatalogRes {
        &self.catalogs[0]
    }
    /// The catalog a client's jobs use: its `Catalog` or the default one.
    pub fn catalog_for_client(&self, client: &ClientRes) -> &CatalogRes {
        client.catalog.as_deref().and_then(|c| self.catalog(c)).unwrap_or_else(|| self.default_catalog())
    }
}

#[derive(Debug, Clone)]
pub struct DirectorRes {
    pub name: String,
    pub description: Option<String>,
    pub password: Password,
    /// From Address/Port/Addresses; default one entry, host None, port 9101.
    pub listen: Vec<ListenAddr>,
    pub source_address: Option<String>,
    pub working_directory: PathBuf,
    pub query_file: Option<PathBuf>,
    pub plugin_directory: Option<PathBuf>,
    pub plugin_names: Vec<String>,
    pub scripts_directory: Option<PathBuf>,
    pub messages: Option<String>,
    pub subscriptions: u32,
    pub maximum_concurrent_jobs: u32,
    pub maximum_console_connections: u32,
    pub fd_connect_timeout: u64,
    pub sd_connect_timeout: u64,
    pub heartbeat_interval: u64,
    pub ver_id: Option<String>,
    pub key_encryption_key: Option<Password>,
    pub absolute_job_timeout: Option<u32>,
    pub auditing: bool,
    pub audit_events: Vec<String>,
    pub secure_erase_command: Option<String>,
    pub log_timestamp_format: Option<String>,
    pub enable_ktls: bool,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct CatalogRes {
    pub name: String,
    pub description: Option<String>,
    pub db_name: String,
    pub db_user: String,
    /// Kept in clear text (needed to connect).
    pub db_password: Option<Password>,
    pub db_address: Option<String>,
    pub db_port: Option<u32>,
    pub db_socket: Option<String>,
    pub reconnect: bool,
    pub exit_on_fatal: bool,
    pub min_connections: u32,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct ClientRes {
    pub name: String,
    pub description: Option<String>,
    pub protocol: String,
    pub address: String,
    pub lan_address: Option<String>,
    pub port: u16,
    pub username: Option<String>,
    pub password: Password,
    pub catalog: Option<String>,
    pub enabled: bool,
    pub file_retention: u64,
    pub job_retention: u64,
    pub auto_prune: bool,
    pub maximum_concurrent_jobs: u32,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub heartbeat_interval: u64,
    pub connection_from_client_to_director: bool,
    pub connection_from_director_to_client: bool,
    pub passive: bool,
    pub hard_quota: u64,
    pub soft_quota: u64,
    pub soft_quota_grace_period: u64,
    pub strict_quotas: bool,
    pub quota_include_failed_jobs: bool,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct StorageRes {
    pub name: String,
    pub description: Option<String>,
    pub protocol: String,
    pub address: String,
    pub lan_address: Option<String>,
    pub port: u16,
    pub password: Password,
    pub devices: Vec<String>,
    pub media_type: String,
    pub auto_changer: bool,
    pub enabled: bool,
    pub allow_compression: bool,
    pub heartbeat_interval: u64,
    pub cache_status_interval: u64,
    pub maximum_concurrent_jobs: u32,
    pub maximum_concurrent_read_jobs: u32,
    pub paired_storage: Option<String>,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct PoolRes {
    pub name: String,
    pub description: Option<String>,
    /// "Backup", "Scratch" ... as Bareos spells it.
    pub pool_type: String,
    pub label_format: Option<String>,
    pub label_type: Option<String>,
    pub cleaning_prefix: String,
    pub maximum_volumes: u32,
    pub maximum_volume_jobs: u32,
    pub maximum_volume_files: u32,
    pub maximum_volume_bytes: u64,
    pub volume_retention: u64,
    pub volume_use_duration: u64,
    pub recycle: bool,
    pub auto_prune: bool,
    pub purge_oldest_volume: bool,
    pub recycle_oldest_volume: bool,
    pub recycle_current_volume: bool,
    pub action_on_purge: Option<String>,
    pub recycle_pool: Option<String>,
    pub scratch_pool: Option<String>,
    pub next_pool: Option<String>,
    pub storage: Vec<String>,
    pub use_catalog: bool,
    pub catalog_files: bool,
    pub minimum_block_size: u32,
    pub maximum_block_size: u32,
    pub migration_time: u64,
    pub migration_high_bytes: u64,
    pub migration_low_bytes: u64,
    pub file_retention: Option<u64>,
    pub job_retention: Option<u64>,
    pub catalog: Option<String>,
}

/// When a RunScript runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsWhen {
    Never,
    Before,
    After,
    Always,
    AfterVSS,
}

/// One command of a RunScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunScriptCommand {
    /// External command.
    Command(String),
    /// Director console command.
    Console(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunScript {
    /// Commands in the order written.
    pub commands: Vec<RunScriptCommand>,
    pub runs_when: RunsWhen,
    pub runs_on_success: bool,
    pub runs_on_failure: bool,
    pub runs_on_client: bool,
    pub fail_job_on_error: bool,
    pub target: Option<String>,
}

/// A Job or JobDefs resource (JobDefs inheritance already applied).
#[derive(Debug, Clone)]
pub struct JobRes {
    pub name: String,
    pub description: Option<String>,
    pub job_type: JobType,
    pub level: Option<JobLevel>,
    pub protocol: String,
    pub backup_format: String,
    pub client: Option<String>,
    pub fileset: Option<String>,
    pub pool: String,
    pub full_backup_pool: Option<String>,
    pub incremental_backup_pool: Option<String>,
    pub differential_backup_pool: Option<String>,
    pub virtual_full_backup_pool: Option<String>,
    pub next_pool: Option<String>,
    pub storage: Vec<String>,
    pub messages: String,
    pub schedule: Option<String>,
    pub jobdefs: Option<String>,
    pub job_to_verify: Option<String>,
    pub enabled: bool,
    pub priority: u32,
    pub maximum_concurrent_jobs: u32,
    pub where_: Option<String>,
    pub regex_where: Option<String>,
    pub strip_prefix: Option<String>,
    pub add_prefix: Option<String>,
    pub add_suffix: Option<String>,
    pub replace: String,
    pub bootstrap: Option<String>,
    pub write_bootstrap: Option<String>,
    pub accurate: bool,
    pub run_scripts: Vec<RunScript>,
    pub allow_duplicate_jobs: bool,
    pub cancel_lower_level_duplicates: bool,
    pub cancel_queued_duplicates: bool,
    pub cancel_running_duplicates: bool,
    pub allow_mixed_priority: bool,
    pub maximum_bandwidth: Option<u64>,
    pub max_run_sched_time: Option<u64>,
    pub max_run_time: Option<u64>,
    pub full_max_runtime: Option<u64>,
    pub incremental_max_runtime: Option<u64>,
    pub differential_max_runtime: Option<u64>,
    pub max_wait_time: Option<u64>,
    pub max_start_delay: Option<u64>,
    pub max_full_interval: Option<u64>,
    pub max_virtual_full_interval: Option<u64>,
    pub max_diff_interval: Option<u64>,
    pub prefix_links: bool,
    pub prune_jobs: bool,
    pub prune_files: bool,
    pub prune_volumes: bool,
    pub purge_migration_job: bool,
    pub reschedule_on_error: bool,
    pub reschedule_interval: u64,
    pub reschedule_times: u32,
    pub spool_attributes: bool,
    pub spool_data: bool,
    pub spool_size: Option<u64>,
    pub rerun_failed_levels: bool,
    pub prefer_mounted_volumes: bool,
    pub selection_type: Option<String>,
    pub selection_pattern: Option<String>,
    pub catalog: Option<String>,
    /// `Run =` lines (start other jobs).
    pub run: Vec<String>,
    pub fd_plugin_options: Vec<String>,
    pub sd_plugin_options: Vec<String>,
    pub dir_plugin_options: Vec<String>,
    pub max_concurrent_copies: u32,
    pub always_incremental: bool,
    pub always_incremental_job_retention: u64,
    pub always_incremental_keep_number: u32,
    pub always_incremental_max_full_age: Option<u64>,
    pub max_full_consolidations: u32,
    pub run_on_incoming_connect_interval: u64,
    pub save_file_history: bool,
    pub file_history_size: u64,
}

/// A FileSet `File =` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileEntry {
    /// Plain file or directory.
    Path(String),
    /// `|command` run on the director; each output line is a path.
    DirectorCommand(String),
    /// `\|command` run on the client.
    ClientCommand(String),
    /// `<file` read on the director.
    DirectorFile(String),
    /// `\<file` read on the client.
    ClientFile(String),
}

impl FileEntry {
    /// Classify a `File =` value (escapes already resolved).
    pub fn parse(s: &str) -> FileEntry {
        if let Some(r) = s.strip_prefix("\\|") {
            FileEntry::ClientCommand(r.to_string())
        } else if let Some(r) = s.strip_prefix("\\<") {
            FileEntry::ClientFile(r.to_string())
        } else if let Some(r) = s.strip_prefix('|') {
            FileEntry::DirectorCommand(r.to_string())
        } else if let Some(r) = s.strip_prefix('<') {
            FileEntry::DirectorFile(r.to_string())
        } else {
            FileEntry::Path(s.to_string())
        }
    }
}

/// An `Options { }` block of a FileSet Include.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileOptions {
    pub signature: Option<String>,
    pub compression: Option<String>,
    pub wild: Vec<String>,
    pub wild_dir: Vec<String>,
    pub wild_file: Vec<String>,
    pub regex: Vec<String>,
    pub regex_dir: Vec<String>,
    pub regex_file: Vec<String>,
    pub exclude: bool,
    pub ignore_case: bool,
    pub one_fs: bool,
    pub recurse: bool,
    pub fs_type: Vec<String>,
    pub drive_type: Vec<String>,
    pub acl_support: bool,
    pub xattr_support: bool,
    pub hard_links: bool,
    pub sparse: bool,
    pub read_fifo: bool,
    pub portable: bool,
    pub mtime_only: bool,
    pub keep_atime: bool,
    pub no_atime: bool,
    pub check_file_changes: bool,
    pub honor_nodump: bool,
    pub hfsplus_support: bool,
    pub enhanced_wild: bool,
    pub strip_path: u32,
    pub size: Option<String>,
    pub shadowing: Option<String>,
    pub auto_exclude: bool,
    pub accurate: Option<String>,
    pub verify: Option<String>,
    pub basejob: Option<String>,
    pub replace: Option<String>,
    pub plugin: Option<String>,
    pub force_encryption: bool,
    pub meta: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Include {
    pub files: Vec<FileEntry>,
    pub plugins: Vec<String>,
    pub exclude_dir_containing: Vec<String>,
    pub options: Vec<FileOptions>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exclude {
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSetRes {
    pub name: String,
    pub description: Option<String>,
    pub includes: Vec<Include>,
    pub excludes: Vec<Exclude>,
    pub ignore_fileset_changes: bool,
    pub enable_vss: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRes {
    pub name: String,
    pub description: Option<String>,
    /// Raw `Run =` specifications as written (normalised spacing), for `show`.
    pub runs: Vec<String>,
    /// The same lines parsed (`runs_parsed[i]` is `runs[i]`); see [`crate::schedule`].
    pub runs_parsed: Vec<RunSpec>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRes {
    pub name: String,
    pub description: Option<String>,
    pub password: Password,
    pub acls: Acls,
    pub profiles: Vec<String>,
    pub use_pam_authentication: bool,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRes {
    pub name: String,
    pub description: Option<String>,
    pub acls: Acls,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRes {
    pub name: String,
    pub description: Option<String>,
    pub acls: Acls,
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRes {
    pub name: String,
    pub description: Option<String>,
    pub minimum: i32,
    pub maximum: u32,
    pub wrap_counter: Option<String>,
    pub catalog: Option<String>,
}

fn block_view<'a>(def: &'static crate::schema::ResourceDef, d: &'a Directive) -> Option<View<'a>> {
    match &d.value {
        Value::Block(items) => Some(View::new(def, items, &d.pos)),
        _ => None,
    }
}

fn sub_def(parent: &'static crate::schema::ResourceDef, name: &str) -> Option<&'static crate::schema::ResourceDef> {
    parent.directives().find(|d| d.name == name).and_then(|d| match d.ty {
        DataType::Block(b) => Some(b),
        _ => None,
    })
}

fn runscript_from_block(v: &View) -> RunScript {
    let commands = v
        .dirs
        .iter()
        .filter_map(|d| match (d.name, &d.value) {
            ("Command", Value::Str(s)) => Some(RunScriptCommand::Command(s.clone())),
            ("Console", Value::Str(s)) => Some(RunScriptCommand::Console(s.clone())),
            _ => None,
        })
        .collect();
    let runs_when = match v.string("RunsWhen").as_str() {
        "Before" => RunsWhen::Before,
        "After" => RunsWhen::After,
        "Always" => RunsWhen::Always,
        "AfterVSS" => RunsWhen::AfterVSS,
        _ => RunsWhen::Never,
    };
    RunScript {
        commands,
        runs_when,
        runs_on_success: v.bool("RunsOnSuccess"),
        runs_on_failure: v.bool("RunsOnFailure"),
        runs_on_client: v.bool("RunsOnClient"),
        fail_job_on_error: v.bool("FailJobOnError"),
        target: v.str("Target"),
    }
}

/// The RunScript a shortcut directive stands for (features.md §2.2 RunScript).
pub fn runscript_from_shortcut(kind: Shortcut, command: &str) -> RunScript {
    let (client, when, success, failure, fail) = match kind {
        Shortcut::RunBeforeJob => (false, RunsWhen::Before, true, false, true),
        Shortcut::RunAfterJob => (false, RunsWhen::After, true, false, false),
        Shortcut::RunAfterFailedJob => (false, RunsWhen::After, false, true, false),
        Shortcut::ClientRunBeforeJob => (true, RunsWhen::Before, true, false, true),
        Shortcut::ClientRunAfterJob => (true, RunsWhen::After, true, false, false),
    };
    RunScript {
        commands: vec![RunScriptCommand::Command(command.to_string())],
        runs_when: when,
        runs_on_success: success,
        runs_on_failure: failure,
        runs_on_client: client,
        fail_job_on_error: fail,
        target: None,
    }
}

pub(crate) fn director_res(v: &View, diags: &mut Vec<Diagnostic>) -> DirectorRes {
    let _ = diags;
    DirectorRes {
        name: v.string("Name"),
        description: v.str("Description"),
        password: v.password("Password").unwrap_or(Password(String::new())),
        listen: v.listen("Address", "Port", "Addresses"),
        source_address: v.str("SourceAddress"),
        working_directory: v.path("WorkingDirectory").unwrap_or_else(|| PathBuf::from("/var/lib/cairn")),
        query_file: v.path("QueryFile"),
        plugin_directory: v.path("PluginDirectory"),
        plugin_names: v.list("PluginNames"),
        scripts_directory: v.path("ScriptsDirectory"),
        messages: v.str("Messages"),
        subscriptions: v.u32("Subscriptions"),
        maximum_concurrent_jobs: v.u32("MaximumConcurrentJobs"),
        maximum_console_connections: v.u32("MaximumConsoleConnections"),
        fd_connect_timeout: v.u64("FdConnectTimeout"),
        sd_connect_timeout: v.u64("SdConnectTimeout"),
        heartbeat_interval: v.u64("HeartbeatInterval"),
        ver_id: v.str("VerId"),
        key_encryption_key: v.password("KeyEncryptionKey"),
        absolute_job_timeout: v.opt_u32("AbsoluteJobTimeout"),
        auditing: v.bool("Auditing"),
        audit_events: v.list("AuditEvents"),
        secure_erase_command: v.str("SecureEraseCommand"),
        log_timestamp_format: v.str("LogTimestampFormat"),
        enable_ktls: v.bool("EnableKtls"),
        tls: v.tls(),
    }
}

fn catalog_res(v: &View) -> CatalogRes {
    CatalogRes {
        name: v.string("Name"),
        description: v.str("Description"),
        db_name: v.string("DbName"),
        db_user: v.string("DbUser"),
        db_password: v.password("DbPassword"),
        db_address: v.str("DbAddress"),
        db_port: v.opt_u32("DbPort"),
        db_socket: v.str("DbSocket"),
        reconnect: v.bool("Reconnect"),
        exit_on_fatal: v.bool("ExitOnFatal"),
        min_connections: v.u32("MinConnections"),
        max_connections: v.u32("MaxConnections"),
    }
}

fn client_res(v: &View, diags: &mut Vec<Diagnostic>) -> ClientRes {
    ClientRes {
        name: v.string("Name"),
        description: v.str("Description"),
        protocol: v.string("Protocol"),
        address: v.string("Address"),
        lan_address: v.str("LanAddress"),
        port: v.port("Port", diags),
        username: v.str("Username"),
        password: v.password("Password").unwrap_or(Password(String::new())),
        catalog: v.str("Catalog"),
        enabled: v.bool("Enabled"),
        file_retention: v.u64("FileRetention"),
        job_retention: v.u64("JobRetention"),
        auto_prune: v.bool("AutoPrune"),
        maximum_concurrent_jobs: v.u32("MaximumConcurrentJobs"),
        maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
        heartbeat_interval: v.u64("HeartbeatInterval"),
        connection_from_client_to_director: v.bool("ConnectionFromClientToDirector"),
        connection_from_director_to_client: v.bool("ConnectionFromDirectorToClient"),
        passive: v.bool("Passive"),
        hard_quota: v.u64("HardQuota"),
        soft_quota: v.u64("SoftQuota"),
        soft_quota_grace_period: v.u64("SoftQuotaGracePeriod"),
        strict_quotas: v.bool("StrictQuotas"),
        quota_include_failed_jobs: v.bool("QuotaIncludeFailedJobs"),
        tls: v.tls(),
    }
}

fn storage_res(v: &View, diags: &mut Vec<Diagnostic>) -> StorageRes {
    StorageRes {
        name: v.string("Name"),
        description: v.str("Description"),
        protocol: v.string("Protocol"),
        address: v.string("Address"),
        lan_address: v.str("LanAddress"),
        port: v.port("Port", diags),
        password: v.password("Password").unwrap_or(Password(String::new())),
        devices: v.list("Device"),
        media_type: v.string("MediaType"),
        auto_changer: v.bool("AutoChanger"),
        enabled: v.bool("Enabled"),
        allow_compression: v.bool("AllowCompression"),
        heartbeat_interval: v.u64("HeartbeatInterval"),
        cache_status_interval: v.u64("CacheStatusInterval"),
        maximum_concurrent_jobs: v.u32("MaximumConcurrentJobs"),
        maximum_concurrent_read_jobs: v.u32("MaximumConcurrentReadJobs"),
        paired_storage: v.str("PairedStorage"),
        maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
        tls: v.tls(),
    }
}

fn pool_res(v: &View) -> PoolRes {
    PoolRes {
        name: v.string("Name"),
        description: v.str("Description"),
        pool_type: v.string("PoolType"),
        label_format: v.str("LabelFormat"),
        label_type: v.str("LabelType"),
        cleaning_prefix: v.string("CleaningPrefix"),
        maximum_volumes: v.u32("MaximumVolumes"),
        maximum_volume_jobs: v.u32("MaximumVolumeJobs"),
        maximum_volume_files: v.u32("MaximumVolumeFiles"),
        maximum_volume_bytes: v.u64("MaximumVolumeBytes"),
        volume_retention: v.u64("VolumeRetention"),
        volume_use_duration: v.u64("VolumeUseDuration"),
        recycle: v.bool("Recycle"),
        auto_prune: v.bool("AutoPrune"),
        purge_oldest_volume: v.bool("PurgeOldestVolume"),
        recycle_oldest_volume: v.bool("RecycleOldestVolume"),
        recycle_current_volume: v.bool("RecycleCurrentVolume"),
        action_on_purge: v.str("ActionOnPurge"),
        recycle_pool: v.str("RecyclePool"),
        scratch_pool: v.str("ScratchPool"),
        next_pool: v.str("NextPool"),
        storage: v.list("Storage"),
        use_catalog: v.bool("UseCatalog"),
        catalog_files: v.bool("CatalogFiles"),
        minimum_block_size: v.u32("MinimumBlockSize"),
        maximum_block_size: v.u32("MaximumBlockSize"),
        migration_time: v.u64("MigrationTime"),
        migration_high_bytes: v.u64("MigrationHighBytes"),
        migration_low_bytes: v.u64("MigrationLowBytes"),
        file_retention: v.opt_u64("FileRetention"),
        job_retention: v.opt_u64("JobRetention"),
        catalog: v.str("Catalog"),
    }
}

/// Build a Job/JobDefs from its effective (inherited) directives.
pub(crate) fn job_res(v: &View) -> JobRes {
    let mut run_scripts = Vec::new();
    for d in v.dirs {
        let Some(dd) = v.def.directives().find(|x| x.name == d.name) else { continue };
        match (dd.ty, &d.value) {
            (DataType::RunScriptShort(kind), Value::Str(cmd)) => run_scripts.push(runscript_from_shortcut(kind, cmd)),
            (DataType::Block(b), _) if d.name == "RunScript" => {
                if let Some(bv) = block_view(b, d) {
                    run_scripts.push(runscript_from_block(&bv));
                }
            }
            _ => {}
        }
    }
    JobRes {
        name: v.string("Name"),
        description: v.str("Description"),
        job_type: JobType::from_keyword(&v.string("Type")).unwrap_or(JobType::Backup),
        level: v.str("Level").and_then(|l| JobLevel::from_keyword(&l)),
        protocol: v.string("Protocol"),
        backup_format: v.string("BackupFormat"),
        client: v.str("Client"),
        fileset: v.str("FileSet"),
        pool: v.string("Pool"),
        full_backup_pool: v.str("FullBackupPool"),
        incremental_backup_pool: v.str("IncrementalBackupPool"),
        differential_backup_pool: v.str("DifferentialBackupPool"),
        virtual_full_backup_pool: v.str("VirtualFullBackupPool"),
        next_pool: v.str("NextPool"),
        storage: v.list("Storage"),
        messages: v.string("Messages"),
        schedule: v.str("Schedule"),
        jobdefs: v.str("JobDefs"),
        job_to_verify: v.str("JobToVerify"),
        enabled: v.bool("Enabled"),
        priority: v.u32("Priority"),
        maximum_concurrent_jobs: v.u32("MaximumConcurrentJobs"),
        where_: v.str("Where"),
        regex_where: v.str("RegexWhere"),
        strip_prefix: v.str("StripPrefix"),
        add_prefix: v.str("AddPrefix"),
        add_suffix: v.str("AddSuffix"),
        replace: v.string("Replace"),
        bootstrap: v.str("Bootstrap"),
        write_bootstrap: v.str("WriteBootstrap"),
        accurate: v.bool("Accurate"),
        run_scripts,
        allow_duplicate_jobs: v.bool("AllowDuplicateJobs"),
        cancel_lower_level_duplicates: v.bool("CancelLowerLevelDuplicates"),
        cancel_queued_duplicates: v.bool("CancelQueuedDuplicates"),
        cancel_running_duplicates: v.bool("CancelRunningDuplicates"),
        allow_mixed_priority: v.bool("AllowMixedPriority"),
        maximum_bandwidth: v.opt_u64("MaximumBandwidth"),
        max_run_sched_time: v.opt_u64("MaxRunSchedTime"),
        max_run_time: v.opt_u64("MaxRunTime"),
        full_max_runtime: v.opt_u64("FullMaxRuntime"),
        incremental_max_runtime: v.opt_u64("IncrementalMaxRuntime"),
        differential_max_runtime: v.opt_u64("DifferentialMaxRuntime"),
        max_wait_time: v.opt_u64("MaxWaitTime"),
        max_start_delay: v.opt_u64("MaxStartDelay"),
        max_full_interval: v.opt_u64("MaxFullInterval"),
        max_virtual_full_interval: v.opt_u64("MaxVirtualFullInterval"),
        max_diff_interval: v.opt_u64("MaxDiffInterval"),
        prefix_links: v.bool("PrefixLinks"),
        prune_jobs: v.bool("PruneJobs"),
        prune_files: v.bool("PruneFiles"),
        prune_volumes: v.bool("PruneVolumes"),
        purge_migration_job: v.bool("PurgeMigrationJob"),
        reschedule_on_error: v.bool("RescheduleOnError"),
        reschedule_interval: v.u64("RescheduleInterval"),
        reschedule_times: v.u32("RescheduleTimes"),
        spool_attributes: v.bool("SpoolAttributes"),
        spool_data: v.bool("SpoolData"),
        spool_size: v.opt_u64("SpoolSize"),
        rerun_failed_levels: v.bool("RerunFailedLevels"),
        prefer_mounted_volumes: v.bool("PreferMountedVolumes"),
        selection_type: v.str("SelectionType"),
        selection_pattern: v.str("SelectionPattern"),
        catalog: v.str("Catalog"),
        run: v.list("Run"),
        fd_plugin_options: v.list("FdPluginOptions"),
        sd_plugin_options: v.list("SdPluginOptions"),
        dir_plugin_options: v.list("DirPluginOptions"),
        max_concurrent_copies: v.u32("MaxConcurrentCopies"),
        always_incremental: v.bool("AlwaysIncremental"),
        always_incremental_job_retention: v.u64("AlwaysIncrementalJobRetention"),
        always_incremental_keep_number: v.u32("AlwaysIncrementalKeepNumber"),
        always_incremental_max_full_age: v.opt_u64("AlwaysIncrementalMaxFullAge"),
        max_full_consolidations: v.u32("MaxFullConsolidations"),
        run_on_incoming_connect_interval: v.u64("RunOnIncomingConnectInterval"),
        save_file_history: v.bool("SaveFileHistory"),
        file_history_size: v.u64("FileHistorySize"),
    }
}

fn options_res(v: &View) -> FileOptions {
    FileOptions {
        signature: v.str("Signature"),
        compression: v.str("Compression"),
        wild: v.list("Wild"),
        wild_dir: v.list("WildDir"),
        wild_file: v.list("WildFile"),
        regex: v.list("Regex"),
        regex_dir: v.list("RegexDir"),
        regex_file: v.list("RegexFile"),
        exclude: v.bool("Exclude"),
        ignore_case: v.bool("IgnoreCase"),
        one_fs: v.bool("OneFs"),
        recurse: v.bool("Recurse"),
        fs_type: v.list("FsType"),
        drive_type: v.list("DriveType"),
        acl_support: v.bool("AclSupport"),
        xattr_support: v.bool("XAttrSupport"),
        hard_links: v.bool("HardLinks"),
        sparse: v.bool("Sparse"),
        read_fifo: v.bool("ReadFifo"),
        portable: v.bool("Portable"),
        mtime_only: v.bool("MtimeOnly"),
        keep_atime: v.bool("KeepAtime"),
        no_atime: v.bool("NoAtime"),
        check_file_changes: v.bool("CheckFileChanges"),
        honor_nodump: v.bool("HonorNoDumpFlag"),
        hfsplus_support: v.bool("HfsPlusSupport"),
        enhanced_wild: v.bool("EnhancedWild"),
        strip_path: v.u32("StripPath"),
        size: v.str("Size"),
        shadowing: v.str("Shadowing"),
        auto_exclude: v.bool("AutoExclude"),
        accurate: v.str("Accurate"),
        verify: v.str("Verify"),
        basejob: v.str("BaseJob"),
        replace: v.str("Replace"),
        plugin: v.str("Plugin"),
        force_encryption: v.bool("ForceEncryption"),
        meta: v.list("Meta"),
    }
}

fn fileset_res(v: &View) -> FileSetRes {
    let mut includes = Vec::new();
    let mut excludes = Vec::new();
    if let Some(inc_def) = sub_def(v.def, "Include") {
        let opt_def = sub_def(inc_def, "Options");
        for d in v.entries("Include") {
            let Some(iv) = block_view(inc_def, d) else { continue };
            let options = match opt_def {
                Some(od) => iv.entries("Options").filter_map(|o| block_view(od, o)).map(|ov| options_res(&ov)).collect(),
                None => Vec::new(),
            };
            includes.push(Include {
                files: iv.list("File").iter().map(|s| FileEntry::parse(s)).collect(),
                plugins: iv.list("Plugin"),
                exclude_dir_containing: iv.list("ExcludeDirContaining"),
                options,
            });
        }
    }
    if let Some(exc_def) = sub_def(v.def, "Exclude") {
        for d in v.entries("Exclude") {
            let Some(ev) = block_view(exc_def, d) else { continue };
            excludes.push(Exclude { files: ev.list("File").iter().map(|s| FileEntry::parse(s)).collect() });
        }
    }
    FileSetRes {
        name: v.string("Name"),
        description: v.str("Description"),
        includes,
        excludes,
        ignore_fileset_changes: v.bool("IgnoreFileSetChanges"),
        enable_vss: v.bool("EnableVSS"),
    }
}

fn schedule_res(v: &View, diags: &mut Vec<Diagnostic>) -> ScheduleRes {
    let runs = v.list("Run");
    let mut runs_parsed = Vec::with_capacity(runs.len());
    for raw in &runs {
        match parse_run(raw) {
            Ok(r) => runs_parsed.push(r),
            Err(e) => {
                let pos = v.dirs.iter().find(|d| d.name == "Run").map_or(v.pos, |d| &d.pos);
                diags.push(Diagnostic::at(pos, format!("Invalid Run directive \"{raw}\": {e}")));
            }
        }
    }
    ScheduleRes { name: v.string("Name"), description: v.str("Description"), runs, runs_parsed, enabled: v.bool("Enabled") }
}

/// Build the typed director model; `effective` yields each Job/JobDefs's inherited directive list.
pub(crate) fn build(
    set: ResourceSet,
    effective: &dyn Fn(&crate::resource::Resource) -> Vec<Directive>,
    diags: &mut Vec<Diagnostic>,
) -> Option<DirectorConfig> {
    let mut director = None;
    let mut cfg_catalogs = Vec::new();
    let mut clients = Vec::new();
    let mut storages = Vec::new();
    let mut pools = Vec::new();
    let mut jobs = Vec::new();
    let mut jobdefs = Vec::new();
    let mut filesets = Vec::new();
    let mut schedules = Vec::new();
    let mut messages = Vec::new();
    let mut consoles = Vec::new();
    let mut profiles = Vec::new();
    let mut users = Vec::new();
    let mut counters = Vec::new();
    for r in &set.resources {
        let Some(def) = Component::Director.resource(r.type_name) else { continue };
        let v = View::new(def, &r.directives, &r.pos);
        match r.type_name {
            "Director" => director = Some(director_res(&v, diags)),
            "Catalog" => cfg_catalogs.push(catalog_res(&v)),
            "Client" => clients.push(client_res(&v, diags)),
            "Storage" => storages.push(storage_res(&v, diags)),
            "Pool" => pools.push(pool_res(&v)),
            "Job" | "JobDefs" => {
                let eff = effective(r);
                let ev = View::new(def, &eff, &r.pos);
                if r.type_name == "Job" {
                    jobs.push(job_res(&ev));
                } else {
                    jobdefs.push(job_res(&ev));
                }
            }
            "FileSet" => filesets.push(fileset_res(&v)),
            "Schedule" => schedules.push(schedule_res(&v, diags)),
            "Messages" => messages.push(messages_res(&v)),
            "Console" => consoles.push(ConsoleRes {
                name: v.string("Name"),
                description: v.str("Description"),
                password: v.password("Password").unwrap_or(Password(String::new())),
                acls: v.acls(),
                profiles: v.list("Profile"),
                use_pam_authentication: v.bool("UsePamAuthentication"),
                tls: v.tls(),
            }),
            "Profile" => profiles.push(ProfileRes { name: v.string("Name"), description: v.str("Description"), acls: v.acls() }),
            "User" => users.push(UserRes {
                name: v.string("Name"),
                description: v.str("Description"),
                acls: v.acls(),
                profiles: v.list("Profile"),
            }),
            "Counter" => counters.push(CounterRes {
                name: v.string("Name"),
                description: v.str("Description"),
                minimum: i32::try_from(v.i64("Minimum")).unwrap_or(0),
                maximum: v.u32("Maximum"),
                wrap_counter: v.str("WrapCounter"),
                catalog: v.str("Catalog"),
            }),
            _ => {}
        }
    }
    let director = director?;
    if cfg_catalogs.is_empty() {
        return None;
    }
    Some(DirectorConfig {
        director,
        catalogs: cfg_catalogs,
        clients,
        storages,
        pools,
        jobs,
        jobdefs,
        filesets,
        schedules,
        messages,
        consoles,
        profiles,
        users,
        counters,
        resources: set,
    })
}
