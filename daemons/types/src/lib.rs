//! Cairn's leaf vocabulary: identifiers and the one-letter codes Bareos uses for job
//! status, type and level, with their long names. No I/O, no async.
//!
//! ```
//! use cairn_types::{JobStatus, JobLevel};
//! assert_eq!(JobStatus::from_code('T').map(|s| s.long_name()), Some("OK"));
//! assert_eq!(JobLevel::Incremental.code(), 'I');
//! ```

pub mod lstat;

use serde::{Deserialize, Serialize};

/// The Bareos version Cairn reports where clients gate on it (python-bareos,
/// bareos-restapi require >= 20.0.1).
pub const BAREOS_COMPAT_VERSION: &str = "25.1.1";
/// Release date printed beside the compatible version, as Bareos does.
pub const BAREOS_COMPAT_DATE: &str = "04 March 2026";
/// Cairn's own version.
pub const CAIRN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default TCP ports, as in Bareos.
pub const DIR_PORT: u16 = 9101;
pub const FD_PORT: u16 = 9102;
pub const SD_PORT: u16 = 9103;

/// A catalog job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub u32);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident = $code:literal, $long:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($var),* }
        impl $name {
            /// Every value, in Bareos's table order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            /// The one-letter catalog code.
            pub fn code(self) -> char { match self { $($name::$var => $code),* } }
            /// The long human-readable name.
            pub fn long_name(self) -> &'static str { match self { $($name::$var => $long),* } }
            /// Look a value up by its one-letter code.
            pub fn from_code(c: char) -> Option<Self> {
                match c { $($code => Some($name::$var),)* _ => None }
            }
        }
    };
}

code_enum! {
    /// Catalog `JobStatus` letters (Bareos `job_status.h`).
    JobStatus {
        Created = 'C', "Created, not yet running";
        Running = 'R', "Running";
        Blocked = 'B', "Blocked";
        Terminated = 'T', "OK";
        Warnings = 'W', "OK -- with warnings";
        ErrorTerminated = 'E', "Error";
        NonFatalError = 'e', "Non-fatal error";
        FatalError = 'f', "Fatal Error";
        Differences = 'D', "Verify differences";
        Canceled = 'A', "Canceled";
        Incomplete = 'I', "Incomplete";
        AttrDespooling = 'a', "SD despooling attributes";
        WaitClientRes = 'c', "Waiting for Client resource";
        WaitMaxJobs = 'd', "Waiting for maximum jobs";
        AttrInserting = 'i', "Doing batch insert file records";
        WaitJobRes = 'j', "Waiting for job resource";
        DataCommitting = 'L', "Committing data (last despool)";
        DataDespooling = 'l', "Doing data despooling";
        WaitMedia = 'm', "Waiting for new media";
        WaitMount = 'M', "Waiting for mount";
        WaitPriority = 'p', "Waiting for higher priority jobs";
        WaitDevice = 'q', "Queued waiting for device";
        WaitStoreRes = 's', "Waiting for storage resource";
        WaitStartTime = 't', "Waiting for start time";
        WaitFd = 'F', "Waiting on File daemon";
        WaitSd = 'S', "Waiting on the Storage daemon";
    }
}

impl JobStatus {
    /// Severity used in the catalog `Status` table (lower is worse is not implied;
    /// Bareos uses 15 for OK, 20 for running, 25 warnings, 100 for errors ...).
    pub fn severity(self) -> u32 {
        match self {
            JobStatus::Terminated => 10,
            JobStatus::Warnings => 20,
            JobStatus::Canceled => 90,
            JobStatus::ErrorTerminated | JobStatus::FatalError => 100,
            JobStatus::NonFatalError | JobStatus::Differences | JobStatus::Incomplete => 25,
            _ => 15,
        }
    }
    /// True for the statuses Bareos counts as "terminated OK".
    pub fn is_ok(self) -> bool {
        matches!(self, JobStatus::Terminated | JobStatus::Warnings)
    }
    /// True when the job has ended (successfully or not).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Terminated
                | JobStatus::Warnings
                | JobStatus::ErrorTerminated
                | JobStatus::FatalError
                | JobStatus::Differences
                | JobStatus::Canceled
                | JobStatus::Incomplete
                | JobStatus::NonFatalError
        )
    }
    /// The short word `status director` prints for terminated jobs.
    pub fn terminated_word(self) -> &'static str {
        match self {
            JobStatus::Terminated => "OK",
            JobStatus::Warnings => "OK -- with warnings",
            JobStatus::ErrorTerminated | JobStatus::FatalError => "Error",
            JobStatus::Differences => "Diffs",
            JobStatus::Canceled => "Cancel",
            JobStatus::Created => "Created",
            _ => "Other",
        }
    }
    /// The `JobStatusLong` word `wait` prints.
    pub fn wait_word(self) -> &'static str {
        match self {
            JobStatus::Terminated => "OK",
            JobStatus::Warnings => "OK -- with warnings",
            JobStatus::ErrorTerminated => "Error",
            JobStatus::FatalError => "Fatal Error",
            JobStatus::Canceled => "Canceled",
            JobStatus::Differences => "Differences",
            _ => "Unknown term code",
        }
    }
    /// `wait`'s ExitStatus: 0 OK, 1 non-fatal error, 2 error/fatal/canceled, 3 other.
    pub fn exit_status(self) -> u32 {
        match self {
            JobStatus::Terminated | JobStatus::Warnings => 0,
            JobStatus::NonFatalError => 1,
            JobStatus::ErrorTerminated | JobStatus::FatalError | JobStatus::Canceled => 2,
            _ => 3,
        }
    }
}

code_enum! {
    /// Catalog job `Type` letters (Bareos `job_types.h`).
    JobType {
        Backup = 'B', "Backup";
        MigratedJob = 'M', "Migrated Job";
        Verify = 'V', "Verify";
        Restore = 'R', "Restore";
        Console = 'U', "Console";
        System = 'I', "System or Console";
        Admin = 'D', "Admin";
        Archive = 'A', "Archive";
        JobCopy = 'C', "Job Copy";
        Copy = 'c', "Copy";
        Migrate = 'g', "Migrate";
        Scan = 'S', "Scan";
        Consolidate = 'O', "Consolidate";
    }
}

impl JobType {
    /// Parse the config keyword (`Type = Backup`), case-insensitively.
    pub fn from_keyword(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "backup" => JobType::Backup,
            "restore" => JobType::Restore,
            "verify" => JobType::Verify,
            "admin" => JobType::Admin,
            "migrate" => JobType::Migrate,
            "copy" => JobType::Copy,
            "consolidate" => JobType::Consolidate,
            "archive" => JobType::Archive,
            _ => return None,
        })
    }
}

code_enum! {
    /// Catalog job `Level` letters (Bareos `job_level.h`).
    JobLevel {
        Full = 'F', "Full";
        Incremental = 'I', "Incremental";
        Differential = 'D', "Differential";
        Since = 'S', "Since";
        VerifyCatalog = 'C', "Verify Catalog";
        InitCatalog = 'V', "Verify Init Catalog";
        VolumeToCatalog = 'O', "Verify Volume to Catalog";
        DiskToCatalog = 'd', "Verify Disk to Catalog";
        Data = 'A', "Verify Data";
        Base = 'B', "Base";
        None = ' ', " ";
        VirtualFull = 'f', "Virtual Full";
    }
}

impl JobLevel {
    /// Parse the config / console keyword (`Level = Incremental`), case-insensitively.
    pub fn from_keyword(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "full" => JobLevel::Full,
            "incremental" => JobLevel::Incremental,
            "differential" => JobLevel::Differential,
            "since" => JobLevel::Since,
            "virtualfull" => JobLevel::VirtualFull,
            "base" => JobLevel::Base,
            "catalog" => JobLevel::VerifyCatalog,
            "initcatalog" => JobLevel::InitCatalog,
            "volumetocatalog" => JobLevel::VolumeToCatalog,
            "disktocatalog" => JobLevel::DiskToCatalog,
            "data" => JobLevel::Data,
            _ => return None,
        })
    }
    /// The config keyword for this level (`Full`, `VirtualFull` ...).
    pub fn keyword(self) -> &'static str {
        match self {
            JobLevel::Full => "Full",
            JobLevel::Incremental => "Incremental",
            JobLevel::Differential => "Differential",
            JobLevel::Since => "Since",
            JobLevel::VerifyCatalog => "Catalog",
            JobLevel::InitCatalog => "InitCatalog",
            JobLevel::VolumeToCatalog => "VolumeToCatalog",
            JobLevel::DiskToCatalog => "DiskToCatalog",
            JobLevel::Data => "Data",
            JobLevel::Base => "Base",
            JobLevel::None => "",
            JobLevel::VirtualFull => "VirtualFull",
        }
    }
}

/// Bareos message types, used by Messages resource destinations and job logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MsgType {
    Debug,
    Abort,
    Fatal,
    Error,
    Warning,
    Info,
    Saved,
    NotSaved,
    Skipped,
    Mount,
    Terminate,
    Restored,
    Security,
    Alert,
    VolMgmt,
    Audit,
}

impl MsgType {
    pub const ALL: &'static [MsgType] = &[
        MsgType::Debug,
        MsgType::Abort,
        MsgType::Fatal,
        MsgType::Error,
        MsgType::Warning,
        MsgType::Info,
        MsgType::Saved,
        MsgType::NotSaved,
        MsgType::Skipped,
        MsgType::Mount,
        MsgType::Terminate,
        MsgType::Restored,
        MsgType::Security,
        MsgType::Alert,
        MsgType::VolMgmt,
        MsgType::Audit,
    ];
    /// The config keyword (`all` is not a type; it expands to every type but debug).
    pub fn keyword(self) -> &'static str {
        match self {
            MsgType::Debug => "debug",
            MsgType::Abort => "abort",
            MsgType::Fatal => "fatal",
            MsgType::Error => "error",
            MsgType::Warning => "warning",
            MsgType::Info => "info",
            MsgType::Saved => "saved",
            MsgType::NotSaved => "notsaved",
            MsgType::Skipped => "skipped",
            MsgType::Mount => "mount",
            MsgType::Terminate => "terminate",
            MsgType::Restored => "restored",
            MsgType::Security => "security",
            MsgType::Alert => "alert",
            MsgType::VolMgmt => "volmgmt",
            MsgType::Audit => "audit",
        }
    }
    pub fn from_keyword(s: &str) -> Option<Self> {
        let l = s.to_ascii_lowercase();
        MsgType::ALL.iter().copied().find(|t| t.keyword() == l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::from_code(s.code()), Some(*s));
        }
        for t in JobType::ALL {
            assert_eq!(JobType::from_code(t.code()), Some(*t));
        }
        for l in JobLevel::ALL {
            assert_eq!(JobLevel::from_code(l.code()), Some(*l));
        }
        assert_eq!(JobStatus::ALL.len(), 26);
    }

    #[test]
    fn exit_status_matches_bareos() {
        assert_eq!(JobStatus::Terminated.exit_status(), 0);
        assert_eq!(JobStatus::NonFatalError.exit_status(), 1);
        assert_eq!(JobStatus::Canceled.exit_status(), 2);
        assert_eq!(JobStatus::Running.exit_status(), 3);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(JobLevel::from_keyword("INCREMENTAL"), Some(JobLevel::Incremental));
        assert_eq!(JobType::from_keyword("backup"), Some(JobType::Backup));
        assert_eq!(MsgType::from_keyword("VolMgmt"), Some(MsgType::VolMgmt));
    }
}
