//! `.sql query="…"`: raw SQL against the catalog (Command ACL permitting).

use super::output::Output;
use super::{table_fmt, Ctx};

/// `.sql query=…`.
pub async fn dot_sql(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let Some(query) = ctx.args.value("query").map(str::to_string) else {
        out.error("query keyword not found.\n");
        return false;
    };
    let q = query.clone();
    let res = ctx.state.catalog.call(move |c| c.query_raw(&q)).await;
    let r = match res {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            out.error(format!("Query failed: {}. ERR={e}\n", ctx.args.raw));
            return false;
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return false;
        }
    };
    let cols: Vec<String> = r.columns.iter().map(|c| c.to_lowercase()).collect();
    let rows: Vec<Vec<(&str, String)>> = r
        .rows
        .iter()
        .map(|row| {
            cols.iter()
                .zip(row.iter())
                .map(|(c, v)| (c.as_str(), v.clone().unwrap_or_default()))
                .collect()
        })
        .collect();
    if ctx.session.api == 1 {
        for row in &r.rows {
            let mut line = String::new();
            for v in row {
                line.push_str(v.as_deref().unwrap_or("*None*"));
                line.push('\t');
            }
            out.text(line);
        }
    } else if cols.is_empty() {
        if let Some(n) = r.affected_rows {
            out.text(format!("{n} rows affected.\n"));
        }
    } else {
        out.text(table_fmt::horizontal(&rows));
    }
    out.set("query", table_fmt::json_rows(&rows));
    true
}
