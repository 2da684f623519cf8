//! Volumes (`Media`) and the job↔volume records (`JobMedia`).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::error::{CatalogError, Result};
use crate::rows::{JobMediaRow, MediaRow, PoolRow};
use crate::time::check_opt_time;
use crate::{Catalog, JobId, int, jobid_col, non_empty};

/// A new volume record. Use [`NewMedia::from_pool`] to inherit the pool's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedia {
    pub volumename: String,
    pub poolid: i64,
    pub mediatype: String,
    pub mediatypeid: i64,
    pub storageid: i64,
    pub deviceid: i64,
    /// One of the `VolStatus` words (`Append`, `Full`, `Used`, `Purged`, ...).
    pub volstatus: String,
    pub slot: i64,
    pub inchanger: bool,
    pub enabled: i64,
    pub recycle: bool,
    pub actiononpurge: i64,
    pub volretention: i64,
    pub voluseduration: i64,
    pub maxvoljobs: i64,
    pub maxvolfiles: i64,
    pub maxvolbytes: i64,
    pub volcapacitybytes: i64,
    pub labeltype: i64,
    /// `YYYY-MM-DD HH:MM:SS` when the volume was labelled.
    pub labeldate: Option<String>,
    pub minblocksize: i64,
    pub maxblocksize: i64,
    pub scratchpoolid: i64,
    pub recyclepoolid: i64,
    pub comment: Option<String>,
}

impl Default for NewMedia {
    fn default() -> Self {
        NewMedia {
            volumename: String::new(),
            poolid: 0,
            mediatype: String::new(),
            mediatypeid: 0,
            storageid: 0,
            deviceid: 0,
            volstatus: "Append".into(),
            slot: 0,
            inchanger: false,
            enabled: 1,
            recycle: false,
            actiononpurge: 0,
            volretention: 0,
            voluseduration: 0,
            maxvoljobs: 0,
            maxvolfiles: 0,
            maxvolbytes: 0,
            volcapacitybytes: 0,
            labeltype: 0,
            labeldate: None,
            minblocksize: 0,
            maxblocksize: 0,
            scratchpoolid: 0,
            recyclepoolid: 0,
            comment: None,
        }
    }
}

impl NewMedia {
    /// A volume in `pool` carrying the pool's retention, limits, recycling settings and
    /// block sizes (as Bareos copies them when it creates a volume).
    pub fn from_pool(
        volumename: impl Into<String>,
        pool: &PoolRow,
        mediatype: impl Into<String>,
    ) -> Self {
        NewMedia {
            volumename: volumename.into(),
            poolid: pool.poolid,
            mediatype: mediatype.into(),
            recycle: pool.recycle != 0,
            actiononpurge: pool.actiononpurge,
            volretention: pool.volretention,
            voluseduration: pool.voluseduration,
            maxvoljobs: pool.maxvoljobs,
            maxvolfiles: pool.maxvolfiles,
            maxvolbytes: pool.maxvolbytes,
            labeltype: pool.labeltype,
            minblocksize: pool.minblocksize,
            maxblocksize: pool.maxblocksize,
            scratchpoolid: pool.scratchpoolid,
            recyclepoolid: pool.recyclepoolid,
            ..NewMedia::default()
        }
    }
}

/// Selection for [`Catalog::list_volumes`]; all given criteria must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeFilter {
    /// Pool name.
    pub pool: Option<String>,
    pub volume: Option<String>,
    pub mediaid: Option<u32>,
    /// Volumes this job wrote to.
    pub jobid: Option<u32>,
}

/// A new `JobMedia` record (one per job and volume span).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewJobMedia {
    pub jobid: u32,
    pub mediaid: i64,
    pub firstindex: i64,
    pub lastindex: i64,
    pub startfile: i64,
    pub endfile: i64,
    pub startblock: i64,
    pub endblock: i64,
    pub jobbytes: i64,
    pub volindex: i64,
}

pub(crate) const MEDIA_SELECT: &str = "SELECT Media.MediaId, Media.VolumeName, Media.Slot, Media.PoolId, \
     Pool.Name, Media.MediaType, Media.MediaTypeId, Media.LabelType, Media.FirstWritten, \
     Media.LastWritten, Media.LabelDate, Media.VolJobs, Media.VolFiles, Media.VolBlocks, \
     Media.VolMounts, Media.VolBytes, Media.VolErrors, Media.VolWrites, Media.VolCapacityBytes, \
     Media.VolStatus, Media.Enabled, Media.Recycle, Media.ActionOnPurge, Media.VolRetention, \
     Media.VolUseDuration, Media.MaxVolJobs, Media.MaxVolFiles, Media.MaxVolBytes, \
     Media.InChanger, Media.StorageId, Storage.Name, Media.DeviceId, Media.MediaAddressing, \
     Media.VolReadTime, Media.VolWriteTime, Media.EndFile, Media.EndBlock, Media.LocationId, \
     Media.RecycleCount, Media.MinBlockSize, Media.MaxBlockSize, Media.InitialWrite, \
     Media.ScratchPoolId, ScratchPool.Name, Media.RecyclePoolId, RecyclePool.Name, \
     Media.EncryptionKey, Media.Comment \
     FROM Media \
     LEFT JOIN Pool ON Pool.PoolId = Media.PoolId \
     LEFT JOIN Pool AS ScratchPool ON ScratchPool.PoolId = Media.ScratchPoolId \
     LEFT JOIN Pool AS RecyclePool ON RecyclePool.PoolId = Media.RecyclePoolId \
     LEFT JOIN Storage ON Storage.StorageId = Media.StorageId";

pub(crate) fn media_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MediaRow> {
    Ok(MediaRow {
        mediaid: int(r, 0)?,
        volumename: r.get(1)?,
        slot: int(r, 2)?,
        poolid: int(r, 3)?,
        pool: r.get(4)?,
        mediatype: r.get(5)?,
        mediatypeid: int(r, 6)?,
        labeltype: int(r, 7)?,
        firstwritten: r.get(8)?,
        lastwritten: r.get(9)?,
        labeldate: r.get(10)?,
        voljobs: int(r, 11)?,
        volfiles: int(r, 12)?,
        volblocks: int(r, 13)?,
        volmounts: int(r, 14)?,
        volbytes: int(r, 15)?,
        volerrors: int(r, 16)?,
        volwrites: int(r, 17)?,
        volcapacitybytes: int(r, 18)?,
        volstatus: r.get(19)?,
        enabled: int(r, 20)?,
        recycle: int(r, 21)?,
        actiononpurge: int(r, 22)?,
        volretention: int(r, 23)?,
        voluseduration: int(r, 24)?,
        maxvoljobs: int(r, 25)?,
        maxvolfiles: int(r, 26)?,
        maxvolbytes: int(r, 27)?,
        inchanger: int(r, 28)?,
        storageid: int(r, 29)?,
        storage: r.get(30)?,
        deviceid: int(r, 31)?,
        mediaaddressing: int(r, 32)?,
        volreadtime: int(r, 33)?,
        volwritetime: int(r, 34)?,
        endfile: int(r, 35)?,
        endblock: int(r, 36)?,
        locationid: int(r, 37)?,
        recyclecount: int(r, 38)?,
        minblocksize: int(r, 39)?,
        maxblocksize: int(r, 40)?,
        initialwrite: r.get(41)?,
        scratchpoolid: int(r, 42)?,
        scratchpool: r.get(43)?,
        recyclepoolid: int(r, 44)?,
        recyclepool: r.get(45)?,
        encryptionkey: r.get(46)?,
        comment: r.get(47)?,
    })
}

impl Catalog {
    /// Inserts a volume record and bumps its pool's `NumVols`; returns the `MediaId`.
    /// Fails if the volume name exists (unique) or the status word is not a VolStatus.
    pub fn create_media(&mut self, m: &NewMedia) -> Result<i64> {
        let name = non_empty("volume", &m.volumename)?;
        let labeldate = check_opt_time(m.labeldate.as_deref())?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO Media (VolumeName, PoolId, MediaType, MediaTypeId, StorageId, DeviceId,
               VolStatus, Slot, InChanger, Enabled, Recycle, ActionOnPurge, VolRetention,
               VolUseDuration, MaxVolJobs, MaxVolFiles, MaxVolBytes, VolCapacityBytes, LabelType,
               LabelDate, MinBlockSize, MaxBlockSize, ScratchPoolId, RecyclePoolId, Comment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
               ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            params![
                name,
                m.poolid,
                m.mediatype,
                m.mediatypeid,
                m.storageid,
                m.deviceid,
                m.volstatus,
                m.slot,
                m.inchanger,
                m.enabled,
                m.recycle,
                m.actiononpurge,
                m.volretention,
                m.voluseduration,
                m.maxvoljobs,
                m.maxvolfiles,
                m.maxvolbytes,
                m.volcapacitybytes,
                m.labeltype,
                labeldate,
                m.minblocksize,
                m.maxblocksize,
                m.scratchpoolid,
                m.recyclepoolid,
                m.comment,
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE Pool SET NumVols = (SELECT COUNT(*) FROM Media WHERE Media.PoolId = ?1)
             WHERE PoolId = ?1",
            [m.poolid],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Sets a volume's `VolStatus` (checked against the allowed words by the schema).
    pub fn set_volume_status(&mut self, volumename: &str, status: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE Media SET VolStatus = ?1 WHERE VolumeName = ?2",
            params![status, volumename],
        )?;
        if n == 0 {
            return Err(CatalogError::NotFound {
                what: "Volume",
                key: volumename.to_string(),
            });
        }
        Ok(())
    }

    /// One volume by name.
    pub fn get_media(&self, volumename: &str) -> Result<Option<MediaRow>> {
        let sql = format!("{MEDIA_SELECT} WHERE Media.VolumeName = ?1");
        Ok(self
            .conn
            .query_row(&sql, [volumename], media_row)
            .optional()?)
    }

    /// Volumes matching `filter`, by `MediaId`.
    pub fn list_volumes(&self, filter: &VolumeFilter) -> Result<Vec<MediaRow>> {
        let mut sql = format!("{MEDIA_SELECT} WHERE 1 = 1");
        let mut p: Vec<Value> = Vec::new();
        if let Some(pool) = &filter.pool {
            sql.push_str(" AND Pool.Name = ?");
            p.push(Value::Text(pool.clone()));
        }
        if let Some(volume) = &filter.volume {
            sql.push_str(" AND Media.VolumeName = ?");
            p.push(Value::Text(volume.clone()));
        }
        if let Some(id) = filter.mediaid {
            sql.push_str(" AND Media.MediaId = ?");
            p.push(Value::Integer(i64::from(id)));
        }
        if let Some(jobid) = filter.jobid {
            sql.push_str(
                " AND Media.MediaId IN (SELECT MediaId FROM JobMedia WHERE JobMedia.JobId = ?)",
            );
            p.push(Value::Integer(i64::from(jobid)));
        }
        sql.push_str(" ORDER BY Media.MediaId");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(p), media_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Inserts a `JobMedia` record; returns its id.
    pub fn create_jobmedia(&mut self, jm: &NewJobMedia) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO JobMedia (JobId, MediaId, FirstIndex, LastIndex, StartFile, EndFile,
               StartBlock, EndBlock, JobBytes, VolIndex)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                jm.jobid,
                jm.mediaid,
                jm.firstindex,
                jm.lastindex,
                jm.startfile,
                jm.endfile,
                jm.startblock,
                jm.endblock,
                jm.jobbytes,
                jm.volindex,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The `JobMedia` records of a job with volume names, by `JobMediaId`.
    pub fn list_jobmedia(&self, jobid: JobId) -> Result<Vec<JobMediaRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT JobMedia.JobMediaId, JobMedia.JobId, JobMedia.MediaId, Media.VolumeName,
               JobMedia.FirstIndex, JobMedia.LastIndex, JobMedia.StartFile, JobMedia.EndFile,
               JobMedia.StartBlock, JobMedia.EndBlock, JobMedia.JobBytes, JobMedia.VolIndex
             FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId
             WHERE JobMedia.JobId = ?1 ORDER BY JobMedia.JobMediaId",
        )?;
        let rows = stmt
            .query_map([jobid.0], |r| {
                Ok(JobMediaRow {
                    jobmediaid: int(r, 0)?,
                    jobid: jobid_col(r, 1)?,
                    mediaid: int(r, 2)?,
                    volumename: r.get(3)?,
                    firstindex: int(r, 4)?,
                    lastindex: int(r, 5)?,
                    startfile: int(r, 6)?,
                    endfile: int(r, 7)?,
                    startblock: int(r, 8)?,
                    endblock: int(r, 9)?,
                    jobbytes: int(r, 10)?,
                    volindex: int(r, 11)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
