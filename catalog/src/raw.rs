//! The console's `.sql query="..."`: one arbitrary statement, results as text.

use rusqlite::types::ValueRef;

use crate::Catalog;
use crate::error::Result;
use crate::rows::RawResult;

fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

impl Catalog {
    /// Runs exactly one SQL statement. Statements that return columns give their rows
    /// with every value as text (NULL → `None`); others give `affected_rows`. More than
    /// one statement, or SQLite rejecting the SQL, is an error carrying SQLite's message.
    /// Clears the path cache first: raw SQL may delete or renumber `Path` rows.
    pub fn query_raw(&mut self, sql: &str) -> Result<RawResult> {
        self.paths.clear();
        let mut stmt = self.conn.prepare(sql)?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        if columns.is_empty() {
            let n = stmt.execute([])?;
            return Ok(RawResult {
                columns,
                rows: Vec::new(),
                affected_rows: Some(u64::try_from(n).unwrap_or(u64::MAX)),
            });
        }
        let width = columns.len();
        let mut rows = Vec::new();
        let mut cursor = stmt.query([])?;
        while let Some(row) = cursor.next()? {
            let mut out = Vec::with_capacity(width);
            for i in 0..width {
                out.push(text(row.get_ref(i)?));
            }
            rows.push(out);
        }
        Ok(RawResult {
            columns,
            rows,
            affected_rows: None,
        })
    }
}
