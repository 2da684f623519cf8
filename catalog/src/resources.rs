//! Resource records mirrored from the configuration: Client, Pool, Storage, FileSet,
//! MediaType. The director syncs them at start and on reload (upsert by name).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::rows::{ClientRow, FileSetRow, PoolRow, StorageRow};
use crate::time::now_string;
use crate::{Catalog, int, non_empty, to_i64};

/// A Client resource as the catalog stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSync {
    pub name: String,
    /// FD version/OS string; `None` keeps what the catalog has (`""` for a new row).
    pub uname: Option<String>,
    pub auto_prune: bool,
    /// Seconds.
    pub file_retention: u64,
    /// Seconds.
    pub job_retention: u64,
}

impl ClientSync {
    /// A client with Bareos's defaults (AutoPrune no, 60 days files, 180 days jobs).
    pub fn new(name: impl Into<String>) -> Self {
        ClientSync {
            name: name.into(),
            uname: None,
            auto_prune: false,
            file_retention: 60 * 86_400,
            job_retention: 180 * 86_400,
        }
    }
}

/// A Pool resource as the catalog stores it: every `Pool` column except `PoolId` and
/// `NumVols` (counted from `Media`). Pool references are given by name and resolved to
/// ids when the referenced pool exists (else 0); [`Catalog::sync_pools`] syncs a whole
/// configuration so that forward references resolve too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSync {
    pub name: String,
    /// `Backup`, `Copy`, `Cloned`, `Archive`, `Migration` or `Scratch`.
    pub pool_type: String,
    pub max_vols: u32,
    pub use_once: bool,
    pub use_catalog: bool,
    pub accept_any_volume: bool,
    /// Seconds.
    pub vol_retention: u64,
    /// Seconds.
    pub vol_use_duration: u64,
    pub max_vol_jobs: u32,
    pub max_vol_files: u32,
    pub max_vol_bytes: u64,
    pub auto_prune: bool,
    pub recycle: bool,
    pub action_on_purge: u32,
    pub label_type: u32,
    /// Empty is stored as `*` (no automatic labelling), as Bareos does.
    pub label_format: String,
    pub enabled: bool,
    pub scratch_pool: Option<String>,
    pub recycle_pool: Option<String>,
    pub next_pool: Option<String>,
    pub min_block_size: u32,
    pub max_block_size: u32,
    pub migration_high_bytes: u64,
    pub migration_low_bytes: u64,
    /// Seconds.
    pub migration_time: u64,
}

impl PoolSync {
    /// A pool with Bareos's resource defaults.
    pub fn new(name: impl Into<String>) -> Self {
        PoolSync {
            name: name.into(),
            pool_type: "Backup".into(),
            max_vols: 0,
            use_once: false,
            use_catalog: true,
            accept_any_volume: false,
            vol_retention: 365 * 86_400,
            vol_use_duration: 0,
            max_vol_jobs: 0,
            max_vol_files: 0,
            max_vol_bytes: 0,
            auto_prune: true,
            recycle: true,
            action_on_purge: 0,
            label_type: 0,
            label_format: String::new(),
            enabled: true,
            scratch_pool: None,
            recycle_pool: None,
            next_pool: None,
            min_block_size: 0,
            max_block_size: 0,
            migration_high_bytes: 0,
            migration_low_bytes: 0,
            migration_time: 0,
        }
    }
}

const POOL_COLUMNS: &str = "PoolId, Name, NumVols, MaxVols, UseOnce, UseCatalog, AcceptAnyVolume, \
     VolRetention, VolUseDuration, MaxVolJobs, MaxVolFiles, MaxVolBytes, AutoPrune, Recycle, \
     ActionOnPurge, PoolType, LabelType, LabelFormat, Enabled, ScratchPoolId, RecyclePoolId, \
     NextPoolId, MinBlockSize, MaxBlockSize, MigrationHighBytes, MigrationLowBytes, MigrationTime";

fn pool_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PoolRow> {
    Ok(PoolRow {
        poolid: int(r, 0)?,
        name: r.get(1)?,
        numvols: int(r, 2)?,
        maxvols: int(r, 3)?,
        useonce: int(r, 4)?,
        usecatalog: int(r, 5)?,
        acceptanyvolume: int(r, 6)?,
        volretention: int(r, 7)?,
        voluseduration: int(r, 8)?,
        maxvoljobs: int(r, 9)?,
        maxvolfiles: int(r, 10)?,
        maxvolbytes: int(r, 11)?,
        autoprune: int(r, 12)?,
        recycle: int(r, 13)?,
        actiononpurge: int(r, 14)?,
        pooltype: r.get(15)?,
        labeltype: int(r, 16)?,
        labelformat: r.get::<_, Option<String>>(17)?.unwrap_or_default(),
        enabled: int(r, 18)?,
        scratchpoolid: int(r, 19)?,
        recyclepoolid: int(r, 20)?,
        nextpoolid: int(r, 21)?,
        minblocksize: int(r, 22)?,
        maxblocksize: int(r, 23)?,
        migrationhighbytes: int(r, 24)?,
        migrationlowbytes: int(r, 25)?,
        migrationtime: int(r, 26)?,
    })
}

fn client_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        clientid: int(r, 0)?,
        name: r.get(1)?,
        uname: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        autoprune: int(r, 3)?,
        fileretention: int(r, 4)?,
        jobretention: int(r, 5)?,
    })
}

fn fileset_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileSetRow> {
    Ok(FileSetRow {
        filesetid: int(r, 0)?,
        fileset: r.get(1)?,
        md5: r.get(2)?,
        createtime: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        filesettext: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
    })
}

/// Id of the (lowest-id) row named `name` in `table`; the table name is a constant.
fn id_by_name(conn: &Connection, sql: &str, name: &str) -> Result<Option<i64>> {
    Ok(conn.query_row(sql, [name], |r| r.get(0)).optional()?)
}

fn pool_id_in(conn: &Connection, name: &str) -> Result<Option<i64>> {
    id_by_name(
        conn,
        "SELECT PoolId FROM Pool WHERE Name = ?1 ORDER BY PoolId LIMIT 1",
        name,
    )
}

fn ref_id(conn: &Connection, name: &Option<String>) -> Result<i64> {
    match name.as_deref() {
        Some(n) if !n.is_empty() => Ok(pool_id_in(conn, n)?.unwrap_or(0)),
        _ => Ok(0),
    }
}

fn sync_pool_in(conn: &Connection, p: &PoolSync) -> Result<i64> {
    let name = non_empty("pool", &p.name)?;
    let label_format = if p.label_format.is_empty() {
        "*"
    } else {
        p.label_format.as_str()
    };
    let scratch = ref_id(conn, &p.scratch_pool)?;
    let recycle = ref_id(conn, &p.recycle_pool)?;
    let next = ref_id(conn, &p.next_pool)?;
    let vol_retention = to_i64("VolRetention", p.vol_retention)?;
    let vol_use_duration = to_i64("VolUseDuration", p.vol_use_duration)?;
    let max_vol_bytes = to_i64("MaxVolBytes", p.max_vol_bytes)?;
    let high = to_i64("MigrationHighBytes", p.migration_high_bytes)?;
    let low = to_i64("MigrationLowBytes", p.migration_low_bytes)?;
    let mig_time = to_i64("MigrationTime", p.migration_time)?;
    let existing = pool_id_in(conn, name)?;
    let values = params![
        name,
        p.max_vols,
        p.use_once,
        p.use_catalog,
        p.accept_any_volume,
        vol_retention,
        vol_use_duration,
        p.max_vol_jobs,
        p.max_vol_files,
        max_vol_bytes,
        p.auto_prune,
        p.recycle,
        p.action_on_purge,
        p.pool_type,
        p.label_type,
        label_format,
        p.enabled,
        scratch,
        recycle,
        next,
        p.min_block_size,
        p.max_block_size,
        high,
        low,
        mig_time,
    ];
    let id = match existing {
        Some(id) => {
            conn.execute(
                "UPDATE Pool SET Name = ?1, MaxVols = ?2, UseOnce = ?3, UseCatalog = ?4,
                   AcceptAnyVolume = ?5, VolRetention = ?6, VolUseDuration = ?7,
                   MaxVolJobs = ?8, MaxVolFiles = ?9, MaxVolBytes = ?10, AutoPrune = ?11,
                   Recycle = ?12, ActionOnPurge = ?13, PoolType = ?14, LabelType = ?15,
                   LabelFormat = ?16, Enabled = ?17, ScratchPoolId = ?18, RecyclePoolId = ?19,
                   NextPoolId = ?20, MinBlockSize = ?21, MaxBlockSize = ?22,
                   MigrationHighBytes = ?23, MigrationLowBytes = ?24, MigrationTime = ?25
                 WHERE PoolId = ?26",
                rusqlite::params_from_iter(
                    values.iter().copied().chain([&id as &dyn rusqlite::ToSql]),
                ),
            )?;
            id
        }
        None => {
            conn.execute(
                "INSERT INTO Pool (Name, MaxVols, UseOnce, UseCatalog, AcceptAnyVolume,
                   VolRetention, VolUseDuration, MaxVolJobs, MaxVolFiles, MaxVolBytes, AutoPrune,
                   Recycle, ActionOnPurge, PoolType, LabelType, LabelFormat, Enabled,
                   ScratchPoolId, RecyclePoolId, NextPoolId, MinBlockSize, MaxBlockSize,
                   MigrationHighBytes, MigrationLowBytes, MigrationTime)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                   ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
                values,
            )?;
            conn.last_insert_rowid()
        }
    };
    conn.execute(
        "UPDATE Pool SET NumVols = (SELECT COUNT(*) FROM Media WHERE Media.PoolId = ?1)
         WHERE PoolId = ?1",
        [id],
    )?;
    Ok(id)
}

impl Catalog {
    /// Inserts or updates the client named `c.name`; returns its `ClientId`.
    pub fn sync_client(&mut self, c: &ClientSync) -> Result<i64> {
        let name = non_empty("client", &c.name)?;
        let file_retention = to_i64("FileRetention", c.file_retention)?;
        let job_retention = to_i64("JobRetention", c.job_retention)?;
        let id = self.conn.query_row(
            "INSERT INTO Client (Name, UName, AutoPrune, FileRetention, JobRetention)
             VALUES (?1, COALESCE(?2, ''), ?3, ?4, ?5)
             ON CONFLICT (Name) DO UPDATE SET
               UName = COALESCE(?2, UName), AutoPrune = excluded.AutoPrune,
               FileRetention = excluded.FileRetention, JobRetention = excluded.JobRetention
             RETURNING ClientId",
            params![name, c.uname, c.auto_prune, file_retention, job_retention,],
            |r| r.get(0),
        )?;
        Ok(id)
    }

    /// Records the FD's version/OS string for a client (created if missing).
    pub fn update_client_uname(&mut self, name: &str, uname: &str) -> Result<i64> {
        let name = non_empty("client", name)?;
        Ok(self.conn.query_row(
            "INSERT INTO Client (Name, UName) VALUES (?1, ?2)
             ON CONFLICT (Name) DO UPDATE SET UName = excluded.UName
             RETURNING ClientId",
            params![name, uname],
            |r| r.get(0),
        )?)
    }

    /// Inserts or updates the pool named `p.name`; returns its `PoolId`.
    pub fn sync_pool(&mut self, p: &PoolSync) -> Result<i64> {
        sync_pool_in(&self.conn, p)
    }

    /// Syncs every pool of a configuration in one transaction, resolving scratch /
    /// recycle / next pool references between them; returns the ids in input order.
    pub fn sync_pools(&mut self, pools: &[PoolSync]) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        for p in pools {
            sync_pool_in(&tx, p)?;
        }
        let ids = pools
            .iter()
            .map(|p| sync_pool_in(&tx, p))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(ids)
    }

    /// Inserts or updates the storage named `name`; returns its `StorageId`.
    pub fn sync_storage(&mut self, name: &str, auto_changer: bool) -> Result<i64> {
        let name = non_empty("storage", name)?;
        match self.storage_id(name)? {
            Some(id) => {
                self.conn.execute(
                    "UPDATE Storage SET AutoChanger = ?1 WHERE StorageId = ?2",
                    params![auto_changer, id],
                )?;
                Ok(id)
            }
            None => {
                self.conn.execute(
                    "INSERT INTO Storage (Name, AutoChanger) VALUES (?1, ?2)",
                    params![name, auto_changer],
                )?;
                Ok(self.conn.last_insert_rowid())
            }
        }
    }

    /// Ensures a `MediaType` row exists; returns its `MediaTypeId`.
    pub fn sync_media_type(&mut self, name: &str) -> Result<i64> {
        let name = non_empty("media type", name)?;
        if let Some(id) = id_by_name(
            &self.conn,
            "SELECT MediaTypeId FROM MediaType WHERE MediaType = ?1 ORDER BY MediaTypeId LIMIT 1",
            name,
        )? {
            return Ok(id);
        }
        self.conn
            .execute("INSERT INTO MediaType (MediaType) VALUES (?1)", [name])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Returns the id of the newest FileSet row named `name` if its MD5 equals `md5`,
    /// otherwise inserts a new row (CreateTime = now), as Bareos does when a fileset
    /// definition changes.
    pub fn sync_fileset(&mut self, name: &str, fileset_text: &str, md5: &str) -> Result<i64> {
        let name = non_empty("fileset", name)?;
        let newest: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT FileSetId, Md5 FROM FileSet WHERE FileSet = ?1
                 ORDER BY FileSetId DESC LIMIT 1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, _)) = newest.filter(|(_, old_md5)| old_md5 == md5) {
            return Ok(id);
        }
        self.conn.execute(
            "INSERT INTO FileSet (FileSet, FileSetText, Md5, CreateTime) VALUES (?1, ?2, ?3, ?4)",
            params![name, fileset_text, md5, now_string()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// `ClientId` of the client named `name`.
    pub fn client_id(&self, name: &str) -> Result<Option<i64>> {
        id_by_name(
            &self.conn,
            "SELECT ClientId FROM Client WHERE Name = ?1",
            name,
        )
    }

    /// `PoolId` of the pool named `name`.
    pub fn pool_id(&self, name: &str) -> Result<Option<i64>> {
        pool_id_in(&self.conn, name)
    }

    /// `StorageId` of the storage named `name`.
    pub fn storage_id(&self, name: &str) -> Result<Option<i64>> {
        id_by_name(
            &self.conn,
            "SELECT StorageId FROM Storage WHERE Name = ?1 ORDER BY StorageId LIMIT 1",
            name,
        )
    }

    /// `FileSetId` of the newest FileSet row named `name`.
    pub fn fileset_id(&self, name: &str) -> Result<Option<i64>> {
        id_by_name(
            &self.conn,
            "SELECT FileSetId FROM FileSet WHERE FileSet = ?1 ORDER BY FileSetId DESC LIMIT 1",
            name,
        )
    }

    /// The client named `name`.
    pub fn get_client(&self, name: &str) -> Result<Option<ClientRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT ClientId, Name, UName, AutoPrune, FileRetention, JobRetention
                 FROM Client WHERE Name = ?1",
                [name],
                client_row,
            )
            .optional()?)
    }

    /// All clients, by `ClientId`.
    pub fn list_clients(&self) -> Result<Vec<ClientRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT ClientId, Name, UName, AutoPrune, FileRetention, JobRetention
             FROM Client ORDER BY ClientId",
        )?;
        let rows = stmt
            .query_map([], client_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The pool named `name`.
    pub fn get_pool(&self, name: &str) -> Result<Option<PoolRow>> {
        let sql =
            format!("SELECT {POOL_COLUMNS} FROM Pool WHERE Name = ?1 ORDER BY PoolId LIMIT 1");
        Ok(self.conn.query_row(&sql, [name], pool_row).optional()?)
    }

    /// All pools, by `PoolId`.
    pub fn list_pools(&self) -> Result<Vec<PoolRow>> {
        let sql = format!("SELECT {POOL_COLUMNS} FROM Pool ORDER BY PoolId");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], pool_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// All FileSet rows (every version), by `FileSetId`.
    pub fn list_filesets(&self) -> Result<Vec<FileSetRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT FileSetId, FileSet, Md5, CreateTime, FileSetText FROM FileSet
             ORDER BY FileSetId",
        )?;
        let rows = stmt
            .query_map([], fileset_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// `FileSet.Md5` of one FileSet row: the director compares it with the MD5 of the
    /// configured FileSet to upgrade to Full when the definition changed (Bareos:
    /// `FileSet changed` → Full unless IgnoreFileSetChanges).
    pub fn fileset_md5_of(&self, filesetid: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT Md5 FROM FileSet WHERE FileSetId = ?1",
                [filesetid],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// One FileSet row by id.
    pub fn get_fileset(&self, filesetid: i64) -> Result<Option<FileSetRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT FileSetId, FileSet, Md5, CreateTime, FileSetText FROM FileSet
                 WHERE FileSetId = ?1",
                [filesetid],
                fileset_row,
            )
            .optional()?)
    }

    /// The newest FileSet row (highest `FileSetId`) named `name` — the current version
    /// of a FileSet resource in the catalog.
    pub fn newest_fileset(&self, name: &str) -> Result<Option<FileSetRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT FileSetId, FileSet, Md5, CreateTime, FileSetText FROM FileSet
                 WHERE FileSet = ?1 ORDER BY FileSetId DESC LIMIT 1",
                [name],
                fileset_row,
            )
            .optional()?)
    }

    /// All storages, by `StorageId`.
    pub fn list_storages(&self) -> Result<Vec<StorageRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT StorageId, Name, AutoChanger FROM Storage ORDER BY StorageId")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StorageRow {
                    storageid: int(r, 0)?,
                    name: r.get(1)?,
                    autochanger: int(r, 2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_sync_upserts() {
        let mut cat = Catalog::open_in_memory().expect("open");
        let a = cat.sync_client(&ClientSync::new("fd1")).expect("sync");
        let mut c = ClientSync::new("fd1");
        c.auto_prune = true;
        c.job_retention = 7;
        let b = cat.sync_client(&c).expect("resync");
        assert_eq!(a, b);
        let clients = cat.list_clients().expect("list");
        assert_eq!(clients.len(), 1);
        assert_eq!(clients[0].autoprune, 1);
        assert_eq!(clients[0].jobretention, 7);
        assert_eq!(clients[0].uname, "");
        cat.update_client_uname("fd1", "25.1.1 (04Mar26) Linux")
            .expect("uname");
        cat.sync_client(&c).expect("resync keeps uname");
        assert_eq!(
            cat.get_client("fd1")
                .expect("get")
                .map(|c| c.uname)
                .as_deref(),
            Some("25.1.1 (04Mar26) Linux")
        );
        assert!(cat.sync_client(&ClientSync::new("")).is_err());
    }

    #[test]
    fn pools_resolve_forward_references() {
        let mut cat = Catalog::open_in_memory().expect("open");
        let mut full = PoolSync::new("Full");
        full.label_format = "Full-".into();
        full.next_pool = Some("Copy".into());
        let mut copy = PoolSync::new("Copy");
        copy.pool_type = "Copy".into();
        let ids = cat.sync_pools(&[full.clone(), copy]).expect("sync");
        let pools = cat.list_pools().expect("list");
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[0].nextpoolid, ids[1]);
        assert_eq!(pools[0].labelformat, "Full-");
        assert_eq!(pools[1].labelformat, "*");
        full.max_vols = 100;
        assert_eq!(cat.sync_pool(&full).expect("resync"), ids[0]);
        assert_eq!(
            cat.get_pool("Full").expect("get").map(|p| p.maxvols),
            Some(100)
        );
        assert_eq!(cat.list_pools().expect("list").len(), 2);
        let mut bad = PoolSync::new("Bad");
        bad.pool_type = "Nonsense".into();
        assert!(cat.sync_pool(&bad).is_err(), "CHECK constraint on PoolType");
    }

    #[test]
    fn storage_media_type_and_fileset_sync() {
        let mut cat = Catalog::open_in_memory().expect("open");
        let s = cat.sync_storage("File", false).expect("sync");
        assert_eq!(cat.sync_storage("File", true).expect("resync"), s);
        let st = cat.list_storages().expect("list");
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].autochanger, 1);

        let m = cat.sync_media_type("File").expect("mt");
        assert_eq!(cat.sync_media_type("File").expect("mt again"), m);

        let f1 = cat
            .sync_fileset("LinuxAll", "FileSet { ... }", "aaa")
            .expect("fs");
        assert_eq!(
            cat.sync_fileset("LinuxAll", "FileSet { ... }", "aaa")
                .expect("same"),
            f1
        );
        let f2 = cat
            .sync_fileset("LinuxAll", "FileSet { changed }", "bbb")
            .expect("changed");
        assert_ne!(f1, f2);
        assert_eq!(cat.fileset_id("LinuxAll").expect("id"), Some(f2));
        assert_eq!(cat.fileset_id("Nope").expect("id"), None);
        let rows = cat.list_filesets().expect("list");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].md5, "bbb");
        assert_eq!(rows[1].createtime.len(), 19);
    }
}
