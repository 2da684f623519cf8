//! Director (bareos-dir) resource tables, features.md §2.2.

use super::common::*;
use super::{DataType as T, DirectiveDef, ResourceDef, Shortcut, d};

static DIRECTOR_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "director name, used in handshakes and messages").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Messages", T::Res("Messages"), "Messages resource for daemon messages").acted(),
    d("Port", T::Port, "listen port").def("9101").alias(&["DirPort"]).acted(),
    d("Address", T::Address, "single listen address").alias(&["DirAddress"]).acted(),
    d("Addresses", T::Addresses, "listen address block (ip/ipv4/ipv6)").alias(&["DirAddresses"]).acted(),
    d("SourceAddress", T::Address, "bind address for outgoing connections").alias(&["DirSourceAddress"]),
    d("QueryFile", T::Path, "file of canned queries for the query command").acted(),
    d("WorkingDirectory", T::Path, "state, bootstrap and temporary files").def("/var/lib/cairn").acted(),
    d("PluginDirectory", T::Path, "where director plugins are loaded from"),
    d("PluginNames", T::PluginNames, "director plugins to load"),
    d("ScriptsDirectory", T::Path, "directory with helper scripts").def("/usr/lib/bareos/scripts"),
    d("Subscriptions", T::U32, "licensed client count").def("0"),
    d("MaximumConcurrentJobs", T::U32, "global job concurrency limit").def("1").acted(),
    d("MaximumConsoleConnections", T::U32, "concurrent console sessions limit").def("20").acted(),
    d("Password", PW_MD5, "password of the default console").req().acted(),
    d("FdConnectTimeout", T::Duration, "how long to retry connecting to a client").def("3 minutes").acted(),
    d("SdConnectTimeout", T::Duration, "how long to retry connecting to a storage daemon").def("30 minutes"),
    d("HeartbeatInterval", T::Duration, "keep-alive on idle connections").def("0"),
    d("StatisticsRetention", T::Duration, "statistics retention").def("160704000").dep(),
    d("StatisticsCollectInterval", T::U32, "statistics collection interval").def("0").dep(),
    d("VerId", T::Str, "extra version string shown in status").acted(),
    d("KeyEncryptionKey", PW_CLEAR, "key wrapping key for volume encryption keys"),
    d("NdmpSnooping", T::Bool, "NDMP protocol debugging"),
    d("NdmpLogLevel", T::U32, "NDMP debug level").def("4"),
    d("NdmpNamelistFhinfoSetZeroForInvalidUquad", T::Bool, "NDMP namelist workaround").def("no"),
    d("AbsoluteJobTimeout", T::U32, "hard job kill timer in seconds"),
    d("Auditing", T::Bool, "log audited console commands").def("no").acted(),
    d("AuditEvents", T::StrList, "console commands to audit"),
    d("SecureEraseCommand", T::Str, "command run instead of a plain unlink"),
    d("LogTimestampFormat", T::Str, "strftime format for log lines").def("%d-%b %H:%M"),
    d("EnableKtls", T::Bool, "kernel TLS offload").def("no"),
];

static CATALOG_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "catalog name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("DbAddress", T::Str, "database host").alias(&["Address"]).acted(),
    d("DbPort", T::U32, "database port").alias(&["Port"]).acted(),
    d("DbPassword", PW_AUTO, "database password (kept in clear)").alias(&["Password"]).acted(),
    d("DbUser", T::Str, "database user").req().alias(&["User"]).acted(),
    d("DbName", T::Str, "database name (SQLite: file name)").req().acted(),
    d("DbSocket", T::Str, "database unix socket").alias(&["Socket"]),
    d("DbDriver", T::Str, "database driver (ignored)").dep(),
    d("MultipleConnections", T::Bit, "use several database connections").dep(),
    d("DisableBatchInsert", T::Bool, "disable batch inserts").def("no").dep(),
    d("Reconnect", T::Bool, "reconnect after a dropped connection").def("yes"),
    d("ExitOnFatal", T::Bool, "exit the daemon on a fatal database error").def("no"),
    d("MinConnections", T::U32, "connection pool minimum").def("1"),
    d("MaxConnections", T::U32, "connection pool maximum").def("5"),
    d("IncConnections", T::U32, "connection pool increment").def("1"),
    d("IdleTimeout", T::U32, "connection pool idle timeout").def("30"),
    d("ValidateTimeout", T::U32, "connection pool validation timeout").def("120"),
];

static CLIENT_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "client name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Protocol", T::Enum(&AUTH_PROTOCOL), "Native or NDMP data agent").def("Native"),
    d("AuthType", T::Enum(&AUTHTYPE), "NDMP authentication type").def("None"),
    d("Address", T::Str, "host name or IP of the file daemon").req().alias(&["FdAddress"]).acted(),
    d("LanAddress", T::Str, "alternative address used between FD and SD"),
    d("Port", T::U32, "file daemon port").def("9102").alias(&["FdPort"]).acted(),
    d("Username", T::Str, "NDMP user"),
    d("Password", PW_AUTO, "shared secret with the FD's Director resource").req().alias(&["FdPassword"]).acted(),
    d("Catalog", T::Res("Catalog"), "catalog for this client's jobs").acted(),
    d("Passive", T::Bool, "SD connects to the FD").def("no"),
    d("ConnectionFromDirectorToClient", T::Bool, "director dials the FD").def("yes").acted(),
    d("ConnectionFromClientToDirector", T::Bool, "accept FD-initiated connections").def("no").acted(),
    d("Enabled", T::Bool, "disabled clients are skipped by the scheduler").def("yes").acted(),
    d("HardQuota", T::Size64, "refuse backups beyond this size").def("0"),
    d("SoftQuota", T::Size64, "warn, then enforce after the grace period").def("0"),
    d("SoftQuotaGracePeriod", T::Duration, "soft quota grace time").def("0"),
    d("StrictQuotas", T::Bool, "quota behaviour after grace").def("no"),
    d("QuotaIncludeFailedJobs", T::Bool, "count failed jobs toward the quota").def("yes"),
    d("FileRetention", T::Duration, "file record retention").def("60 days").dep().acted(),
    d("JobRetention", T::Duration, "job record retention").def("180 days").dep().acted(),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
    d("AutoPrune", T::Bool, "prune this client's jobs and files at job end").def("no").dep().acted(),
    d("MaximumConcurrentJobs", T::U32, "per-client concurrency limit").def("1").acted(),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("NdmpLogLevel", T::U32, "NDMP debug level").def("4"),
    d("NdmpBlockSize", T::Size32, "NDMP block size").def("64512"),
    d("NdmpUseLmdb", T::Bool, "NDMP file history store").def("yes"),
];

static STORAGE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "storage name as known to the director").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Protocol", T::Enum(&AUTH_PROTOCOL), "Native or NDMP").def("Native"),
    d("AuthType", T::Enum(&AUTHTYPE), "NDMP authentication type").def("None"),
    d("Address", T::Str, "storage daemon host").req().alias(&["SdAddress"]).acted(),
    d("LanAddress", T::Str, "alternative address for FD to SD"),
    d("Port", T::U32, "storage daemon port").def("9103").alias(&["SdPort"]).acted(),
    d("Username", T::Str, "NDMP user"),
    d("Password", PW_AUTO, "shared secret with the SD's Director resource").req().alias(&["SdPassword"]).acted(),
    d("Device", T::NameList, "device or autochanger names on the SD").req().acted(),
    d("MediaType", T::Str, "media type; must match the SD device").req().acted(),
    d("AutoChanger", T::Bool, "the device is an autochanger").def("no").acted(),
    d("Enabled", T::Bool, "disable the storage for new jobs").def("yes").acted(),
    d("AllowCompression", T::Bool, "allow FD software compression").def("yes"),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
    d("CacheStatusInterval", T::Duration, "cache time for SD status").def("30"),
    d("MaximumConcurrentJobs", T::U32, "per-storage concurrency limit").def("1").acted(),
    d("MaximumConcurrentReadJobs", T::U32, "limit of reading jobs").def("0"),
    d("PairedStorage", T::Res("Storage"), "NDMP / remote-copy pairing"),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("CollectStatistics", T::Bool, "collect statistics").def("no").dep(),
    d("NdmpChangerDevice", T::Str, "NDMP native changer device"),
];

pub(super) static JOB_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "job name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Type", T::Enum(&JOBTYPE), "job type").req().acted(),
    d("Protocol", T::Enum(&JOB_PROTOCOL), "Native or NDMP").def("Native"),
    d("BackupFormat", T::Str, "format string passed to the FD").def("Native"),
    d("Level", T::Enum(&LEVEL), "default level").acted(),
    d("Messages", T::Res("Messages"), "messages resource").req().acted(),
    d("Storage", T::ResList("Storage"), "storages to write to or read from").acted(),
    d("Pool", T::Res("Pool"), "default pool").req().acted(),
    d("FullBackupPool", T::Res("Pool"), "pool for Full level").acted(),
    d("VirtualFullBackupPool", T::Res("Pool"), "pool for VirtualFull level"),
    d("IncrementalBackupPool", T::Res("Pool"), "pool for Incremental level").acted(),
    d("DifferentialBackupPool", T::Res("Pool"), "pool for Differential level").acted(),
    d("NextPool", T::Res("Pool"), "target pool for Copy/Migrate/VirtualFull"),
    d("Client", T::Res("Client"), "client to back up or restore to").acted(),
    d("FileSet", T::Res("FileSet"), "fileset to back up").acted(),
    d("Schedule", T::Res("Schedule"), "automatic scheduling").acted(),
    d("JobToVerify", T::Res("Job"), "job to verify").alias(&["VerifyJob"]),
    d("Catalog", T::Res("Catalog"), "catalog override"),
    d("JobDefs", T::Res("JobDefs"), "inherit unset directives from a JobDefs").acted(),
    d("Run", T::StrRepeat, "start other jobs when this job runs"),
    d("Where", T::Path, "restore prefix directory").acted(),
    d("RegexWhere", T::Str, "restore path rewrite rules"),
    d("StripPrefix", T::Str, "restore: remove leading path"),
    d("AddPrefix", T::Str, "restore: prepend path"),
    d("AddSuffix", T::Str, "restore: append to file names"),
    d("Bootstrap", T::Path, "bootstrap file to read for restore"),
    d("WriteBootstrap", T::Path, "file or |command to write the bootstrap to"),
    d("Replace", T::Enum(&REPLACE), "restore overwrite policy").def("Always").acted(),
    d("MaximumBandwidth", T::Speed, "bandwidth limit"),
    d("MaxRunSchedTime", T::Duration, "cancel if not finished this long after schedule time").acted(),
    d("MaxRunTime", T::Duration, "cancel after running this long").acted(),
    d("FullMaxRuntime", T::Duration, "MaxRunTime for Full").acted(),
    d("IncrementalMaxRuntime", T::Duration, "MaxRunTime for Incremental").acted(),
    d("DifferentialMaxRuntime", T::Duration, "MaxRunTime for Differential").acted(),
    d("MaxWaitTime", T::Duration, "cancel after blocking this long").acted(),
    d("MaxStartDelay", T::Duration, "cancel if not started this long after schedule").acted(),
    d("MaxFullInterval", T::Duration, "upgrade to Full if the last Full is older"),
    d("MaxVirtualFullInterval", T::Duration, "upgrade to VirtualFull if the last one is older"),
    d("MaxDiffInterval", T::Duration, "upgrade to Differential if the last one is older"),
    d("PrefixLinks", T::Bool, "apply Where to absolute symlink targets").def("no"),
    d("PruneJobs", T::Bool, "prune jobs at job end").def("no"),
    d("PruneFiles", T::Bool, "prune files at job end").def("no"),
    d("PruneVolumes", T::Bool, "prune volumes at job end").def("no"),
    d("PurgeMigrationJob", T::Bool, "delete the source job after migration").def("no"),
    d("Enabled", T::Bool, "disabled jobs are not scheduled").def("yes").acted(),
    d("SpoolAttributes", T::Bool, "SD spools attributes").def("no"),
    d("SpoolData", T::Bool, "spool data before writing to the device").def("no"),
    d("SpoolSize", T::Size64, "per-job spool size limit"),
    d("RerunFailedLevels", T::Bool, "upgrade level if the previous job of that level failed").def("no"),
    d("PreferMountedVolumes", T::Bool, "prefer a device with a mounted volume").def("yes"),
    d("RunBeforeJob", T::RunScriptShort(Shortcut::RunBeforeJob), "command run on the director before the job").acted(),
    d("RunAfterJob", T::RunScriptShort(Shortcut::RunAfterJob), "command run on the director after a successful job").acted(),
    d("RunAfterFailedJob", T::RunScriptShort(Shortcut::RunAfterFailedJob), "command run on the director after a failed job").acted(),
    d("ClientRunBeforeJob", T::RunScriptShort(Shortcut::ClientRunBeforeJob), "command run on the client before the job").acted(),
    d("ClientRunAfterJob", T::RunScriptShort(Shortcut::ClientRunAfterJob), "command run on the client after the job").acted(),
    d("MaximumConcurrentJobs", T::U32, "instances of this job at once").def("1").acted(),
    d("RescheduleOnError", T::Bool, "reschedule a failed job").def("no").acted(),
    d("RescheduleInterval", T::Duration, "delay before rescheduling").def("30 minutes").acted(),
    d("RescheduleTimes", T::U32, "maximum reschedules").def("5").acted(),
    d("Priority", T::U32, "lower runs first").def("10").acted(),
    d("AllowMixedPriority", T::Bool, "may run beside jobs of other priorities").def("no").acted(),
    d("SelectionPattern", T::Str, "regex or SQL for the selection type"),
    d("RunScript", T::Block(&RUNSCRIPT), "script block").acted(),
    d("SelectionType", T::Enum(&MIGTYPE), "copy/migrate selection"),
    d("Accurate", T::Bool, "accurate mode").def("no"),
    d("AllowDuplicateJobs", T::Bool, "allow the same job twice at once").def("yes").acted(),
    d("AllowHigherDuplicates", T::Bool, "duplicate control").def("yes").dep(),
    d("CancelLowerLevelDuplicates", T::Bool, "duplicate control").def("no").acted(),
    d("CancelQueuedDuplicates", T::Bool, "duplicate control").def("no").acted(),
    d("CancelRunningDuplicates", T::Bool, "duplicate control").def("no").acted(),
    d("SaveFileHistory", T::Bool, "NDMP file history").def("yes"),
    d("FileHistorySize", T::Size64, "NDMP file history size").def("10000000"),
    d("FdPluginOptions", T::StrRepeat, "options appended to FD plugin strings"),
    d("SdPluginOptions", T::StrRepeat, "SD plugin options"),
    d("DirPluginOptions", T::StrRepeat, "director plugin options"),
    d("MaxConcurrentCopies", T::U32, "copy/migrate worker limit").def("100"),
    d("AlwaysIncremental", T::Bool, "always-incremental scheme").def("no"),
    d("AlwaysIncrementalJobRetention", T::Duration, "consolidate incrementals older than this").def("0"),
    d("AlwaysIncrementalKeepNumber", T::U32, "minimum number of incrementals to keep").def("0"),
    d("AlwaysIncrementalMaxFullAge", T::Duration, "consolidate the full when older than this"),
    d("MaxFullConsolidations", T::U32, "consolidations including the full per run").def("0"),
    d("RunOnIncomingConnectInterval", T::Duration, "start job on client connect when the last success is older").def("0"),
];

static RUNSCRIPT_ITEMS: &[DirectiveDef] = &[
    d("Command", T::RunScriptCmd, "external command (repeatable)").acted(),
    d("Console", T::RunScriptCmd, "director console command (repeatable)").acted(),
    d("Target", T::Str, "client the script runs on"),
    d("RunsOnSuccess", T::Bool, "run when the job succeeded").def("yes").acted(),
    d("RunsOnFailure", T::Bool, "run when the job failed").def("no").acted(),
    d("FailJobOnError", T::Bool, "a non-zero exit fails the job").def("yes").alias(&["AbortJobOnError"]).acted(),
    d("RunsWhen", T::Enum(&RUNSWHEN), "Before, After, Always or AfterVSS").def("Never").acted(),
    d("RunsOnClient", T::Bool, "run on the client (no: on the director)").def("yes").acted(),
];

pub static RUNSCRIPT: ResourceDef = ResourceDef {
    name: "RunScript",
    aliases: &[],
    group: "runscript",
    datatype: "RUNSCRIPT",
    parts: &[RUNSCRIPT_ITEMS],
    only_name_required: false,
};

static OPTIONS_ITEMS: &[DirectiveDef] = &[
    d("Signature", T::Enum(&SIGNATURE), "file checksum algorithm").acted(),
    d("Compression", T::Enum(&COMPRESSION), "software compression").acted(),
    d("Wild", T::StrRepeat, "shell pattern matched against the path").acted(),
    d("WildDir", T::StrRepeat, "shell pattern matched against directories").acted(),
    d("WildFile", T::StrRepeat, "shell pattern matched against files").acted(),
    d("Regex", T::RegexList, "regex matched against the path").acted(),
    d("RegexDir", T::RegexList, "regex matched against directories").acted(),
    d("RegexFile", T::RegexList, "regex matched against files").acted(),
    d("Exclude", T::Bool, "exclude the files matched by this block").def("no").acted(),
    d("IgnoreCase", T::Bool, "case-insensitive pattern matching").def("no").acted(),
    d("OneFs", T::Bool, "stay on one filesystem").def("yes").acted(),
    d("Recurse", T::Bool, "descend into directories").def("yes").acted(),
    d("FsType", T::StrList, "only back up filesystems of these types"),
    d("DriveType", T::StrList, "Windows drive types"),
    d("AclSupport", T::Bool, "save ACLs").def("yes").acted(),
    d("XAttrSupport", T::Bool, "save extended attributes").def("yes").acted(),
    d("HardLinks", T::Bool, "store hard links once").def("no").acted(),
    d("Sparse", T::Bool, "sparse file handling").def("no").acted(),
    d("ReadFifo", T::Bool, "read data from FIFOs").def("no"),
    d("Portable", T::Bool, "portable Windows data format").def("no"),
    d("MtimeOnly", T::Bool, "incremental uses mtime only").def("no").acted(),
    d("KeepAtime", T::Bool, "restore atime after reading").def("no").acted(),
    d("NoAtime", T::Bool, "open files with O_NOATIME").def("no").acted(),
    d("CheckFileChanges", T::Bool, "warn if a file changed during backup").def("no"),
    d("HonorNoDumpFlag", T::Bool, "skip files with the nodump flag").def("no"),
    d("HfsPlusSupport", T::Bool, "macOS resource forks").def("no"),
    d("EnhancedWild", T::Bool, "extended wildcard semantics").def("no"),
    d("StripPath", T::U32, "strip leading path components").def("0"),
    d("Size", T::Str, "select files by size"),
    d("Shadowing", T::Enum(&SHADOWING), "fileset shadowing check"),
    d("AutoExclude", T::Bool, "Windows FilesNotToBackup list").def("yes"),
    d("Accurate", T::Str, "attributes deciding 'changed' in accurate mode").acted(),
    d("Verify", T::Str, "attributes compared by verify jobs"),
    d("BaseJob", T::Str, "attributes compared for base jobs"),
    d("Replace", T::Enum(&REPLACE), "restore overwrite policy for this fileset"),
    d("Plugin", T::Str, "plugin applied to matched files"),
    d("ForceEncryption", T::Bool, "refuse to back up unencrypted").def("no"),
    d("Meta", T::StrRepeat, "NDMP environment tags"),
];

pub static OPTIONS: ResourceDef = ResourceDef {
    name: "Options",
    aliases: &[],
    group: "options",
    datatype: "OPTIONS",
    parts: &[OPTIONS_ITEMS],
    only_name_required: false,
};

static INCLUDE_ITEMS: &[DirectiveDef] = &[
    d("File", T::FileEntry, "file, directory, |command or <listfile to back up").acted(),
    d("Plugin", T::StrRepeat, "plugin-generated data"),
    d("ExcludeDirContaining", T::StrRepeat, "skip directories containing this file").acted(),
    d("Options", T::Block(&OPTIONS), "option block").acted(),
];

pub static INCLUDE: ResourceDef = ResourceDef {
    name: "Include",
    aliases: &[],
    group: "include",
    datatype: "INCEXC",
    parts: &[INCLUDE_ITEMS],
    only_name_required: false,
};

static EXCLUDE_ITEMS: &[DirectiveDef] =
    &[d("File", T::FileEntry, "file or directory to exclude").acted()];

pub static EXCLUDE: ResourceDef = ResourceDef {
    name: "Exclude",
    aliases: &[],
    group: "exclude",
    datatype: "EXCLUDE",
    parts: &[EXCLUDE_ITEMS],
    only_name_required: false,
};

static FILESET_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "fileset name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Include", T::Block(&INCLUDE), "include block").acted(),
    d("Exclude", T::Block(&EXCLUDE), "exclude block").acted(),
    d("IgnoreFileSetChanges", T::Bool, "do not force Full when the fileset changes").def("no"),
    d("EnableVSS", T::Bool, "Windows VSS snapshots").def("yes"),
];

static SCHEDULE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "schedule name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Run", T::Run, "run specification (repeatable)").acted(),
    d("Enabled", T::Bool, "disable the schedule").def("yes").acted(),
];

static POOL_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "pool name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("PoolType", T::Enum(&POOLTYPE), "pool type").def("Backup").acted(),
    d("LabelFormat", T::Str, "automatic volume label format").acted(),
    d("LabelType", T::Enum(&LABEL), "ANSI/IBM labels").dep().acted(),
    d("CleaningPrefix", T::Str, "barcode prefix of cleaning tapes").def("CLN"),
    d("UseCatalog", T::Bool, "record volumes in the catalog").def("yes").acted(),
    d("PurgeOldestVolume", T::Bool, "purge the oldest volume when none is available").def("no"),
    d("ActionOnPurge", T::Enum(&ACTIONONPURGE), "truncate volumes when purged").acted(),
    d("RecycleOldestVolume", T::Bool, "recycle the oldest pruneable volume").def("no"),
    d("RecycleCurrentVolume", T::Bool, "prune/recycle the current volume first").def("no"),
    d("MaximumVolumes", T::U32, "limit of volumes in the pool").acted(),
    d("MaximumVolumeJobs", T::U32, "volume becomes Used after N jobs").acted(),
    d("MaximumVolumeFiles", T::U32, "volume becomes Used after N files").acted(),
    d("MaximumVolumeBytes", T::Size64, "volume becomes Full at this size").acted(),
    d("CatalogFiles", T::Bool, "store file records").def("yes"),
    d("VolumeRetention", T::Duration, "how long jobs on a volume are protected").def("365 days").acted(),
    d("VolumeUseDuration", T::Duration, "volume becomes Used this long after first write").acted(),
    d("MigrationTime", T::Duration, "PoolTime selection threshold").acted(),
    d("MigrationHighBytes", T::Size64, "PoolOccupancy high-water mark").acted(),
    d("MigrationLowBytes", T::Size64, "PoolOccupancy low-water mark").acted(),
    d("NextPool", T::Res("Pool"), "target pool for copy/migrate/virtualfull").acted(),
    d("Storage", T::ResList("Storage"), "storage override for jobs using this pool").acted(),
    d("AutoPrune", T::Bool, "prune expired volumes when a new volume is needed").def("yes").acted(),
    d("Recycle", T::Bool, "purged volumes may be reused").def("yes").acted(),
    d("RecyclePool", T::Res("Pool"), "pool a recycled volume moves to").acted(),
    d("ScratchPool", T::Res("Pool"), "pool to take new volumes from").acted(),
    d("Catalog", T::Res("Catalog"), "catalog override"),
    d("FileRetention", T::Duration, "overrides the client FileRetention").dep(),
    d("JobRetention", T::Duration, "overrides the client JobRetention").dep(),
    d("MinimumBlockSize", T::Size32, "minimum block size").acted(),
    d("MaximumBlockSize", T::Size32, "block size written to new volumes").acted(),
];

static CONSOLE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "console name (matches the bconsole Console name)").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Password", PW_MD5, "console password").req().acted(),
    d("Profile", T::ResList("Profile"), "profiles whose ACLs also apply").acted(),
    d("UsePamAuthentication", T::Bool, "authenticate via PAM after console auth").def("no"),
];

static PROFILE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "profile name").req().acted(),
    d("Description", T::Str, "free text").acted(),
];

static USER_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "user name (PAM user)").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Profile", T::ResList("Profile"), "profiles whose ACLs also apply"),
];

static COUNTER_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "counter name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Minimum", T::I32, "start value").def("0"),
    d("Maximum", T::U32, "wrap value").def("2147483647"),
    d("WrapCounter", T::Res("Counter"), "counter incremented on wrap"),
    d("Catalog", T::Res("Catalog"), "store in the catalog Counters table"),
];

const fn res(
    name: &'static str,
    group: &'static str,
    parts: &'static [&'static [DirectiveDef]],
) -> ResourceDef {
    ResourceDef { name, aliases: &[], group, datatype: "RES", parts, only_name_required: false }
}

pub static DIRECTOR: ResourceDef = res("Director", "directors", &[DIRECTOR_ITEMS, TLS]);
pub static CATALOG: ResourceDef = res("Catalog", "catalogs", &[CATALOG_ITEMS]);
pub static CLIENT: ResourceDef = res("Client", "clients", &[CLIENT_ITEMS, TLS]);
pub static STORAGE: ResourceDef = res("Storage", "storages", &[STORAGE_ITEMS, TLS]);
pub static JOB: ResourceDef = res("Job", "jobs", &[JOB_ITEMS]);
pub static JOBDEFS: ResourceDef = ResourceDef {
    name: "JobDefs",
    aliases: &[],
    group: "jobdefs",
    datatype: "RES",
    parts: &[JOB_ITEMS],
    only_name_required: true,
};
pub static FILESET: ResourceDef = res("FileSet", "filesets", &[FILESET_ITEMS]);
pub static SCHEDULE: ResourceDef = res("Schedule", "schedules", &[SCHEDULE_ITEMS]);
pub static POOL: ResourceDef = res("Pool", "pools", &[POOL_ITEMS]);
pub static CONSOLE: ResourceDef = res("Console", "consoles", &[CONSOLE_ITEMS, ACLS, TLS]);
pub static PROFILE: ResourceDef = res("Profile", "profiles", &[PROFILE_ITEMS, ACLS]);
pub static USER: ResourceDef = res("User", "users", &[USER_ITEMS, ACLS]);
pub static COUNTER: ResourceDef = res("Counter", "counters", &[COUNTER_ITEMS]);

pub static RESOURCES: &[&ResourceDef] = &[
    &DIRECTOR, &CATALOG, &CLIENT, &STORAGE, &JOB, &JOBDEFS, &FILESET, &SCHEDULE, &POOL, &MESSAGES, &CONSOLE, &PROFILE,
    &USER, &COUNTER,
];
