//! `cairn-catalog`: Cairn's catalog database, the only crate in Cairn that speaks SQL.
//!
//! The catalog is a SQLite file (bundled SQLite via rusqlite) whose tables and column names
//! are those of Bareos's catalog, schema version [`SCHEMA_VERSION`] (2250). Timestamps are
//! stored as local-time text `YYYY-MM-DD HH:MM:SS`, `JobTDate` as Unix seconds.
//!
//! A [`Catalog`] owns one [`rusqlite::Connection`]; it is `Send` but not `Sync`: the
//! director keeps it on one thread and sends it requests. Reads take `&self`, writes take
//! `&mut self`. Every query is typed and returns the row structs of [`rows`]; only
//! [`Catalog::query_raw`] (the console's `.sql` command) takes SQL text from outside.
//!
//! Modules: [`schema`] (embedded migrations, version check), `bvfs` (the `.bvfs_*`
//! directory cache, listings and restore selections), `resources` (client, pool,
//! storage, fileset, media type sync at start/reload), `jobs` (job records and
//! [`JobFilter`] listing, level decisions, startup recovery, `list backups` / `list
//! copies`), `media` (volumes and job↔volume records), `volumes` (volume selection for
//! writing, automatic naming, counters and limits, `update volume`), `files` (batched
//! file records with a path cache), `restore` (restore / accurate job chains, newest
//! file versions, bootstrap sources), `log` (job log), `raw` (`.sql`), [`rows`] (result
//! structs), [`time`] (timestamp and duration helpers).
//!
//! ```
//! use cairn_catalog::{Catalog, ClientSync, JobEnd, JobFilter, NewJob};
//!
//! let mut cat = Catalog::open_in_memory()?;
//! let client = cat.sync_client(&ClientSync::new("bareos-fd"))?;
//! let jobid = cat.create_job(&NewJob {
//!     job: "backup-bareos-fd.2026-03-04_10.00.00_03".into(),
//!     name: "backup-bareos-fd".into(),
//!     clientid: client,
//!     schedtime: "2026-03-04 10:00:00".into(),
//!     starttime: Some("2026-03-04 10:00:01".into()),
//!     ..NewJob::default()
//! })?;
//! cat.update_job_end(&JobEnd {
//!     jobstatus: 'T',
//!     endtime: "2026-03-04 10:00:06".into(),
//!     jobfiles: 42,
//!     ..JobEnd::new(jobid)
//! })?;
//! let jobs = cat.list_jobs(&JobFilter { client: Some("bareos-fd".into()), ..Default::default() })?;
//! assert_eq!(jobs[0].duration.as_deref(), Some("00:00:05"));
//! assert_eq!(jobs[0].client.as_deref(), Some("bareos-fd"));
//! # Ok::<(), cairn_catalog::CatalogError>(())
//! ```

mod bvfs;
mod error;
mod files;
mod jobs;
mod log;
mod media;
mod raw;
mod resources;
mod restore;
pub mod rows;
pub mod schema;
pub mod time;
mod volumes;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use bvfs::{
    BvfsEntry, BvfsListQuery, BvfsSelection, BvfsUpdateReport, BvfsVersion, BvfsVersionsQuery,
    NameMatcher, is_bvfs_table_name,
};
pub use cairn_types::JobId;
pub use error::{CatalogError, Result};
pub use files::NewFile;
pub use jobs::{BackupFilter, JobEnd, JobFilter, JobStart, NewJob};
pub use media::{NewJobMedia, NewMedia, VolumeFilter};
pub use resources::{ClientSync, PoolSync};
pub use restore::{ChainOptions, compress_ranges};
pub use rows::{
    BootstrapMedia, ClientRow, CopyRow, Fields, FileSetRow, FileVersion, FileVersionDetail,
    JobMediaRow, JobRow, JobTotalRow, LogRow, MediaRow, PoolRow, RawResult, StatusRow, StorageRow,
};
pub use schema::SCHEMA_VERSION;
pub use time::{format_duration, now_string, unix_to_string};
pub use volumes::{
    MediaUpdate, UPDATABLE_VOLUME_STATUSES, VOLUME_STATUSES, VolumeChanges, apply_volume_limits,
    apply_volume_limits_at,
};

/// How long a statement waits for a lock held by another connection (e.g. a `.dump`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection (`prepare_cached`); the hot paths (file and
/// log batches, volume selection) each use a handful.
const STATEMENT_CACHE: usize = 64;

/// An open, migrated catalog database.
#[derive(Debug)]
pub struct Catalog {
    conn: Connection,
    /// `Path.Path` → `PathId` of paths this catalog has seen (see `files`).
    paths: files::PathCache,
}

impl Catalog {
    /// Opens (creating if needed) the catalog file at `path`, switches it to WAL journaling
    /// with `synchronous=NORMAL`, applies pending migrations and checks the schema version.
    pub fn open(path: &Path) -> Result<Catalog> {
        let open_err = |source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(open_err)?;
        Self::finish_open(conn).map_err(|e| match e {
            CatalogError::Sqlite(source) => open_err(source),
            other => other,
        })
    }

    /// Opens a private in-memory catalog (tests, `cairn up` dry runs).
    pub fn open_in_memory() -> Result<Catalog> {
        let conn = Connection::open_in_memory()?;
        Self::finish_open(conn)
    }

    fn finish_open(mut conn: Connection) -> Result<Catalog> {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Bareos's schema declares no foreign keys; deleting a job cascades in code.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        schema::migrate(&mut conn)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Catalog {
            conn,
            paths: files::PathCache::default(),
        })
    }

    /// `Version.VersionId` of the open database (always [`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT MAX(VersionId) FROM Version", [], |r| r.get(0))?)
    }

    /// Names of the migration files applied to this database, in order.
    pub fn applied_migrations(&self) -> Result<Vec<String>> {
        schema::applied_migrations(&self.conn)
    }

    /// The `Status` table (job status letters with long text and severity).
    pub fn list_status(&self) -> Result<Vec<StatusRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT JobStatus, JobStatusLong, Severity FROM Status ORDER BY JobStatus")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StatusRow {
                    jobstatus: letter(r.get::<_, Option<String>>(0)?),
                    jobstatuslong: r.get(1)?,
                    severity: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// First character of a one-letter column (`' '` for NULL / empty).
pub(crate) fn letter(v: Option<String>) -> char {
    v.and_then(|s| s.chars().next()).unwrap_or(' ')
}

/// Reads an integer column that Bareos declares `DEFAULT 0` (NULL → 0).
pub(crate) fn int(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<i64> {
    Ok(r.get::<_, Option<i64>>(idx)?.unwrap_or(0))
}

/// Reads a job id column.
pub(crate) fn jobid_col(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    let v = int(r, idx)?;
    u32::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v))
}

/// Converts an unsigned input to SQLite's i64.
pub(crate) fn to_i64(what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| CatalogError::InvalidValue(format!("{what} {v} out of range")))
}

/// Checks that a one-letter code is ASCII and returns it as text.
pub(crate) fn code(what: &str, c: char) -> Result<String> {
    if c.is_ascii() && (c.is_ascii_alphabetic() || c == ' ') {
        Ok(c.to_string())
    } else {
        Err(CatalogError::InvalidValue(format!("{what} code {c:?}")))
    }
}

/// Rejects empty resource names.
pub(crate) fn non_empty<'a>(what: &str, name: &'a str) -> Result<&'a str> {
    if name.is_empty() {
        Err(CatalogError::InvalidValue(format!("empty {what} name")))
    } else {
        Ok(name)
    }
}

/// A job id list as SQL text (`1,2,3`). Ids are integers, so formatting them into the
/// statement is safe, and it avoids SQLite's bound-parameter limit for long chains.
pub(crate) fn id_list(ids: &[u32]) -> String {
    let mut s = String::with_capacity(ids.len() * 6);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s
}
