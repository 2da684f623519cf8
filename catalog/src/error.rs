//! The catalog's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The database file could not be opened or configured.
    #[error("cannot open catalog database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database holds a schema version other than the one this code speaks.
    #[error(
        "catalog schema version mismatch: database has VersionId {found}, Cairn needs {expected}; \
         refusing to use it"
    )]
    VersionMismatch { found: i64, expected: i64 },
    /// The database was migrated by a newer Cairn (it lists a migration this code does not know).
    #[error(
        "catalog database was migrated by a newer Cairn (unknown migration {name:?}); \
         refusing to use it"
    )]
    NewerSchema { name: String },
    /// A migration file failed to apply (the transaction was rolled back).
    #[error("catalog migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A timestamp argument was not in `YYYY-MM-DD HH:MM:SS` form.
    #[error("invalid catalog timestamp {0:?} (expected YYYY-MM-DD HH:MM:SS)")]
    InvalidTimestamp(String),
    /// A value could not be stored (out of range, empty name, bad letter ...).
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// A referenced record does not exist.
    #[error("{what} {key} not found in catalog")]
    NotFound { what: &'static str, key: String },
    /// No new volume may be created in a pool: MaxVols reached, no automatic labelling
    /// (LabelFormat empty or `*`), or every candidate name exists.
    #[error("cannot create a new volume in pool {pool}: {reason}")]
    NoNewVolume { pool: String, reason: String },
    /// Any other SQLite error; its message is SQLite's own.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Result alias used throughout the crate.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
