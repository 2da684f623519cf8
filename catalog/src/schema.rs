//! Embedded migrations and the schema-version check.
//!
//! Every file under `catalog/migrations/` is embedded with `include_str!` and listed in
//! [`MIGRATIONS`] in order. The `CairnMigrations` table records which have run; pending
//! ones are applied one by one, each in its own transaction. A database whose `Version`
//! table says anything but [`SCHEMA_VERSION`], or which lists a migration this code does
//! not know (it was written by a newer Cairn), is refused.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CatalogError, Result};
use crate::time::now_string;

/// The Bareos catalog schema version Cairn's catalog corresponds to.
pub const SCHEMA_VERSION: i64 = 2250;

/// One embedded migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// File name, recorded in `CairnMigrations`.
    pub name: &'static str,
    /// SQL text (no `BEGIN`/`COMMIT`: the runner wraps it in a transaction).
    pub sql: &'static str,
}

/// All migrations, in the order they are applied.
pub const MIGRATIONS: &[Migration] = &[Migration {
    name: "0001_initial.sql",
    sql: include_str!("../migrations/0001_initial.sql"),
}];

fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Reads `Version.VersionId` (the highest, should there be several rows).
fn read_version(conn: &Connection) -> Result<Option<i64>> {
    if !table_exists(conn, "Version")? {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT MAX(VersionId) FROM Version", [], |r| r.get(0))?)
}

fn check_version(conn: &Connection) -> Result<()> {
    match read_version(conn)? {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(found) => Err(CatalogError::VersionMismatch {
            found,
            expected: SCHEMA_VERSION,
        }),
        None => Err(CatalogError::VersionMismatch {
            found: 0,
            expected: SCHEMA_VERSION,
        }),
    }
}

/// Names of the migrations recorded as applied, in application order.
pub(crate) fn applied_migrations(conn: &Connection) -> Result<Vec<String>> {
    if !table_exists(conn, "CairnMigrations")? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT Name FROM CairnMigrations ORDER BY Seq")?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// Brings the schema up to date and verifies its version. Idempotent.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    // A foreign catalog (e.g. an old Bareos SQLite file) must be refused before we try
    // to create tables in it.
    let bookkeeping = table_exists(conn, "CairnMigrations")?;
    if !bookkeeping && read_version(conn)?.is_some() {
        check_version(conn)?;
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS CairnMigrations (
             Seq       INTEGER PRIMARY KEY,
             Name      TEXT    NOT NULL UNIQUE,
             AppliedAt TEXT    NOT NULL
         );",
    )?;
    let applied = applied_migrations(conn)?;
    if let Some(unknown) = applied
        .iter()
        .find(|name| !MIGRATIONS.iter().any(|m| m.name == name.as_str()))
    {
        return Err(CatalogError::NewerSchema {
            name: unknown.clone(),
        });
    }
    for (seq, m) in MIGRATIONS.iter().enumerate() {
        if applied.iter().any(|a| a == m.name) {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)
            .map_err(|source| CatalogError::Migration {
                name: m.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO CairnMigrations (Seq, Name, AppliedAt) VALUES (?1, ?2, ?3)",
            params![
                i64::try_from(seq + 1).unwrap_or(i64::MAX),
                m.name,
                now_string()
            ],
        )?;
        tx.commit()?;
    }
    check_version(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_migrates_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        assert_eq!(
            applied_migrations(&conn).expect("list").len(),
            MIGRATIONS.len()
        );
        assert_eq!(read_version(&conn).expect("v"), Some(SCHEMA_VERSION));
    }

    #[test]
    fn foreign_old_catalog_refused_untouched() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE TABLE Version (VersionId INTEGER NOT NULL); INSERT INTO Version VALUES (2210);",
        )
        .expect("setup");
        let err = migrate(&mut conn).expect_err("must refuse");
        assert!(matches!(
            err,
            CatalogError::VersionMismatch {
                found: 2210,
                expected: 2250
            }
        ));
        assert!(!table_exists(&conn, "Job").expect("query"));
    }

    #[test]
    fn every_status_code_is_known_to_cairn_types() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        let mut stmt = conn
            .prepare("SELECT JobStatus FROM Status")
            .expect("prepare");
        let codes: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(codes.len(), cairn_types::JobStatus::ALL.len());
        for s in cairn_types::JobStatus::ALL {
            assert!(
                codes.contains(&s.code().to_string()),
                "missing {}",
                s.code()
            );
        }
    }
}
