//! Bareos's interactive helpers: the numbered selection list (`DoPrompt`,
//! ua_select.cc), the yes/no question (`GetYesno`, ua_input.cc) and the
//! catalog announcement of `OpenDb`.

use super::output::Output;
use super::{Ctx, NoAnswer};

/// Bareos's batch mode: JSON consoles (`.api 2`) cannot be asked anything.
pub fn is_batch(ctx: &Ctx<'_>) -> bool {
    ctx.session.api >= 2
}

/// A command run by a `RunScript { Console = … }` (no console to talk to).
pub fn is_runscript(ctx: &Ctx<'_>) -> bool {
    ctx.conn.is_none()
}

/// Bareos `FormatPrompts` for an 80-column window: `N: item` lines, numbers
/// right-aligned to the width of the item count; more than 20 items are laid out
/// in columns (filled top to bottom).
pub fn format_prompts(items: &[String]) -> String {
    const WINDOW: usize = 80;
    const MIN_LINES: usize = 20;
    let idx_len = items.len().to_string().len();
    let max_len = items.iter().map(|p| p.len()).max().unwrap_or(0).max(1);
    let formatted_len = max_len + idx_len + 4;
    let per_line = (WINDOW / (formatted_len - 1)).max(1);
    let lines = items.len().div_ceil(per_line);
    let mut out = String::new();
    if items.len() > MIN_LINES && WINDOW > formatted_len * 2 {
        let cells: Vec<String> =
            items.iter().enumerate().map(|(i, p)| format!("{:>w$}: {:<m$} ", i + 1, p, w = idx_len, m = max_len)).collect();
        for line in 0..lines {
            let mut k = line;
            while k < cells.len() {
                out.push_str(&cells[k]);
                k += lines;
            }
            out.push('\n');
        }
    } else {
        for (i, p) in items.iter().enumerate() {
            out.push_str(&format!("{:>w$}: {p}\n", i + 1, w = idx_len));
        }
    }
    out
}

/// Bareos `DoPrompt`: offer `items` under `header` (which ends in `\n`) and ask
/// `msg (1-N): ` until a valid number is given. One item is taken without asking
/// (`Automatically selected <automsg>: <item>`). A lone `.` aborts
/// (`Selection aborted, nothing done.`). Returns the chosen index.
pub async fn do_prompt(
    ctx: &mut Ctx<'_>,
    out: &mut Output,
    header: &str,
    items: &[String],
    automsg: &str,
    msg: &str,
) -> Result<usize, NoAnswer> {
    if items.len() == 1 {
        if ctx.session.api == 0 && !is_runscript(ctx) {
            out.text(format!("Automatically selected {automsg}: {}\n", items[0]));
        }
        return Ok(0);
    }
    if is_batch(ctx) {
        out.text(header);
        out.text(format_prompts(items));
        out.text(format!(
            "Your request has multiple choices for \"{automsg}\". Selection is not possible in batch mode.\n"
        ));
        return Err(NoAnswer::NotInteractive);
    }
    out.text(header);
    if ctx.session.api == 0 {
        out.text(format_prompts(items));
    } else {
        for it in items {
            out.text(format!("{it}\n"));
        }
    }
    if items.is_empty() {
        out.error(format!("Selection list for \"{automsg}\" is empty!\n"));
        return Err(NoAnswer::Cancelled);
    }
    let question = format!("{msg} (1-{}): ", items.len());
    loop {
        let answer = match ctx.ask(out, &question).await {
            Ok(a) => a,
            Err(e @ (NoAnswer::Cancelled | NoAnswer::NotInteractive)) => {
                out.info("Selection aborted, nothing done.\n");
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let n = match answer.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 && !answer.starts_with('+') => v as usize,
            _ => {
                out.warning(format!("Expected a positive integer, got: {answer}\n"));
                continue;
            }
        };
        if n < 1 || n > items.len() {
            out.warning(format!("Please enter a number between 1 and {}\n", items.len()));
            continue;
        }
        return Ok(n - 1);
    }
}

/// Bareos `GetYesno`: ask until the answer is `yes` or `no` (any case).
pub async fn get_yesno(ctx: &mut Ctx<'_>, out: &mut Output, prompt: &str) -> Result<bool, NoAnswer> {
    loop {
        let a = ctx.ask(out, prompt).await?;
        match a.to_ascii_lowercase().as_str() {
            "yes" => return Ok(true),
            "no" => return Ok(false),
            _ => out.warning("Invalid response. You must answer YES or NO.\n"),
        }
    }
}

/// What Bareos's `OpenClientDb` prints the first time a console session uses
/// the catalog (nothing in API modes and run scripts).
pub fn announce_catalog(ctx: &mut Ctx<'_>, out: &mut Output) {
    if ctx.session.catalog_announced {
        return;
    }
    ctx.session.catalog_announced = true;
    if ctx.session.api != 0 || is_runscript(ctx) {
        return;
    }
    let name = ctx.cfg.default_catalog().name.clone();
    if ctx.cfg.catalogs.len() == 1 {
        out.text(format!("Automatically selected Catalog: {name}\n"));
    }
    out.text(format!("Using Catalog \"{name}\"\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("job{i}")).collect()
    }

    #[test]
    fn short_lists_are_one_per_line_with_aligned_numbers() {
        assert_eq!(format_prompts(&items(2)), "1: job1\n2: job2\n");
        let t = format_prompts(&items(12));
        assert!(t.starts_with(" 1: job1\n 2: job2\n"), "{t}");
        assert!(t.ends_with("12: job12\n"), "{t}");
    }

    #[test]
    fn long_lists_use_columns_filled_downwards() {
        let t = format_prompts(&items(21));
        // Cells are "NN: job21 " (10 chars): 80 / 9 = 8 per line, 3 lines.
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with(" 1: job1   4: job4  "), "{t}");
        assert!(lines[2].ends_with("21: job21 "), "{t}");
    }
}
