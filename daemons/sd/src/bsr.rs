//! Bootstrap ("bsr") files: which records a restore reads.
//!
//! The text is Bareos's: one `Keyword=value` per line (several on a line separated by
//! blanks are accepted too), keywords case-insensitive, values optionally quoted,
//! `#` starts a comment. `Volume=` starts a new entry; the other keywords refine the
//! current one:
//!
//! | keyword | value | meaning |
//! |---|---|---|
//! | `Volume` | name (`A|B` = several) | volume to read |
//! | `MediaType`, `Device` | name | informational (the reserved device is used) |
//! | `VolSessionId` | `n`, `a-b`, lists with `,` | sessions (jobs) to select |
//! | `VolSessionTime` | `n`, lists with `,` | SD start times to select |
//! | `VolFile` | `a-b` | accepted, ignored (file volumes have one "file") |
//! | `VolBlock` | `a-b` | block numbers to read, as `cairn-volume` counts them (0 = label block) |
//! | `FileIndex` | `n`, `a-b`, lists with `,`; repeatable | files to select |
//! | `Count` | n | the entry is done after this many distinct files |
//!
//! Other Bareos keywords (`JobId`, `Job`, `Client`, `Slot`, `Stream`, `VolAddr` …)
//! are accepted and ignored. An empty selector selects everything.

/// A parsed bootstrap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bootstrap {
    pub entries: Vec<BsrEntry>,
}

/// One `Volume=` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BsrEntry {
    pub volume: String,
    pub media_type: Option<String>,
    pub device: Option<String>,
    /// Inclusive VolSessionId ranges (empty = any).
    pub session_ids: Vec<(u32, u32)>,
    /// VolSessionTime values (empty = any).
    pub session_times: Vec<u32>,
    /// Inclusive block ranges (empty = the whole volume).
    pub vol_blocks: Vec<(u32, u32)>,
    /// Inclusive FileIndex ranges (empty = every file).
    pub file_indexes: Vec<(i32, i32)>,
    pub count: Option<u64>,
}

/// A bootstrap that could not be parsed: the line and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bootstrap line {line}: {reason}")]
pub struct BsrError {
    pub line: usize,
    pub reason: String,
}

impl BsrEntry {
    /// Does this entry select records of session `id`/`time`?
    pub fn selects_session(&self, id: u32, time: u32) -> bool {
        (self.session_ids.is_empty() || self.session_ids.iter().any(|(a, b)| (*a..=*b).contains(&id)))
            && (self.session_times.is_empty() || self.session_times.contains(&time))
    }

    /// Does this entry select the file `fi`?
    pub fn selects_file(&self, fi: i32) -> bool {
        fi > 0 && (self.file_indexes.is_empty() || self.file_indexes.iter().any(|(a, b)| (*a..=*b).contains(&fi)))
    }

    /// Is block `n` inside the entry's block ranges?
    pub fn selects_block(&self, n: u32) -> bool {
        self.vol_blocks.is_empty() || self.vol_blocks.iter().any(|(a, b)| (*a..=*b).contains(&n))
    }

    /// The first block to read.
    pub fn first_block(&self) -> u32 {
        self.vol_blocks.iter().map(|(a, _)| *a).min().unwrap_or(0)
    }

    /// The last block to read (`u32::MAX` = to the end).
    pub fn last_block(&self) -> u32 {
        self.vol_blocks.iter().map(|(_, b)| *b).max().unwrap_or(u32::MAX)
    }

    /// The highest FileIndex selected, when the selection is bounded.
    pub fn max_file_index(&self) -> Option<i32> {
        self.file_indexes.iter().map(|(_, b)| *b).max()
    }
}

impl Bootstrap {
    /// The distinct volume names in order of first use.
    pub fn volumes(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for e in &self.entries {
            if !v.contains(&e.volume) {
                v.push(e.volume.clone());
            }
        }
        v
    }

    /// Parse bootstrap text.
    pub fn parse(text: &str) -> Result<Bootstrap, BsrError> {
        let mut entries: Vec<BsrEntry> = Vec::new();
        // Entries with `Volume=A|B` expand into one entry per volume sharing the
        // selectors; `group_start` marks the first entry of the current group.
        let mut group_start = 0usize;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let err = |reason: String| BsrError { line: line_no, reason };
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            for tok in tokens(line) {
                let (key, value) = tok.split_once('=').ok_or_else(|| err(format!("expected Keyword=value, got {tok:?}")))?;
                let key = key.trim().to_ascii_lowercase();
                let value = unquote(value.trim());
                if key == "volume" {
                    group_start = entries.len();
                    for v in value.split('|') {
                        if v.is_empty() {
                            return Err(err("empty volume name".into()));
                        }
                        entries.push(BsrEntry { volume: v.to_string(), ..Default::default() });
                    }
                    continue;
                }
                if entries.is_empty() {
                    return Err(err(format!("{key} before the first Volume=")));
                }
                let group = &mut entries[group_start..];
                match key.as_str() {
                    "mediatype" => {
                        let parts: Vec<&str> = value.split('|').collect();
                        for (i, e) in group.iter_mut().enumerate() {
                            e.media_type = Some(parts.get(i).or(parts.last()).copied().unwrap_or_default().to_string());
                        }
                    }
                    "device" => {
                        let parts: Vec<&str> = value.split('|').collect();
                        for (i, e) in group.iter_mut().enumerate() {
                            e.device = Some(parts.get(i).or(parts.last()).copied().unwrap_or_default().to_string());
                        }
                    }
                    "volsessionid" => {
                        let r = ranges::<u32>(&value).map_err(err)?;
                        group.iter_mut().for_each(|e| e.session_ids.extend(&r));
                    }
                    "volsessiontime" => {
                        let r = ranges::<u32>(&value).map_err(err)?;
                        for (a, b) in r {
                            if a != b {
                                return Err(err("VolSessionTime takes values, not ranges".into()));
                            }
                            group.iter_mut().for_each(|e| e.session_times.push(a));
                        }
                    }
                    "volblock" => {
                        let r = ranges::<u32>(&value).map_err(err)?;
                        group.iter_mut().for_each(|e| e.vol_blocks.extend(&r));
                    }
                    "fileindex" => {
                        let r = ranges::<i32>(&value).map_err(err)?;
                        group.iter_mut().for_each(|e| e.file_indexes.extend(&r));
                    }
                    "count" => {
                        let c: u64 = value.parse().map_err(|_| err(format!("bad Count {value:?}")))?;
                        group.iter_mut().for_each(|e| e.count = Some(c));
                    }
                    "volfile" => {
                        ranges::<u32>(&value).map_err(err)?;
                    }
                    "jobid" | "job" | "client" | "slot" | "stream" | "voladdr" | "fileregex" | "include" | "exclude"
                    | "storage" | "skip" => {}
                    other => return Err(err(format!("unknown keyword {other:?}"))),
                }
            }
        }
        Ok(Bootstrap { entries })
    }
}

fn strip_comment(line: &str) -> &str {
    let mut in_q = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_q = !in_q,
            '#' if !in_q => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Split at blanks outside double quotes; `Key = value` with blanks around `=` is
/// joined back.
fn tokens(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_q = !in_q;
                cur.push(c);
            }
            c if c.is_whitespace() && !in_q => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Re-join `Key`, `=`, `value` / `Key=`, `value` / `Key`, `=value`.
    let mut joined: Vec<String> = Vec::new();
    for t in out {
        match joined.last_mut() {
            Some(last) if last.ends_with('=') || t.starts_with('=') || (!last.contains('=') && t == "=") => last.push_str(&t),
            _ => joined.push(t),
        }
    }
    joined
}

fn unquote(v: &str) -> String {
    let v = v.strip_prefix('"').unwrap_or(v);
    let v = v.strip_suffix('"').unwrap_or(v);
    v.to_string()
}

fn ranges<T>(value: &str) -> Result<Vec<(T, T)>, String>
where
    T: std::str::FromStr + PartialOrd + Copy,
{
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("bad number or range {part:?}");
        // A leading '-' would be a negative number; ranges are "a-b" with a > 0 here.
        let (a, b) = match part.get(1..).and_then(|r| r.find('-')).map(|i| i + 1) {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, part),
        };
        let a: T = a.trim().parse().map_err(|_| bad())?;
        let b: T = b.trim().parse().map_err(|_| bad())?;
        if b < a {
            return Err(format!("range {part:?} ends before it starts"));
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err(format!("empty value {value:?}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_table() {
        struct Case {
            text: &'static str,
            ok: Option<Vec<BsrEntry>>,
        }
        let e = |v: &str| BsrEntry { volume: v.into(), ..Default::default() };
        let cases = [
            Case { text: "", ok: Some(vec![]) },
            Case { text: "Volume=\"Full-0001\"\n", ok: Some(vec![e("Full-0001")]) },
            Case {
                text: "Volume=\"Full-0001\"\nMediaType=\"File\"\nDevice=\"FileStorage\"\nVolSessionId=3\nVolSessionTime=1700000000\nVolFile=0-0\nVolBlock=1-57\nFileIndex=1-10\nFileIndex=12\nCount=11\n",
                ok: Some(vec![BsrEntry {
                    volume: "Full-0001".into(),
                    media_type: Some("File".into()),
                    device: Some("FileStorage".into()),
                    session_ids: vec![(3, 3)],
                    session_times: vec![1_700_000_000],
                    vol_blocks: vec![(1, 57)],
                    file_indexes: vec![(1, 10), (12, 12)],
                    count: Some(11),
                }]),
            },
            Case {
                text: "# two volumes\nvolume=A\nvolsessionid=1,4-5\nfileindex = 2,7-9  # files\nVolume=B\nVolBlock=0-3\n",
                ok: Some(vec![
                    BsrEntry { volume: "A".into(), session_ids: vec![(1, 1), (4, 5)], file_indexes: vec![(2, 2), (7, 9)], ..Default::default() },
                    BsrEntry { volume: "B".into(), vol_blocks: vec![(0, 3)], ..Default::default() },
                ]),
            },
            Case {
                text: "Volume=\"A|B\" MediaType=File VolSessionId=2\n",
                ok: Some(vec![
                    BsrEntry { volume: "A".into(), media_type: Some("File".into()), session_ids: vec![(2, 2)], ..Default::default() },
                    BsrEntry { volume: "B".into(), media_type: Some("File".into()), session_ids: vec![(2, 2)], ..Default::default() },
                ]),
            },
            Case { text: "Volume=\"with # hash\"\nJobId=7\nClient=x\n", ok: Some(vec![e("with # hash")]) },
            Case { text: "FileIndex=1\n", ok: None },
            Case { text: "Volume=A\nFileIndex=x\n", ok: None },
            Case { text: "Volume=A\nFileIndex=5-2\n", ok: None },
            Case { text: "Volume=A\nBogus=1\n", ok: None },
            Case { text: "Volume=A\nnonsense\n", ok: None },
            Case { text: "Volume=\n", ok: None },
        ];
        for c in cases {
            let got = Bootstrap::parse(c.text);
            match (&c.ok, got) {
                (Some(want), Ok(b)) => assert_eq!(&b.entries, want, "{:?}", c.text),
                (None, Err(_)) => {}
                (want, got) => panic!("{:?}: want {want:?}, got {got:?}", c.text),
            }
        }
    }

    #[test]
    fn selection() -> Result<(), BsrError> {
        let b = Bootstrap::parse("Volume=A\nVolSessionId=2\nVolSessionTime=9\nVolBlock=3-5\nFileIndex=1-3,7\n")?;
        let e = &b.entries[0];
        assert!(e.selects_session(2, 9));
        assert!(!e.selects_session(2, 8));
        assert!(!e.selects_session(1, 9));
        assert!(e.selects_file(7) && e.selects_file(2) && !e.selects_file(4) && !e.selects_file(-4));
        assert_eq!((e.first_block(), e.last_block()), (3, 5));
        assert_eq!(e.max_file_index(), Some(7));
        let all = Bootstrap::parse("Volume=A\nVolume=B\nVolume=A\n")?;
        assert_eq!(all.volumes(), vec!["A".to_string(), "B".to_string()]);
        assert!(all.entries[0].selects_file(123) && all.entries[0].selects_session(1, 1));
        assert_eq!(all.entries[0].last_block(), u32::MAX);
        Ok(())
    }
}
