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

    /// Appends several `(time, text)` log entries of a job in one transaction with a
    /// cached statement (the Catalog message destination flushing its queue). All
    /// timestamps are checked before anything is written.
    pub fn insert_logs<S, T>(&mut self, jobid: JobId, entries: &[(S, T)]) -> Result<()>
    where
        S: AsRef<str>,
        T: AsRef<str>,
    {
        let times = entries
            .iter()
            .map(|(t, _)| check_time(t.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO Log (JobId, Time, LogText) VALUES (?1, ?2, ?3)")?;
            for (time, (_, text)) in times.iter().zip(entries) {
                stmt.execute(params![jobid.0, time, text.as_ref()])?;
            }
        }
        tx.commit()?;
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
