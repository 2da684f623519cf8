//! Console transcripts (`recordings/console/*.session`) replayed against a live
//! director through the console's non-interactive script runner.
//!
//! Format: a line starting with `*` is input typed at the main prompt (as bconsole
//! shows it); every other line is expected output. In expected lines `[..]` matches
//! the rest of the line, a line holding only `...` matches any number of lines, and
//! placeholders match variable data: `[TIME]` (`04-Mar-26 10:00`), `[DATETIME]`
//! (`2026-03-04 10:00:01`), `[LONGTIME]` (`Wed 04-Mar-2026 10:00:01`), `[N]` (a number), `[HEX]`, `[TMP]` (the transcript's
//! temporary directory, also substituted into input lines). A line `#> CMD` is input
//! whose echo does not reach the terminal (it went to an `@output` file). Header lines start with
//! `#!`: `#! file-contains: NAME: TEXT` checks a file written under `[TMP]`.
//! `#! fixture: cluster` runs the transcript against a storage daemon, file daemon and
//! director backing up `[TMP]/data` (job `backup`, restore job `RestoreFiles`);
//! with it, `#! clock: 2026-11-27 20:58:00` puts the director on a manual clock and
//! `#! schedule: NAME: RUN LINE` adds Run lines (see `cluster_headers`).
//! `RECORDINGS=overwrite` rewrites the expected output from the actual one (only the
//! files whose name contains `RECORDINGS_ONLY`, when that is set).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use regex::Regex;

use crate::support::TestDirector;

struct Transcript {
    headers: Vec<String>,
    inputs: Vec<String>,
    expected: Vec<String>,
}

fn parse(text: &str) -> Transcript {
    let mut headers = Vec::new();
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    // Inside the restore tree (`$ ` prompt) a line starting with `*` is output
    // (`ls`/`lsmark` mark entries with `*`), not input at the main prompt.
    let mut in_tree = false;
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            let w = cmd.split_whitespace().next().unwrap_or("");
            in_tree = !matches!(w, "done" | "exit" | "quit" | "abort");
        }
        if line.starts_with("#!") {
            headers.push(line.to_string());
            continue;
        }
        if let Some(cmd) = line.strip_prefix("#> ") {
            // Input whose echo is not on the terminal (it went to an @output file).
            inputs.push(cmd.to_string());
            continue;
        }
        if !in_tree {
            if let Some(cmd) = line.strip_prefix('*') {
                inputs.push(cmd.to_string());
            }
        }
        expected.push(line.to_string());
    }
    Transcript { headers, inputs, expected }
}

fn line_regex(line: &str, tmp: &str) -> Result<Regex> {
    let mut pat = String::from("^");
    let mut rest = line;
    while !rest.is_empty() {
        let next = ["[..]", "[TIME]", "[DATETIME]", "[LONGTIME]", "[N]", "[HEX]", "[TMP]"]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, _)| *i);
        match next {
            Some((i, p)) => {
                pat.push_str(&regex::escape(&rest[..i]));
                pat.push_str(match p {
                    "[..]" => ".*",
                    "[TIME]" => r"\d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d",
                    "[DATETIME]" => r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                    "[LONGTIME]" => r"[A-Z][a-z]{2} \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d",
                    "[N]" => r"[0-9][0-9,]*",
                    "[HEX]" => r"[0-9a-f]+",
                    _ => "",
                });
                if p == "[TMP]" {
                    pat.push_str(&regex::escape(tmp));
                }
                rest = &rest[i + p.len()..];
            }
            None => {
                pat.push_str(&regex::escape(rest));
                rest = "";
            }
        }
    }
    pat.push('$');
    Ok(Regex::new(&pat)?)
}

/// Match actual lines against expected lines with `...` wildcards.
fn matches(expected: &[String], actual: &[&str], tmp: &str) -> Result<Option<usize>> {
    // Returns None on success, or the index of the first expected line that failed.
    fn go(exp: &[(bool, Option<Regex>)], act: &[&str], ei: usize, ai: usize) -> bool {
        if ei == exp.len() {
            return ai == act.len();
        }
        let (wild, re) = &exp[ei];
        if *wild {
            (ai..=act.len()).any(|k| go(exp, act, ei + 1, k))
        } else {
            ai < act.len() && re.as_ref().is_some_and(|r| r.is_match(act[ai])) && go(exp, act, ei + 1, ai + 1)
        }
    }
    let compiled: Vec<(bool, Option<Regex>)> = expected
        .iter()
        .map(|l| if l == "..." { Ok((true, None)) } else { line_regex(l, tmp).map(|r| (false, Some(r))) })
        .collect::<Result<_>>()?;
    if go(&compiled, actual, 0, 0) {
        return Ok(None);
    }
    // find the first mismatch for the report (greedy, ignoring wildcards)
    let mut ai = 0;
    for (ei, (wild, re)) in compiled.iter().enumerate() {
        if *wild {
            return Ok(Some(ei));
        }
        if ai >= actual.len() || !re.as_ref().is_some_and(|r| r.is_match(actual[ai])) {
            return Ok(Some(ei));
        }
        ai += 1;
    }
    Ok(Some(compiled.len()))
}

/// Cluster fixture headers: `#! clock: YYYY-MM-DD HH:MM:SS` starts the director on
/// a manual clock stopped at that local time (the scheduler looks every 100 ms);
/// `#! schedule: NAME: RUN` adds a `Run = RUN` line to Schedule NAME (created on
/// first use; the first one named becomes job `backup`'s Schedule).
fn cluster_headers(headers: &[String], o: &mut crate::cluster::ClusterOpts) -> Result<()> {
    let mut schedules: Vec<(String, Vec<String>)> = Vec::new();
    for h in headers {
        if let Some(v) = h.strip_prefix("#! clock:") {
            let n = chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%d %H:%M:%S")
                .with_context(|| format!("bad #! clock: {v}"))?;
            let t = n.and_local_timezone(chrono::Local).earliest().context("clock time does not exist here")?;
            o.clock = Some(std::sync::Arc::new(cairn_runtime::ManualClock::new(t.timestamp())));
            o.scheduler_tick = Some(std::time::Duration::from_millis(100));
        } else if let Some(v) = h.strip_prefix("#! schedule:") {
            let (name, run) = v.trim().split_once(": ").context("#! schedule needs NAME: RUN")?;
            match schedules.iter_mut().find(|(n, _)| n == name) {
                Some((_, runs)) => runs.push(run.to_string()),
                None => schedules.push((name.to_string(), vec![run.to_string()])),
            }
        }
    }
    if let Some((first, _)) = schedules.first() {
        o.job_extra.push_str(&format!("  Schedule = \"{first}\"\n"));
    }
    for (name, runs) in schedules {
        o.extra_resources.push_str(&format!("Schedule {{\n  Name = \"{name}\"\n"));
        for r in runs {
            o.extra_resources.push_str(&format!("  Run = {r}\n"));
        }
        o.extra_resources.push_str("}\n");
    }
    Ok(())
}

async fn replay(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let t = parse(&text);
    let tmpdir = tempfile::tempdir()?;
    let tmp = tmpdir.path().display().to_string();
    let cluster_fixture = t.headers.iter().any(|h| h.trim() == "#! fixture: cluster");
    let (d, cl) = if cluster_fixture {
        // Three daemons backing up [TMP]/data.
        let data = crate::backup_restore::make_tree(tmpdir.path())?;
        let include = format!("    File = \"{}\"", data.display());
        let mut o = crate::cluster::ClusterOpts { include, ..Default::default() };
        cluster_headers(&t.headers, &mut o)?;
        let cl = crate::cluster::Cluster::start(o).await?;
        (None, Some(cl))
    } else {
        (Some(TestDirector::start().await?), None)
    };
    let mut client = match (&d, &cl) {
        (Some(d), _) => d.root().await?,
        (_, Some(c)) => c.console().await?,
        _ => bail!("no fixture started"),
    };
    let input: String = t.inputs.iter().map(|l| format!("{}\n", l.replace("[TMP]", &tmp))).collect();
    let mut out: Vec<u8> = Vec::new();
    let opts = cairn_console::script::ScriptOptions { prompt_echo: true, ..Default::default() };
    cairn_console::script::run_script(&mut client, input.as_bytes(), &mut out, opts).await?;
    client.close().await;
    if let Some(d) = d {
        d.stop().await;
    }
    if let Some(c) = cl {
        c.stop().await;
    }
    let actual = String::from_utf8_lossy(&out).replace(&tmp, "[TMP]");
    let only = std::env::var("RECORDINGS_ONLY").ok();
    let selected = only.as_deref().is_none_or(|o| path.file_name().is_some_and(|f| f.to_string_lossy().contains(o)));
    if std::env::var("RECORDINGS").as_deref() == Ok("overwrite") && selected {
        let mut new = t.headers.join("\n");
        if !new.is_empty() {
            new.push('\n');
        }
        new.push_str(&actual);
        std::fs::write(path, new)?;
        return Ok(());
    }
    let actual_lines: Vec<&str> = actual.lines().collect();
    let expected: Vec<String> = t.expected.iter().map(|l| l.replace("[TMP]", "[TMP]")).collect();
    let raw_actual: Vec<String> = String::from_utf8_lossy(&out).lines().map(str::to_string).collect();
    let raw_refs: Vec<&str> = raw_actual.iter().map(String::as_str).collect();
    if let Some(i) = matches(&expected, &raw_refs, &tmp)? {
        bail!(
            "{}: output differs from the transcript at expected line {} ({:?})\n--- actual output ---\n{}",
            path.display(),
            i + 1,
            expected.get(i),
            actual_lines.join("\n")
        );
    }
    for h in &t.headers {
        if let Some(spec) = h.strip_prefix("#! file-contains:") {
            let (name, want) = spec.trim().split_once(": ").context("file-contains needs NAME: TEXT")?;
            let got = std::fs::read_to_string(tmpdir.path().join(name.trim()))
                .with_context(|| format!("{}: file {name} was not written", path.display()))?;
            if !got.contains(want) {
                bail!("{}: file {name} does not contain {want:?}:\n{got}", path.display());
            }
        }
    }
    Ok(())
}

fn sessions() -> Result<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/console");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "session"))
        .collect();
    v.sort();
    Ok(v)
}

#[tokio::test]
async fn console_transcripts_replay() -> Result<()> {
    let files = sessions()?;
    assert!(files.len() >= 7, "expected the console transcripts, found {}", files.len());
    let mut failures = Vec::new();
    for f in files {
        if let Err(e) = replay(&f).await {
            failures.push(format!("{e:#}"));
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n\n"));
    }
    Ok(())
}

#[test]
fn matcher_handles_wildcards_and_placeholders() -> Result<()> {
    let exp: Vec<String> = ["a [..]", "...", "t [TIME] n=[N]", "end"].iter().map(|s| s.to_string()).collect();
    assert_eq!(matches(&exp, &["a b c", "x", "y", "t 04-Mar-26 10:00 n=1,234", "end"], "/tmp")?, None);
    assert_eq!(matches(&exp, &["a b c", "t 04-Mar-26 10:00 n=1", "end"], "/tmp")?, None);
    assert!(matches(&exp, &["a b c", "t 04-Mar-26 10:00 n=x", "end"], "/tmp")?.is_some());
    assert!(matches(&exp, &["b"], "/tmp")?.is_some());
    Ok(())
}
