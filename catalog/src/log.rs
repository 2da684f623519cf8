//! The job log (`Log` table): the Catalog message destination writes here and
//! `list joblog` reads it back.

use rusqlite::params;

use crate::error::Result;
use crate::rows::LogRow;
use crate::time::check_time;
use crate::{Catalog, JobId, int, jobid_col};

impl Catalog {
    /// Appends one log text (kept verbatim, trailing newline included) for a job.
    pub fn insert_log(&mut self, jobid: JobId, time: &str, text: &str) -> Result<()> {
        let time = check_time(time)?;
        self.conn.execute(
            "INSERT INTO Log (JobId, Time, LogText) VALUES (?1, ?2, ?3)",
            params![jobid.0, time, text],
        )?;
        Ok(())
    }

    /// A job's log in insertion order.
    pub fn list_joblog(&self, jobid: JobId) -> Result<Vec<LogRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT LogId, JobId, Time, LogText FROM Log WHERE JobId = ?1 ORDER BY LogId",
        )?;
        let rows = stmt
            .query_map([jobid.0], |r| {
                Ok(LogRow {
                    logid: int(r, 0)?,
                    jobid: jobid_col(r, 1)?,
                    time: r.get(2)?,
                    logtext: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
