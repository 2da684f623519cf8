//! Row structs returned by the typed queries.
//!
//! Field names are the lower-cased Bareos column names (`type` is spelled `jobtype`).
//! Counters and ids are `i64` (SQLite's integer), text and timestamps that may be NULL
//! are `Option<String>`. Each row offers `*_fields()` helpers that give the
//! `(key, value)` pairs Bareos prints for `list` / `llist`, in Bareos's column order,
//! with every value rendered as a string (NULL → `""`).

/// Key/value pairs in Bareos output order.
pub type Fields = Vec<(&'static str, String)>;

fn o(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// One `Job` row joined with client, pool and fileset names (`llist jobs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub jobid: u32,
    /// Unique job name (`Name.YYYY-MM-DD_HH.MM.SS_NN`).
    pub job: String,
    /// Job resource name.
    pub name: String,
    pub purgedfiles: i64,
    /// `Type` letter (§5.1).
    pub jobtype: char,
    /// `Level` letter (space for none).
    pub level: char,
    pub clientid: i64,
    /// Client name (NULL when the client row is missing).
    pub client: Option<String>,
    pub jobstatus: char,
    pub schedtime: Option<String>,
    pub starttime: Option<String>,
    pub endtime: Option<String>,
    pub realendtime: Option<String>,
    /// `HH:MM:SS` or `N day(s) HH:MM:SS`; measured to now for unfinished jobs; NULL when
    /// the job never started.
    pub duration: Option<String>,
    pub jobtdate: i64,
    pub volsessionid: i64,
    pub volsessiontime: i64,
    pub jobfiles: i64,
    pub jobbytes: i64,
    pub readbytes: i64,
    pub joberrors: i64,
    pub jobmissingfiles: i64,
    pub poolid: i64,
    pub poolname: Option<String>,
    pub priorjobid: i64,
    pub filesetid: i64,
    pub fileset: Option<String>,
    pub hasbase: i64,
    pub hascache: i64,
    pub reviewed: i64,
    pub comment: Option<String>,
}

impl JobRow {
    /// The 10 columns of `list jobs`.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("jobid", self.jobid.to_string()),
            ("name", self.name.clone()),
            ("client", o(&self.client)),
            ("starttime", o(&self.starttime)),
            ("duration", o(&self.duration)),
            ("type", self.jobtype.to_string()),
            ("level", self.level.to_string()),
            ("jobfiles", self.jobfiles.to_string()),
            ("jobbytes", self.jobbytes.to_string()),
            ("jobstatus", self.jobstatus.to_string()),
        ]
    }

    /// The 26 columns of `llist jobs`.
    pub fn llist_fields(&self) -> Fields {
        vec![
            ("jobid", self.jobid.to_string()),
            ("job", self.job.clone()),
            ("name", self.name.clone()),
            ("purgedfiles", self.purgedfiles.to_string()),
            ("type", self.jobtype.to_string()),
            ("level", self.level.to_string()),
            ("clientid", self.clientid.to_string()),
            ("client", o(&self.client)),
            ("jobstatus", self.jobstatus.to_string()),
            ("schedtime", o(&self.schedtime)),
            ("starttime", o(&self.starttime)),
            ("endtime", o(&self.endtime)),
            ("realendtime", o(&self.realendtime)),
            ("duration", o(&self.duration)),
            ("jobtdate", self.jobtdate.to_string()),
            ("volsessionid", self.volsessionid.to_string()),
            ("volsessiontime", self.volsessiontime.to_string()),
            ("jobfiles", self.jobfiles.to_string()),
            ("jobbytes", self.jobbytes.to_string()),
            ("joberrors", self.joberrors.to_string()),
            ("jobmissingfiles", self.jobmissingfiles.to_string()),
            ("poolid", self.poolid.to_string()),
            ("poolname", o(&self.poolname)),
            ("priorjobid", self.priorjobid.to_string()),
            ("filesetid", self.filesetid.to_string()),
            ("fileset", o(&self.fileset)),
        ]
    }
}

/// One `Client` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub clientid: i64,
    pub name: String,
    pub uname: String,
    pub autoprune: i64,
    /// Seconds.
    pub fileretention: i64,
    /// Seconds.
    pub jobretention: i64,
}

impl ClientRow {
    /// `list clients` columns.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("clientid", self.clientid.to_string()),
            ("name", self.name.clone()),
            ("fileretention", self.fileretention.to_string()),
            ("jobretention", self.jobretention.to_string()),
        ]
    }
    /// `llist clients` columns.
    pub fn llist_fields(&self) -> Fields {
        vec![
            ("clientid", self.clientid.to_string()),
            ("name", self.name.clone()),
            ("uname", self.uname.clone()),
            ("autoprune", self.autoprune.to_string()),
            ("fileretention", self.fileretention.to_string()),
            ("jobretention", self.jobretention.to_string()),
        ]
    }
}

/// One `Pool` row (every column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRow {
    pub poolid: i64,
    pub name: String,
    pub numvols: i64,
    pub maxvols: i64,
    pub useonce: i64,
    pub usecatalog: i64,
    pub acceptanyvolume: i64,
    pub volretention: i64,
    pub voluseduration: i64,
    pub maxvoljobs: i64,
    pub maxvolfiles: i64,
    pub maxvolbytes: i64,
    pub autoprune: i64,
    pub recycle: i64,
    pub actiononpurge: i64,
    pub pooltype: Option<String>,
    pub labeltype: i64,
    pub labelformat: String,
    pub enabled: i64,
    pub scratchpoolid: i64,
    pub recyclepoolid: i64,
    pub nextpoolid: i64,
    pub minblocksize: i64,
    pub maxblocksize: i64,
    pub migrationhighbytes: i64,
    pub migrationlowbytes: i64,
    pub migrationtime: i64,
}

impl PoolRow {
    /// `list pools` columns.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("poolid", self.poolid.to_string()),
            ("name", self.name.clone()),
            ("numvols", self.numvols.to_string()),
            ("maxvols", self.maxvols.to_string()),
            ("pooltype", o(&self.pooltype)),
            ("labelformat", self.labelformat.clone()),
        ]
    }
    /// `llist pools` columns.
    pub fn llist_fields(&self) -> Fields {
        vec![
            ("poolid", self.poolid.to_string()),
            ("name", self.name.clone()),
            ("numvols", self.numvols.to_string()),
            ("maxvols", self.maxvols.to_string()),
            ("useonce", self.useonce.to_string()),
            ("usecatalog", self.usecatalog.to_string()),
            ("acceptanyvolume", self.acceptanyvolume.to_string()),
            ("volretention", self.volretention.to_string()),
            ("voluseduration", self.voluseduration.to_string()),
            ("maxvoljobs", self.maxvoljobs.to_string()),
            ("maxvolbytes", self.maxvolbytes.to_string()),
            ("autoprune", self.autoprune.to_string()),
            ("recycle", self.recycle.to_string()),
            ("pooltype", o(&self.pooltype)),
            ("labelformat", self.labelformat.clone()),
            ("enabled", self.enabled.to_string()),
            ("scratchpoolid", self.scratchpoolid.to_string()),
            ("recyclepoolid", self.recyclepoolid.to_string()),
            ("labeltype", self.labeltype.to_string()),
        ]
    }
}

/// One `Media` row (every column) plus the names of its pools and storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    pub mediaid: i64,
    pub volumename: String,
    pub slot: i64,
    pub poolid: i64,
    /// Name of the pool (`PoolId`).
    pub pool: Option<String>,
    pub mediatype: String,
    pub mediatypeid: i64,
    pub labeltype: i64,
    pub firstwritten: Option<String>,
    pub lastwritten: Option<String>,
    pub labeldate: Option<String>,
    pub voljobs: i64,
    pub volfiles: i64,
    pub volblocks: i64,
    pub volmounts: i64,
    pub volbytes: i64,
    pub volerrors: i64,
    pub volwrites: i64,
    pub volcapacitybytes: i64,
    pub volstatus: String,
    pub enabled: i64,
    pub recycle: i64,
    pub actiononpurge: i64,
    pub volretention: i64,
    pub voluseduration: i64,
    pub maxvoljobs: i64,
    pub maxvolfiles: i64,
    pub maxvolbytes: i64,
    pub inchanger: i64,
    pub storageid: i64,
    /// Name of the storage (`StorageId`).
    pub storage: Option<String>,
    pub deviceid: i64,
    pub mediaaddressing: i64,
    pub volreadtime: i64,
    pub volwritetime: i64,
    pub endfile: i64,
    pub endblock: i64,
    pub locationid: i64,
    pub recyclecount: i64,
    pub minblocksize: i64,
    pub maxblocksize: i64,
    pub initialwrite: Option<String>,
    pub scratchpoolid: i64,
    pub scratchpool: Option<String>,
    pub recyclepoolid: i64,
    pub recyclepool: Option<String>,
    pub encryptionkey: Option<String>,
    pub comment: Option<String>,
}

impl MediaRow {
    /// `1` when the volume has an encryption key, else `0` (the `hasencryptionkey` key).
    pub fn has_encryption_key(&self) -> bool {
        self.encryptionkey.as_deref().is_some_and(|k| !k.is_empty())
    }

    /// `list volumes` columns.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("mediaid", self.mediaid.to_string()),
            ("volumename", self.volumename.clone()),
            ("volstatus", self.volstatus.clone()),
            ("enabled", self.enabled.to_string()),
            ("volbytes", self.volbytes.to_string()),
            ("volfiles", self.volfiles.to_string()),
            ("volretention", self.volretention.to_string()),
            ("recycle", self.recycle.to_string()),
            ("slot", self.slot.to_string()),
            ("inchanger", self.inchanger.to_string()),
            ("mediatype", self.mediatype.clone()),
            ("lastwritten", o(&self.lastwritten)),
            ("storage", o(&self.storage)),
        ]
    }

    /// `llist volumes` columns.
    pub fn llist_fields(&self) -> Fields {
        vec![
            ("mediaid", self.mediaid.to_string()),
            ("volumename", self.volumename.clone()),
            ("slot", self.slot.to_string()),
            ("poolid", self.poolid.to_string()),
            ("pool", o(&self.pool)),
            ("mediatype", self.mediatype.clone()),
            ("firstwritten", o(&self.firstwritten)),
            ("lastwritten", o(&self.lastwritten)),
            ("labeldate", o(&self.labeldate)),
            ("voljobs", self.voljobs.to_string()),
            ("volfiles", self.volfiles.to_string()),
            ("volblocks", self.volblocks.to_string()),
            ("volmounts", self.volmounts.to_string()),
            ("volbytes", self.volbytes.to_string()),
            ("volerrors", self.volerrors.to_string()),
            ("volwrites", self.volwrites.to_string()),
            ("volcapacitybytes", self.volcapacitybytes.to_string()),
            ("volstatus", self.volstatus.clone()),
            ("enabled", self.enabled.to_string()),
            ("recycle", self.recycle.to_string()),
            ("volretention", self.volretention.to_string()),
            ("voluseduration", self.voluseduration.to_string()),
            ("maxvoljobs", self.maxvoljobs.to_string()),
            ("maxvolfiles", self.maxvolfiles.to_string()),
            ("maxvolbytes", self.maxvolbytes.to_string()),
            ("inchanger", self.inchanger.to_string()),
            ("endfile", self.endfile.to_string()),
            ("endblock", self.endblock.to_string()),
            ("labeltype", self.labeltype.to_string()),
            ("storageid", self.storageid.to_string()),
            ("deviceid", self.deviceid.to_string()),
            ("locationid", self.locationid.to_string()),
            ("recyclecount", self.recyclecount.to_string()),
            ("initialwrite", o(&self.initialwrite)),
            ("scratchpoolid", self.scratchpoolid.to_string()),
            ("scratchpool", o(&self.scratchpool)),
            ("recyclepoolid", self.recyclepoolid.to_string()),
            ("recyclepool", o(&self.recyclepool)),
            ("comment", o(&self.comment)),
            ("storage", o(&self.storage)),
        ]
    }
}

/// One `FileSet` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSetRow {
    pub filesetid: i64,
    pub fileset: String,
    pub md5: String,
    pub createtime: String,
    pub filesettext: String,
}

impl FileSetRow {
    /// `list filesets` columns.
    pub fn fields(&self) -> Fields {
        vec![
            ("filesetid", self.filesetid.to_string()),
            ("fileset", self.fileset.clone()),
            ("md5", self.md5.clone()),
            ("createtime", self.createtime.clone()),
            ("filesettext", self.filesettext.clone()),
        ]
    }
}

/// One `Storage` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageRow {
    pub storageid: i64,
    pub name: String,
    pub autochanger: i64,
}

impl StorageRow {
    /// `list storages` columns.
    pub fn fields(&self) -> Fields {
        vec![
            ("storageid", self.storageid.to_string()),
            ("name", self.name.clone()),
            ("autochanger", self.autochanger.to_string()),
        ]
    }
}

/// One `JobMedia` row with the volume name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobMediaRow {
    pub jobmediaid: i64,
    pub jobid: u32,
    pub mediaid: i64,
    pub volumename: String,
    pub firstindex: i64,
    pub lastindex: i64,
    pub startfile: i64,
    pub endfile: i64,
    pub startblock: i64,
    pub endblock: i64,
    pub jobbytes: i64,
    pub volindex: i64,
}

impl JobMediaRow {
    /// `list jobmedia` columns.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("jobid", self.jobid.to_string()),
            ("volumename", self.volumename.clone()),
            ("firstindex", self.firstindex.to_string()),
            ("lastindex", self.lastindex.to_string()),
        ]
    }
    /// `llist jobmedia` columns.
    pub fn llist_fields(&self) -> Fields {
        vec![
            ("jobmediaid", self.jobmediaid.to_string()),
            ("jobid", self.jobid.to_string()),
            ("mediaid", self.mediaid.to_string()),
            ("volumename", self.volumename.clone()),
            ("firstindex", self.firstindex.to_string()),
            ("lastindex", self.lastindex.to_string()),
            ("startfile", self.startfile.to_string()),
            ("endfile", self.endfile.to_string()),
            ("startblock", self.startblock.to_string()),
            ("endblock", self.endblock.to_string()),
        ]
    }
}

/// Totals of one job name (`list jobtotals`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTotalRow {
    /// Job resource name (empty for the grand total).
    pub name: String,
    pub jobs: i64,
    pub files: i64,
    pub bytes: i64,
}

/// One `Log` row (`list joblog`). `logtext` keeps its trailing newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub logid: i64,
    pub jobid: u32,
    pub time: Option<String>,
    pub logtext: String,
}

/// One `Status` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub jobstatus: char,
    pub jobstatuslong: Option<String>,
    pub severity: Option<i64>,
}

/// Result of [`crate::Catalog::query_raw`]: every value as text (NULL → `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawResult {
    /// Column names as SQLite reports them (empty for non-SELECT statements).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// For statements that return no columns: rows inserted/updated/deleted.
    pub affected_rows: Option<u64>,
}

/// One file version of a job set: the newest version of a `(path, name)` among the jobs
/// ([`crate::Catalog::visit_files_of_jobs`]), or one of its versions
/// ([`crate::Catalog::file_versions`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileVersion {
    pub jobid: u32,
    /// Per-job sequence (> 0; deletion markers are never returned by the newest-version
    /// queries).
    pub fileindex: i64,
    /// Directory with trailing `/`.
    pub path: String,
    /// File name; empty for the directory entry itself.
    pub name: String,
    pub lstat: String,
    /// Digest (base64) or empty.
    pub md5: String,
    pub fileid: i64,
    pub pathid: i64,
    pub deltaseq: i64,
    /// `JobTDate` of the job the version belongs to.
    pub jobtdate: i64,
}

/// A file version with the job's start time and the volume holding it (`.bvfs_versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersionDetail {
    pub file: FileVersion,
    pub starttime: Option<String>,
    /// First volume (lowest `VolIndex`) whose `JobMedia` index range covers the file;
    /// `None` when the job has no matching `JobMedia` record.
    pub volumename: Option<String>,
    pub inchanger: i64,
}

/// One `JobMedia` record with what a bootstrap (`.bsr`) needs: the SD session of the
/// job and the volume's name, media type, slot and storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapMedia {
    pub jobmediaid: i64,
    pub jobid: u32,
    pub mediaid: i64,
    pub volumename: String,
    pub firstindex: i64,
    pub lastindex: i64,
    pub startfile: i64,
    pub endfile: i64,
    pub startblock: i64,
    pub endblock: i64,
    pub jobbytes: i64,
    pub volindex: i64,
    /// `Job.VolSessionId`.
    pub volsessionid: i64,
    /// `Job.VolSessionTime`.
    pub volsessiontime: i64,
    pub mediatype: String,
    pub slot: i64,
    /// Name of the volume's storage (`Media.StorageId`).
    pub storage: Option<String>,
}

impl BootstrapMedia {
    /// The plain `JobMedia` part of the record.
    pub fn jobmedia(&self) -> JobMediaRow {
        JobMediaRow {
            jobmediaid: self.jobmediaid,
            jobid: self.jobid,
            mediaid: self.mediaid,
            volumename: self.volumename.clone(),
            firstindex: self.firstindex,
            lastindex: self.lastindex,
            startfile: self.startfile,
            endfile: self.endfile,
            startblock: self.startblock,
            endblock: self.endblock,
            jobbytes: self.jobbytes,
            volindex: self.volindex,
        }
    }
}

/// One row of `list copies`: an original job and one copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    /// The original job (`PriorJobId` of the copy).
    pub jobid: u32,
    /// Unique job name of the copy.
    pub job: String,
    pub copyjobid: u32,
    /// Media type of (one of) the copy's volumes.
    pub mediatype: String,
}

impl CopyRow {
    /// `list copies` columns.
    pub fn list_fields(&self) -> Fields {
        vec![
            ("jobid", self.jobid.to_string()),
            ("job", self.job.clone()),
            ("copyjobid", self.copyjobid.to_string()),
            ("mediatype", self.mediatype.clone()),
        ]
    }
}
