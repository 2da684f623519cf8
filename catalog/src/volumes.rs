//! Volumes for writing: finding an appendable volume (Bareos `FindNextVolume` with
//! status `Append`), automatic names from a pool's LabelFormat and new volume records
//! (`newVolume` / `CreateSimpleName`), counters reported by the SD with the Full/Used
//! limit rules (`HasVolumeExpired`), and `update volume`. Recycling and pruning are not
//! handled here.

use chrono::{Local, NaiveDateTime};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::error::{CatalogError, Result};
use crate::media::{MEDIA_SELECT, NewMedia, media_row};
use crate::rows::{MediaRow, PoolRow};
use crate::time::{check_opt_time, parse_time};
use crate::{Catalog, non_empty};

/// Every `VolStatus` word the catalog accepts.
pub const VOLUME_STATUSES: [&str; 13] = [
    "Unlabeled",
    "Full",
    "Archive",
    "Append",
    "Recycle",
    "Purged",
    "Read-Only",
    "Disabled",
    "Error",
    "Busy",
    "Used",
    "Cleaning",
    "Scratch",
];

/// The `VolStatus` words `update volume volstatus=` accepts (Bareos's list).
pub const UPDATABLE_VOLUME_STATUSES: [&str; 9] = [
    "Append",
    "Archive",
    "Disabled",
    "Full",
    "Used",
    "Cleaning",
    "Recycle",
    "Read-Only",
    "Error",
];

/// How many names [`Catalog::label_name`] tries before giving up (Bareos: 99).
const NAME_TRIES: i64 = 99;

/// What the director writes back after the SD reports on a volume (Bareos
/// `UpdateMediaRecord`). Start from [`MediaUpdate::from_row`] and change what the SD
/// reported. Optional timestamps: `None` leaves the column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaUpdate {
    pub mediaid: i64,
    pub voljobs: i64,
    pub volfiles: i64,
    pub volblocks: i64,
    pub volbytes: i64,
    pub volmounts: i64,
    pub volerrors: i64,
    pub volwrites: i64,
    pub volcapacitybytes: i64,
    pub endfile: i64,
    pub endblock: i64,
    pub volreadtime: i64,
    pub volwritetime: i64,
    /// One of [`VOLUME_STATUSES`].
    pub volstatus: String,
    /// `YYYY-MM-DD HH:MM:SS`; set on the first write.
    pub firstwritten: Option<String>,
    pub lastwritten: Option<String>,
    /// Set when the SD (re)labels the volume.
    pub labeldate: Option<String>,
}

impl MediaUpdate {
    /// The current values of a volume, to be modified and written back.
    pub fn from_row(m: &MediaRow) -> Self {
        MediaUpdate {
            mediaid: m.mediaid,
            voljobs: m.voljobs,
            volfiles: m.volfiles,
            volblocks: m.volblocks,
            volbytes: m.volbytes,
            volmounts: m.volmounts,
            volerrors: m.volerrors,
            volwrites: m.volwrites,
            volcapacitybytes: m.volcapacitybytes,
            endfile: m.endfile,
            endblock: m.endblock,
            volreadtime: m.volreadtime,
            volwritetime: m.volwritetime,
            volstatus: m.volstatus.clone(),
            firstwritten: m.firstwritten.clone(),
            lastwritten: m.lastwritten.clone(),
            labeldate: m.labeldate.clone(),
        }
    }
}

/// Changes made by `update volume=X ...`; `None` leaves a column alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeChanges {
    /// One of [`UPDATABLE_VOLUME_STATUSES`].
    pub volstatus: Option<String>,
    /// Seconds.
    pub volretention: Option<i64>,
    /// Seconds.
    pub voluseduration: Option<i64>,
    pub maxvoljobs: Option<i64>,
    pub maxvolfiles: Option<i64>,
    pub maxvolbytes: Option<i64>,
    pub recycle: Option<bool>,
    /// 0 = disabled, 1 = enabled, 2 = archived.
    pub enabled: Option<i64>,
    pub inchanger: Option<bool>,
    pub slot: Option<i64>,
    /// Move the volume to this pool (both pools' `NumVols` are recounted).
    pub pool_id: Option<i64>,
    /// 0 clears the recycle pool.
    pub recyclepool_id: Option<i64>,
    pub actiononpurge: Option<i64>,
}

/// The status a volume must change to because a limit is reached, at `now` — Bareos
/// `HasVolumeExpired`: only for a used (`VolJobs > 0`) `Append` volume; MaxVolBytes
/// reached → `Full`; else MaxVolJobs, MaxVolFiles reached or VolUseDuration elapsed
/// since FirstWritten → `Used`. A limit of 0 means unlimited.
pub fn apply_volume_limits_at(m: &MediaRow, now: NaiveDateTime) -> Option<&'static str> {
    if m.volstatus != "Append" || m.voljobs <= 0 {
        return None;
    }
    if m.maxvolbytes > 0 && m.volbytes >= m.maxvolbytes {
        return Some("Full");
    }
    if m.maxvoljobs > 0 && m.voljobs >= m.maxvoljobs {
        return Some("Used");
    }
    if m.maxvolfiles > 0 && m.volfiles >= m.maxvolfiles {
        return Some("Used");
    }
    if m.voluseduration > 0 {
        let first = m.firstwritten.as_deref().and_then(parse_time)?;
        if (now - first).num_seconds() >= m.voluseduration {
            return Some("Used");
        }
    }
    None
}

/// [`apply_volume_limits_at`] now.
pub fn apply_volume_limits(m: &MediaRow) -> Option<&'static str> {
    apply_volume_limits_at(m, Local::now().naive_local())
}

/// The fixed part of a LabelFormat: Bareos expands `$Year`, `${Pool}`, counters ... in
/// formats with variables (deprecated); Cairn drops the variable references and uses
/// the rest as a plain prefix (`Full-${Year}-` → `Full--`).
fn label_prefix(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            for c in chars.by_ref() {
                if c == '}' {
                    break;
                }
            }
        } else {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                chars.next();
            }
        }
    }
    out
}

fn check_status(status: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(CatalogError::InvalidValue(format!(
            "volume status {status:?} (expected one of {})",
            allowed.join(", ")
        )))
    }
}

fn non_negative(what: &str, v: Option<i64>) -> Result<Option<i64>> {
    match v {
        Some(n) if n < 0 => Err(CatalogError::InvalidValue(format!(
            "{what} {n} is negative"
        ))),
        other => Ok(other),
    }
}

impl Catalog {
    /// One volume by `MediaId`.
    pub fn get_media_by_id(&self, mediaid: i64) -> Result<Option<MediaRow>> {
        let sql = format!("{MEDIA_SELECT} WHERE Media.MediaId = ?1");
        Ok(self.conn.query_row(&sql, [mediaid], media_row).optional()?)
    }

    /// A volume to append to (Bareos `FindNextVolume` for status `Append`): in the pool,
    /// of the media type, enabled, `VolStatus = 'Append'`, not named in `unwanted`; the
    /// most recently written first (never-written volumes last), then the lowest
    /// MediaId — so the volume in use keeps being filled.
    pub fn find_appendable_volume(
        &self,
        pool_id: i64,
        media_type: &str,
        unwanted: &[String],
    ) -> Result<Option<MediaRow>> {
        let sql = format!(
            "{MEDIA_SELECT} WHERE Media.PoolId = ?1 AND Media.MediaType = ?2
               AND Media.Enabled = 1 AND Media.VolStatus = 'Append'
             ORDER BY Media.LastWritten IS NULL, Media.LastWritten DESC, Media.MediaId"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![pool_id, media_type])?;
        while let Some(r) = rows.next()? {
            let m = media_row(r)?;
            if !unwanted.contains(&m.volumename) {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    /// The number Bareos appends to a LabelFormat prefix: the highest `MediaId` in the
    /// catalog plus one (1 for an empty catalog).
    pub fn next_volume_number(&self) -> Result<i64> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT MAX(MediaId) FROM Media", [], |r| r.get(0))?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// A fresh volume name from a pool's LabelFormat (Bareos `CreateSimpleName`): the
    /// prefix followed by [`Catalog::next_volume_number`] zero-padded to 4 digits
    /// (`Full-` → `Full-0001`), trying the following numbers while the name exists (up
    /// to 99 tries). As in Bareos the counter is catalog-wide, so pools share it
    /// (`Full-0001`, then `Incremental-0002`). `None` when the format is empty or `*`
    /// (no automatic labelling) or every try exists. Variables (`$Year`, `${Pool}`, ...)
    /// are not expanded: they are removed and the rest is used as the prefix.
    pub fn label_name(&self, label_format: &str) -> Result<Option<String>> {
        let format = label_format.trim();
        if format.is_empty() || format == "*" {
            return Ok(None);
        }
        let prefix = label_prefix(format);
        let start = self.next_volume_number()?;
        let mut exists = self
            .conn
            .prepare_cached("SELECT 1 FROM Media WHERE VolumeName = ?1")?;
        for n in start..start + NAME_TRIES {
            let name = format!("{prefix}{n:04}");
            if !exists.exists([&name])? {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// Creates a new volume record in `pool` (Bareos `newVolume`), logged by the director
    /// as `Created new Volume "X" in catalog.`: only when the pool's MaxVols is 0 or not
    /// reached (counted in the catalog) and its LabelFormat gives a name
    /// ([`Catalog::label_name`]); otherwise [`CatalogError::NoNewVolume`] (the director
    /// then waits for a `label`). The record inherits the pool's settings
    /// ([`NewMedia::from_pool`]), is enabled, `Append`, of `media_type` (registered in
    /// `MediaType` if new) and on `storage_id`; the pool's `NumVols` is recounted.
    pub fn create_volume_for_pool(
        &mut self,
        pool: &PoolRow,
        media_type: &str,
        storage_id: i64,
    ) -> Result<MediaRow> {
        let media_type = non_empty("media type", media_type)?;
        let refuse = |reason: &str| CatalogError::NoNewVolume {
            pool: pool.name.clone(),
            reason: reason.to_string(),
        };
        let numvols: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM Media WHERE PoolId = ?1",
            [pool.poolid],
            |r| r.get(0),
        )?;
        if pool.maxvols > 0 && numvols >= pool.maxvols {
            return Err(refuse(&format!("MaxVols {} reached", pool.maxvols)));
        }
        let format = pool.labelformat.trim();
        if format.is_empty() || format == "*" {
            return Err(refuse("no LabelFormat"));
        }
        let Some(name) = self.label_name(format)? else {
            return Err(refuse("Too many failures. Giving up creating Volume name"));
        };
        let mediatypeid = self.sync_media_type(media_type)?;
        let mut m = NewMedia::from_pool(name, pool, media_type);
        m.mediatypeid = mediatypeid;
        m.storageid = storage_id;
        m.volstatus = "Append".into();
        m.enabled = 1;
        let id = self.create_media(&m)?;
        self.get_media_by_id(id)?
            .ok_or_else(|| CatalogError::NotFound {
                what: "MediaId",
                key: id.to_string(),
            })
    }

    /// Writes a volume's counters, status and write times (what the SD reports), then
    /// applies the limit rules ([`apply_volume_limits`]): an `Append` volume over a
    /// limit is stored as `Full` / `Used`. Returns the volume as stored.
    pub fn update_media_counters(&mut self, u: &MediaUpdate) -> Result<MediaRow> {
        check_status(&u.volstatus, &VOLUME_STATUSES)?;
        let firstwritten = check_opt_time(u.firstwritten.as_deref())?;
        let lastwritten = check_opt_time(u.lastwritten.as_deref())?;
        let labeldate = check_opt_time(u.labeldate.as_deref())?;
        let n = self.conn.execute(
            "UPDATE Media SET VolJobs = ?1, VolFiles = ?2, VolBlocks = ?3, VolBytes = ?4,
               VolMounts = ?5, VolErrors = ?6, VolWrites = ?7, VolCapacityBytes = ?8,
               EndFile = ?9, EndBlock = ?10, VolReadTime = ?11, VolWriteTime = ?12,
               VolStatus = ?13, FirstWritten = COALESCE(?14, FirstWritten),
               LastWritten = COALESCE(?15, LastWritten), LabelDate = COALESCE(?16, LabelDate),
               InitialWrite = COALESCE(InitialWrite, ?14)
             WHERE MediaId = ?17",
            params![
                u.voljobs,
                u.volfiles,
                u.volblocks,
                u.volbytes,
                u.volmounts,
                u.volerrors,
                u.volwrites,
                u.volcapacitybytes,
                u.endfile,
                u.endblock,
                u.volreadtime,
                u.volwritetime,
                u.volstatus,
                firstwritten,
                lastwritten,
                labeldate,
                u.mediaid,
            ],
        )?;
        let not_found = || CatalogError::NotFound {
            what: "MediaId",
            key: u.mediaid.to_string(),
        };
        if n == 0 {
            return Err(not_found());
        }
        let mut row = self.get_media_by_id(u.mediaid)?.ok_or_else(not_found)?;
        if let Some(status) = apply_volume_limits(&row) {
            self.conn.execute(
                "UPDATE Media SET VolStatus = ?1 WHERE MediaId = ?2",
                params![status, u.mediaid],
            )?;
            row.volstatus = status.to_string();
        }
        Ok(row)
    }

    /// `update volume=X volstatus=... volretention=... ...`: applies the given changes in
    /// one transaction and returns the updated volume. VolStatus must be one of
    /// [`UPDATABLE_VOLUME_STATUSES`], Enabled 0–2, numbers non-negative, pools must
    /// exist; moving to another pool recounts both pools' `NumVols`.
    pub fn update_volume(&mut self, volumename: &str, c: &VolumeChanges) -> Result<MediaRow> {
        let current = self
            .get_media(volumename)?
            .ok_or_else(|| CatalogError::NotFound {
                what: "Volume",
                key: volumename.to_string(),
            })?;
        let mut sets: Vec<&str> = Vec::new();
        let mut p: Vec<Value> = Vec::new();
        if let Some(s) = &c.volstatus {
            check_status(s, &UPDATABLE_VOLUME_STATUSES)?;
            sets.push("VolStatus = ?");
            p.push(Value::Text(s.clone()));
        }
        for (col, v) in [
            ("VolRetention = ?", c.volretention),
            ("VolUseDuration = ?", c.voluseduration),
            ("MaxVolJobs = ?", c.maxvoljobs),
            ("MaxVolFiles = ?", c.maxvolfiles),
            ("MaxVolBytes = ?", c.maxvolbytes),
            ("Slot = ?", c.slot),
            ("ActionOnPurge = ?", c.actiononpurge),
        ] {
            if let Some(v) = non_negative(col.trim_end_matches(" = ?"), v)? {
                sets.push(col);
                p.push(Value::Integer(v));
            }
        }
        if let Some(r) = c.recycle {
            sets.push("Recycle = ?");
            p.push(Value::Integer(i64::from(r)));
        }
        if let Some(e) = c.enabled {
            if !(0..=2).contains(&e) {
                return Err(CatalogError::InvalidValue(format!(
                    "Enabled {e} (expected 0, 1 or 2)"
                )));
            }
            sets.push("Enabled = ?");
            p.push(Value::Integer(e));
        }
        if let Some(i) = c.inchanger {
            sets.push("InChanger = ?");
            p.push(Value::Integer(i64::from(i)));
        }
        let pool_exists = |id: i64| -> Result<()> {
            let found: Option<i64> = self
                .conn
                .query_row("SELECT 1 FROM Pool WHERE PoolId = ?1", [id], |r| r.get(0))
                .optional()?;
            found.map(|_| ()).ok_or_else(|| CatalogError::NotFound {
                what: "PoolId",
                key: id.to_string(),
            })
        };
        if let Some(id) = c.pool_id {
            pool_exists(id)?;
            sets.push("PoolId = ?");
            p.push(Value::Integer(id));
        }
        if let Some(id) = c.recyclepool_id {
            if id != 0 {
                pool_exists(id)?;
            }
            sets.push("RecyclePoolId = ?");
            p.push(Value::Integer(id));
        }
        if sets.is_empty() {
            return Ok(current);
        }
        p.push(Value::Integer(current.mediaid));
        let tx = self.conn.transaction()?;
        tx.execute(
            &format!("UPDATE Media SET {} WHERE MediaId = ?", sets.join(", ")),
            params_from_iter(p),
        )?;
        if let Some(new_pool) = c.pool_id {
            for pool in [current.poolid, new_pool] {
                tx.execute(
                    "UPDATE Pool SET NumVols = (SELECT COUNT(*) FROM Media WHERE PoolId = ?1)
                     WHERE PoolId = ?1",
                    [pool],
                )?;
            }
        }
        tx.commit()?;
        self.get_media_by_id(current.mediaid)?
            .ok_or_else(|| CatalogError::NotFound {
                what: "Volume",
                key: volumename.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MediaRow {
        let mut cat = Catalog::open_in_memory().expect("open");
        let id = cat
            .create_media(&NewMedia {
                volumename: "V".into(),
                mediatype: "File".into(),
                ..NewMedia::default()
            })
            .expect("create");
        cat.get_media_by_id(id).expect("get").expect("exists")
    }

    #[test]
    fn limits_follow_bareos_rules() {
        let now = parse_time("2026-03-04 12:00:00").expect("time");
        let mut m = row();
        m.maxvolbytes = 100;
        m.volbytes = 100;
        assert_eq!(apply_volume_limits_at(&m, now), None, "unused volume");
        m.voljobs = 1;
        assert_eq!(apply_volume_limits_at(&m, now), Some("Full"));
        m.volbytes = 99;
        assert_eq!(apply_volume_limits_at(&m, now), None);
        m.maxvoljobs = 1;
        assert_eq!(apply_volume_limits_at(&m, now), Some("Used"));
        m.maxvoljobs = 0;
        m.maxvolfiles = 3;
        m.volfiles = 3;
        assert_eq!(apply_volume_limits_at(&m, now), Some("Used"));
        m.maxvolfiles = 0;
        m.voluseduration = 3600;
        m.firstwritten = Some("2026-03-04 11:00:01".into());
        assert_eq!(apply_volume_limits_at(&m, now), None);
        m.firstwritten = Some("2026-03-04 11:00:00".into());
        assert_eq!(apply_volume_limits_at(&m, now), Some("Used"));
        m.volstatus = "Used".into();
        assert_eq!(apply_volume_limits_at(&m, now), None, "only Append changes");
    }

    #[test]
    fn label_prefix_drops_variables() {
        assert_eq!(label_prefix("Full-"), "Full-");
        assert_eq!(label_prefix("Vol-${Year}-"), "Vol--");
        assert_eq!(label_prefix("$Pool-$Year_x"), "-");
    }
}
