//! Catalog listings as Bareos renders them: horizontal tables with `+---+`
//! borders (`list`) and vertical `name: value` records (`llist`).

use super::output::with_commas;

/// Columns Bareos treats as numeric (right-aligned, thousands separators except
/// `jobid`).
pub fn is_numeric_column(name: &str) -> bool {
    const NUMERIC: &[&str] = &[
        "jobid", "clientid", "poolid", "mediaid", "storageid", "filesetid", "priorjobid", "purgedfiles",
        "jobfiles", "jobbytes", "readbytes", "joberrors", "jobmissingfiles", "jobtdate", "volsessionid",
        "volsessiontime", "numvols", "maxvols", "useonce", "usecatalog", "acceptanyvolume", "volretention",
        "voluseduration", "maxvoljobs", "maxvolfiles", "maxvolbytes", "autoprune", "recycle", "actiononpurge",
        "labeltype", "enabled", "scratchpoolid", "recyclepoolid", "nextpoolid", "minblocksize", "maxblocksize",
        "migrationhighbytes", "migrationlowbytes", "migrationtime", "fileretention", "jobretention", "slot",
        "inchanger", "voljobs", "volfiles", "volblocks", "volmounts", "volbytes", "volerrors", "volwrites",
        "volcapacitybytes", "volreadtime", "volwritetime", "endfile", "endblock", "startfile", "startblock",
        "firstindex", "lastindex", "recyclecount", "locationid", "deviceid", "mediatypeid", "jobmediaid",
        "volindex", "autochanger", "copyjobid", "severity", "jobs", "files", "bytes", "count", "logid", "hasencryptionkey",
        "mediaaddressing", "hascache", "hasbase", "reviewed",
    ];
    NUMERIC.contains(&name)
}

/// A value standing for SQL NULL: printed `NULL` in tables, `""` in JSON.
pub const NULL: &str = "\u{0}NULL";

fn display_value(col: &str, v: &str) -> String {
    if v == NULL {
        return "NULL".into();
    }
    if col != "jobid" && is_numeric_column(col)
        && let Ok(n) = v.parse::<u64>() {
            return with_commas(n);
        }
    v.to_string()
}

fn clamp_width(w: usize) -> usize {
    w.clamp(2, 100)
}

/// Render rows of `(column, value)` pairs as a bordered table; every row must have
/// the same columns. No rows → `No results to list.`
pub fn horizontal(rows: &[Vec<(&str, String)>]) -> String {
    let Some(first) = rows.first() else {
        return "No results to list.\n".into();
    };
    let cols: Vec<&str> = first.iter().map(|(k, _)| *k).collect();
    let mut widths: Vec<usize> = cols.iter().map(|c| c.chars().count()).collect();
    for row in rows {
        for (i, (k, v)) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(display_value(k, v).chars().count());
            }
        }
    }
    // Bareos reserves room for the word NULL in every column.
    let widths: Vec<usize> = widths.into_iter().map(|w| clamp_width(w.max(4))).collect();
    let mut dashes = String::from("+");
    for w in &widths {
        dashes.push_str(&"-".repeat(w + 2));
        dashes.push('+');
    }
    dashes.push('\n');
    let mut out = String::new();
    out.push_str(&dashes);
    out.push('|');
    for (c, w) in cols.iter().zip(&widths) {
        out.push_str(&format!(" {c:<w$} |"));
    }
    out.push('\n');
    out.push_str(&dashes);
    for row in rows {
        out.push('|');
        for ((k, v), w) in row.iter().zip(&widths) {
            let shown = display_value(k, v);
            if is_numeric_column(k) && !v.is_empty() && v != NULL {
                out.push_str(&format!(" {shown:>w$} |"));
            } else {
                out.push_str(&format!(" {shown:<w$} |"));
            }
        }
        out.push('\n');
    }
    out.push_str(&dashes);
    out
}

/// Render rows as vertical records (`llist`): right-aligned names, a blank line
/// after each record.
pub fn vertical(rows: &[Vec<(&str, String)>]) -> String {
    let Some(first) = rows.first() else {
        return "No results to list.\n".into();
    };
    let width = first.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for row in rows {
        for (k, v) in row {
            out.push_str(&format!(" {k:>width$}: {}\n", display_value(k, v)));
        }
        out.push('\n');
    }
    out
}

/// JSON objects (all values strings, as Bareos returns catalog values).
pub fn json_rows(rows: &[Vec<(&str, String)>]) -> serde_json::Value {
    serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                for (k, v) in r {
                    let v = if v == NULL { String::new() } else { v.clone() };
                    m.insert((*k).to_string(), serde_json::Value::from(v));
                }
                serde_json::Value::Object(m)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizontal_table_like_bareos() {
        let rows = vec![
            vec![("jobid", "1".to_string()), ("name", "backup-bareos-fd".to_string()), ("jobbytes", "1234567".to_string())],
            vec![("jobid", "12".to_string()), ("name", "x".to_string()), ("jobbytes", "0".to_string())],
        ];
        let t = horizontal(&rows);
        let expected = "\
+-------+------------------+-----------+
| jobid | name             | jobbytes  |
+-------+------------------+-----------+
|     1 | backup-bareos-fd | 1,234,567 |
|    12 | x                |         0 |
+-------+------------------+-----------+
";
        assert_eq!(t, expected);
        assert_eq!(horizontal(&[]), "No results to list.\n");
    }

    #[test]
    fn vertical_records() {
        let rows = vec![vec![("jobid", "1".to_string()), ("jobbytes", "2048".to_string())]];
        assert_eq!(vertical(&rows), "    jobid: 1\n jobbytes: 2,048\n\n");
    }
}
