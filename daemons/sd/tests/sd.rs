//! The storage daemon over real TCP, with a fake director and a fake file daemon
//! written with `cairn_proto`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn_proto::auth::password_key;
use cairn_proto::daemon::{dial, director_hello, start_job_hello};
use cairn_proto::msg::{self, CatReq, Jmsg, JobMediaInfo, MediaInfo, MediaUpdate, RecordHeader, SdJobCmd, SdJobEnd, SdJobOk, UpdCat, UseStorage};
use cairn_proto::{Conn, Packet, Signal};
use cairn_sd::{StartOptions, StorageDaemon};
use cairn_volume::{Entry, SessionKey, VolumeReader, VolumeWriter};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
type Err = Box<dyn std::error::Error + Send + Sync>;

const T: Duration = Duration::from_secs(20);
const DIR_PW: &str = "dir-secret";

/// One FD record: FileIndex, stream, payload frames.
type Rec = (i32, i32, Vec<Vec<u8>>);

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    sd: StorageDaemon,
}

impl Env {
    fn dir1(&self) -> PathBuf {
        self.root.join("vol1")
    }
    fn dir_ac(&self) -> PathBuf {
        self.root.join("volac")
    }
    fn port(&self) -> u16 {
        self.sd.addr().map(|a| a.port()).unwrap_or(0)
    }
}

async fn start_sd() -> Result<Env, Err> {
    start_sd_with(10).await
}

async fn start_sd_with(client_wait: u64) -> Result<Env, Err> {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join("vol1"))?;
    std::fs::create_dir_all(root.join("volac"))?;
    let text = format!(
        r#"
Storage {{ Name = test-sd; SD Address = 127.0.0.1; SD Port = 0; Working Directory = "{w}"; Client Connect Wait = {client_wait} }}
Director {{ Name = test-dir; Password = "{DIR_PW}" }}
Director {{ Name = mon-dir; Password = "mon"; Monitor = yes }}
Device {{ Name = FileStorage; Media Type = File; Archive Device = "{d1}"; Label Media = yes; Random Access = yes; Automatic Mount = yes; Removable Media = no; Always Open = no }}
Device {{ Name = Changer; Media Type = ACFile; Archive Device = "{dac}"; Label Media = yes; Random Access = yes; Count = 2 }}
Messages {{ Name = Standard; director = test-dir = all }}
"#,
        w = root.display(),
        d1 = root.join("vol1").display(),
        dac = root.join("volac").display()
    );
    let loaded = cairn_config::parse_storage_str(&text, "test-sd.conf")?;
    let sd = cairn_sd::start(StartOptions::with_config(loaded.config)).await?;
    Ok(Env { _tmp: tmp, root, sd })
}

// ------------------------------------------------------------------ fake director

/// The fake catalog's volumes.
#[derive(Debug, Clone)]
struct Vol {
    name: String,
    media_id: i64,
    status: String,
    new: bool,
}

#[derive(Debug, Default)]
struct Catalog {
    pool: String,
    vols: Vec<Vol>,
    max_vol_bytes: u64,
    /// Create volumes on demand.
    auto: bool,
    next_id: i64,
}

impl Catalog {
    fn new(pool: &str, max_vol_bytes: u64) -> Arc<Mutex<Catalog>> {
        Arc::new(Mutex::new(Catalog { pool: pool.into(), max_vol_bytes, auto: true, ..Default::default() }))
    }

    fn find(&mut self, unwanted: &[String]) -> Option<MediaInfo> {
        let pick = self.vols.iter().position(|v| v.status == "Append" && !unwanted.contains(&v.name));
        let i = match pick {
            Some(i) => i,
            None if self.auto => {
                self.next_id += 1;
                let name = format!("{}-{:04}", self.pool, self.next_id);
                self.vols.push(Vol { name, media_id: self.next_id, status: "Append".into(), new: true });
                self.vols.len() - 1
            }
            None => return None,
        };
        let v = &self.vols[i];
        Some(MediaInfo {
            vol_name: v.name.clone(),
            media_id: v.media_id,
            vol_status: v.status.clone(),
            max_vol_bytes: self.max_vol_bytes,
            new_volume: v.new,
            pool_name: self.pool.clone(),
            ..Default::default()
        })
    }
}

/// What the fake director saw on one job channel.
#[derive(Debug, Default)]
struct Seen {
    updcats: Vec<(i32, i32, Vec<u8>)>,
    updates: Vec<MediaUpdate>,
    jobmedia: Vec<JobMediaInfo>,
    jmsgs: Vec<Jmsg>,
    end: Option<SdJobEnd>,
    find_media: usize,
}

async fn dir_connect(port: u16) -> Result<Conn, Err> {
    let (c, _) = dial("127.0.0.1", port, &director_hello("test-dir"), &password_key(DIR_PW), "test-dir", Some("3000 OK Hello"), T).await?;
    Ok(c)
}

async fn recv_line(c: &mut Conn) -> Result<String, Err> {
    match c.recv_timeout(T).await? {
        Some(Packet::Data(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Some(Packet::Signal(s)) => Ok(format!("<{}>", s.name())),
        None => Ok("<closed>".into()),
    }
}

struct JobSpec {
    job: String,
    job_id: u32,
    backup: bool,
    device: String,
    media_type: String,
    bootstrap: Option<String>,
}

fn spec(job: &str, job_id: u32, backup: bool, device: &str, media_type: &str) -> JobSpec {
    JobSpec { job: job.into(), job_id, backup, device: device.into(), media_type: media_type.into(), bootstrap: None }
}

/// Set up a job on the SD up to (not including) `run`. Returns the channel, the
/// SD's job answer and the device answer line.
async fn setup_job(port: u16, s: &JobSpec, pool: &str) -> Result<(Conn, SdJobOk, String), Err> {
    let mut c = dir_connect(port).await?;
    let cmd = SdJobCmd {
        job_id: s.job_id,
        job: s.job.clone(),
        job_name: "backup-test".into(),
        client_name: "test-fd".into(),
        job_type: if s.backup { 'B' } else { 'R' },
        level: 'F',
        fileset: "Test Set".into(),
        fileset_md5: "x".into(),
    };
    c.send_text(cmd.to_string()).await?;
    let ok = SdJobOk::parse(&recv_line(&mut c).await?)?;
    if let Some(b) = &s.bootstrap {
        c.send_text("bootstrap\n").await?;
        c.send_text(b.clone()).await?;
        c.send_signal(Signal::Eod).await?;
        let l = recv_line(&mut c).await?;
        assert_eq!(l, "3000 OK bootstrap\n");
    }
    let u = UseStorage {
        storage: "File".into(),
        media_type: s.media_type.clone(),
        pool_name: pool.into(),
        pool_type: "Backup".into(),
        append: s.backup,
    };
    c.send_text(u.to_string()).await?;
    c.send_text(msg::use_device(&s.device)).await?;
    c.send_signal(Signal::Eod).await?;
    let dev = recv_line(&mut c).await?;
    Ok((c, ok, dev))
}

async fn send_run(c: &mut Conn) -> Result<(), Err> {
    c.send_text("run\n").await?;
    let l = recv_line(c).await?;
    assert_eq!(l, "3000 OK run\n");
    Ok(())
}

/// Serve a job channel until `3099`: answer catalog requests from `cat`.
async fn serve_channel(mut c: Conn, cat: Arc<Mutex<Catalog>>) -> Result<Seen, Err> {
    let mut seen = Seen::default();
    loop {
        let p = c.recv_timeout(Duration::from_secs(60)).await?;
        let b = match p {
            Some(Packet::Data(b)) => b,
            Some(Packet::Signal(Signal::Eod)) => {
                if seen.end.is_some() {
                    break;
                }
                continue;
            }
            Some(Packet::Signal(_)) => continue,
            None => break,
        };
        if b.starts_with(b"UpdCat ") {
            let u = UpdCat::parse(&b)?;
            seen.updcats.push((u.file_index, u.stream, u.payload.to_vec()));
            continue;
        }
        let line = String::from_utf8_lossy(&b).into_owned();
        if line.starts_with("CatReq ") {
            match CatReq::parse(&line)? {
                CatReq::FindMedia { unwanted, .. } => {
                    seen.find_media += 1;
                    let found = lock(&cat).find(&unwanted);
                    match found {
                        Some(m) => c.send_text(m.to_string()).await?,
                        None => c.send_text("1901 No Media.\n").await?,
                    }
                }
                CatReq::UpdateMedia { update, .. } => {
                    {
                        let mut k = lock(&cat);
                        if let Some(v) = k.vols.iter_mut().find(|v| v.name == update.vol_name) {
                            v.status = update.vol_status.clone();
                            v.new = false;
                        }
                    }
                    c.send_text(format!("1000 OK UpdateMedia VolStatus={}\n", update.vol_status)).await?;
                    seen.updates.push(update);
                }
                CatReq::CreateJobMedia { jm, .. } => {
                    seen.jobmedia.push(jm);
                    c.send_text("1000 OK CreateJobMedia\n").await?;
                }
            }
        } else if line.starts_with("Jmsg ") {
            seen.jmsgs.push(Jmsg::parse(&line)?);
        } else if line.starts_with("3099 ") {
            seen.end = Some(SdJobEnd::parse(&line)?);
        }
    }
    Ok(seen)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ------------------------------------------------------------------ fake file daemon

async fn fd_connect(port: u16, job: &str, auth: &str) -> Result<Conn, Err> {
    let (c, _) = dial("127.0.0.1", port, &start_job_hello(job), auth, "test-fd", None, T).await?;
    Ok(c)
}

async fn expect(c: &mut Conn, prefix: &str) -> Result<String, Err> {
    let l = recv_line(c).await?;
    if !l.starts_with(prefix) {
        return Err(format!("expected {prefix:?}, got {l:?}").into());
    }
    Ok(l)
}

async fn fd_send_records(c: &mut Conn, recs: &[Rec]) -> Result<(), Err> {
    for (fi, st, frames) in recs {
        c.feed(Packet::text(RecordHeader { file_index: *fi, stream: *st }.to_string())).await?;
        for f in frames {
            c.feed(Packet::Data(f.clone().into())).await?;
        }
        c.feed(Packet::Signal(Signal::Eod)).await?;
    }
    c.flush().await?;
    Ok(())
}

/// Connect, open the append session and start the data (the SD mounts a volume).
async fn fd_begin(port: u16, job: &str, auth: &str) -> Result<(Conn, String), Err> {
    let mut c = fd_connect(port, job, auth).await?;
    c.send_text("append open session\n").await?;
    let t = expect(&mut c, "3000 OK open ticket = ").await?;
    let ticket = t.trim_end().rsplit(' ').next().unwrap_or("0").to_string();
    c.send_text(format!("append data {ticket}\n")).await?;
    expect(&mut c, "3000 OK data").await?;
    Ok((c, ticket))
}

async fn fd_backup(port: u16, job: &str, auth: &str, recs: &[Rec]) -> Result<(), Err> {
    let (c, ticket) = fd_begin(port, job, auth).await?;
    fd_finish(c, &ticket, recs).await
}

/// Send the records and close the session.
async fn fd_finish(mut c: Conn, ticket: &str, recs: &[Rec]) -> Result<(), Err> {
    fd_send_records(&mut c, recs).await?;
    c.send_signal(Signal::Eod).await?;
    expect(&mut c, "3000 OK append data").await?;
    c.send_text(format!("append end session {ticket}\n")).await?;
    expect(&mut c, "3000 OK end").await?;
    c.send_text(format!("append close session {ticket}\n")).await?;
    expect(&mut c, "3000 OK close Status = 84").await?;
    c.send_signal(Signal::Terminate).await?;
    Ok(())
}

async fn fd_restore(port: u16, job: &str, auth: &str) -> Result<Vec<Rec>, Err> {
    let mut c = fd_connect(port, job, auth).await?;
    c.send_text("read open session\n").await?;
    let t = expect(&mut c, "3000 OK open ticket = ").await?;
    let ticket = t.trim_end().rsplit(' ').next().unwrap_or("0").to_string();
    c.send_text(format!("read data {ticket}\n")).await?;
    expect(&mut c, "3000 OK data").await?;
    let mut out: Vec<Rec> = Vec::new();
    let mut cur: Option<Rec> = None;
    loop {
        match c.recv_timeout(T).await? {
            Some(Packet::Data(b)) => match cur.as_mut() {
                None => {
                    let h = RecordHeader::parse(&b)?;
                    cur = Some((h.file_index, h.stream, Vec::new()));
                }
                Some(r) => r.2.push(b.to_vec()),
            },
            Some(Packet::Signal(Signal::Eod)) => match cur.take() {
                Some(r) => out.push(r),
                None => break,
            },
            other => return Err(format!("unexpected {other:?} during read").into()),
        }
    }
    c.send_text(format!("read close session {ticket}\n")).await?;
    expect(&mut c, "3000 OK close").await?;
    c.send_signal(Signal::Terminate).await?;
    Ok(out)
}

/// `n` files: attributes, data in `frames` frames of `size` bytes, an MD5 digest.
fn make_records(n: i32, frames: usize, size: usize, seed: u8) -> Vec<Rec> {
    let mut v = Vec::new();
    for fi in 1..=n {
        let attr = msg::Attributes {
            file_index: fi,
            file_type: msg::file_type::REG,
            path: format!("/data/dir {seed}/file-{fi}.bin"),
            lstat: "P0D BJAEy IG0 B Po Po A b BAA I BdGwCZ A A A".into(),
            link: String::new(),
            extra: String::new(),
            delta_seq: 0,
        };
        v.push((fi, msg::stream::UNIX_ATTRIBUTES, vec![attr.encode()]));
        let data: Vec<Vec<u8>> = (0..frames)
            .map(|k| (0..size).map(|i| (i as u32 * 31 + k as u32 * 7 + fi as u32 * 13 + seed as u32) as u8).collect())
            .collect();
        v.push((fi, msg::stream::FILE_DATA, data));
        v.push((fi, msg::stream::MD5_DIGEST, vec![vec![fi as u8 ^ seed; 16]]));
    }
    v
}

/// Records of one session in a volume, consecutive same-(FileIndex, stream) records
/// grouped, continuations joined.
fn read_volume(path: &Path, session: SessionKey) -> Result<Vec<Rec>, Err> {
    let (mut rd, _) = VolumeReader::open(File::open(path)?)?;
    let mut out: Vec<Rec> = Vec::new();
    let mut joining = false;
    while let Some(e) = rd.next_entry()? {
        if let Entry::Record(r) = e {
            if r.header.session != session {
                continue;
            }
            let (fi, st) = (r.header.file_index, r.header.stream);
            match out.last_mut() {
                Some(last) if last.0 == fi && last.1 == st => {
                    if joining && r.header.split_prev {
                        if let Some(f) = last.2.last_mut() {
                            f.extend_from_slice(&r.data);
                        }
                    } else {
                        last.2.push(r.data);
                    }
                }
                _ => out.push((fi, st, vec![r.data])),
            }
            joining = r.split_next;
        }
    }
    Ok(out)
}

/// Run a whole backup job: director channel + FD. Returns what the director saw.
async fn backup_job(env: &Env, s: &JobSpec, cat: Arc<Mutex<Catalog>>, recs: &[Rec]) -> Result<(Seen, SdJobOk), Err> {
    let pool = lock(&cat).pool.clone();
    let (mut c, ok, dev) = setup_job(env.port(), s, &pool).await?;
    assert!(dev.starts_with("3000 OK use device device="), "{dev}");
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, cat));
    fd_backup(env.port(), &s.job, &ok.authorization, recs).await?;
    let seen = chan.await??;
    Ok((seen, ok))
}

async fn restore_job(env: &Env, s: &JobSpec, bsr: &str) -> Result<(Seen, Vec<Rec>), Err> {
    let mut s2 = JobSpec { bootstrap: Some(bsr.to_string()), ..spec(&s.job, s.job_id, false, &s.device, &s.media_type) };
    s2.backup = false;
    let (mut c, ok, dev) = setup_job(env.port(), &s2, "Full").await?;
    assert!(dev.starts_with("3000 OK use device device="), "{dev}");
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, Catalog::new("Full", 0)));
    let recs = fd_restore(env.port(), &s.job, &ok.authorization).await?;
    let seen = chan.await??;
    Ok((seen, recs))
}

/// A bootstrap from the JobMedia the director saw.
fn bootstrap_for(seen: &Seen, ok: &SdJobOk, cat: &Catalog, file_index: &str) -> String {
    let mut b = String::new();
    for jm in &seen.jobmedia {
        let vol = cat.vols.iter().find(|v| v.media_id == jm.media_id).map(|v| v.name.clone()).unwrap_or_default();
        b.push_str(&format!(
            "Volume=\"{vol}\"\nMediaType=\"File\"\nVolSessionId={}\nVolSessionTime={}\nVolFile={}-{}\nVolBlock={}-{}\nFileIndex={}\n",
            ok.sd_id, ok.sd_time, jm.start_file, jm.end_file, jm.start_block, jm.end_block,
            if file_index.is_empty() { format!("{}-{}", jm.first_index, jm.last_index) } else { file_index.to_string() }
        ));
    }
    b
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_lands_in_volume_and_restores() -> TestResult {
    let env = start_sd().await?;
    let cat = Catalog::new("Full", 0);
    let recs = make_records(5, 3, 5000, 1);
    let s = spec("backup-test.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File");
    let (seen, ok) = backup_job(&env, &s, cat.clone(), &recs).await?;
    let end = seen.end.as_ref().ok_or("no 3099")?;
    assert_eq!(end.status, 'T', "{:?}", seen.jmsgs);
    assert_eq!(end.files, 5);
    assert_eq!((end.vol_session_id, end.vol_session_time), (ok.sd_id, ok.sd_time));
    assert!(seen.jmsgs.iter().any(|j| j.text.contains("Labeled new Volume \"Full-0001\" on device \"FileStorage\" (")), "{:?}", seen.jmsgs);
    // Attributes and digests forwarded, in order, byte for byte.
    let want: Vec<(i32, i32, Vec<u8>)> = recs
        .iter()
        .filter(|r| r.1 == msg::stream::UNIX_ATTRIBUTES || msg::stream::is_digest(r.1))
        .map(|r| (r.0, r.1, r.2[0].clone()))
        .collect();
    assert_eq!(seen.updcats, want);
    // The volume holds every record, frame for frame.
    let session = SessionKey { id: ok.sd_id, time: ok.sd_time as u32 };
    let vol = env.dir1().join("Full-0001");
    assert_eq!(read_volume(&vol, session)?, recs);
    // One JobMedia covering FileIndex 1..5; its start block holds the session label.
    assert_eq!(seen.jobmedia.len(), 1);
    let jm = &seen.jobmedia[0];
    assert_eq!((jm.first_index, jm.last_index, jm.vol_index, jm.media_id), (1, 5, 1, 1));
    assert!(jm.start_block >= 1 && jm.end_block >= jm.start_block, "{jm:?}");
    let (mut rd, label) = VolumeReader::open(File::open(&vol)?)?;
    assert_eq!((label.volume_name.as_str(), label.pool_name.as_str(), label.media_type.as_str()), ("Full-0001", "Full", "File"));
    rd.seek_block(jm.start_block as u32)?;
    assert!(matches!(rd.next_entry()?, Some(Entry::SessionStart(l)) if l.session == session));
    // The final UpdateMedia: Append, counters from the volume.
    let up = seen.updates.last().ok_or("no UpdateMedia")?;
    assert_eq!((up.vol_name.as_str(), up.vol_status.as_str(), up.vol_jobs), ("Full-0001", "Append", 1));
    assert_eq!(up.vol_bytes, std::fs::metadata(&vol)?.len());
    assert!(up.labeled > 0);
    // Restore everything by bootstrap.
    let bsr = bootstrap_for(&seen, &ok, &lock(&cat), "");
    let (rseen, got) = restore_job(&env, &spec("restore.2026-01-01_00.00.01_02", 2, false, "FileStorage", "File"), &bsr).await?;
    assert_eq!(rseen.end.as_ref().map(|e| e.status), Some('T'), "{:?}", rseen.jmsgs);
    assert_eq!(got, recs);
    assert_eq!(rseen.end.as_ref().map(|e| e.files), Some(5));
    // A second backup appends to the same volume after the first session.
    let recs2 = make_records(2, 1, 100, 9);
    let (seen2, ok2) = backup_job(&env, &spec("backup-test.2026-01-01_00.00.02_03", 3, true, "FileStorage", "File"), cat.clone(), &recs2).await?;
    assert_eq!(seen2.end.as_ref().map(|e| e.status), Some('T'));
    assert!(seen2.jmsgs.iter().any(|j| j.text.contains("mounted on device") && j.text.contains("for append")), "{:?}", seen2.jmsgs);
    assert!(seen2.jobmedia[0].start_block > jm.end_block);
    assert_eq!(read_volume(&vol, session)?, recs);
    assert_eq!(read_volume(&vol, SessionKey { id: ok2.sd_id, time: ok2.sd_time as u32 })?, recs2);
    assert_eq!(seen2.updates.last().map(|u| u.vol_jobs), Some(1), "VolJobs = director's count + 1");
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_volume_continues_on_next_and_restores_across_both() -> TestResult {
    let env = start_sd().await?;
    let cat = Catalog::new("Full", 120_000);
    // 6 files of 4 x 9000 bytes ≈ 216 KB: two volumes at least, frames split.
    let recs = make_records(6, 4, 9000, 3);
    let s = spec("span.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File");
    let (seen, ok) = backup_job(&env, &s, cat.clone(), &recs).await?;
    assert_eq!(seen.end.as_ref().map(|e| e.status), Some('T'), "{:?}", seen.jmsgs);
    assert!(seen.jobmedia.len() >= 2, "{:?}", seen.jobmedia);
    let idx: Vec<u32> = seen.jobmedia.iter().map(|j| j.vol_index).collect();
    assert_eq!(idx, (1..=seen.jobmedia.len() as u32).collect::<Vec<_>>());
    assert_eq!(seen.jobmedia[0].first_index, 1);
    assert_eq!(seen.jobmedia.last().map(|j| j.last_index), Some(6));
    for w in seen.jobmedia.windows(2) {
        assert!(w[1].first_index == w[0].last_index || w[1].first_index == w[0].last_index + 1, "{w:?}");
        assert_ne!(w[0].media_id, w[1].media_id);
    }
    // The first volume was reported Full and stays under the limit.
    let first = &seen.updates[0];
    assert_eq!((first.vol_name.as_str(), first.vol_status.as_str()), ("Full-0001", "Full"));
    assert!(std::fs::metadata(env.dir1().join("Full-0001"))?.len() <= 120_000);
    assert!(seen.jmsgs.iter().any(|j| j.text.contains("Labeled new Volume \"Full-0002\"")));
    // The last record on the first volume was cut and continues on the second.
    let (mut rd, _) = VolumeReader::open(File::open(env.dir1().join("Full-0001"))?)?;
    let mut last_split = false;
    while let Some(r) = rd.next_record()? {
        last_split = r.split_next;
    }
    assert!(last_split, "expected a record split across volumes");
    // The second FindMedia named the full volume as unwanted (the fake catalog
    // would otherwise hand it out again only if it were still Append).
    assert!(seen.find_media >= 2);
    // Restore across the volumes: every record, in order, frames rejoined.
    let bsr = bootstrap_for(&seen, &ok, &lock(&cat), "");
    let (rseen, got) = restore_job(&env, &spec("restore.2026-01-01_00.00.01_02", 2, false, "FileStorage", "File"), &bsr).await?;
    assert_eq!(rseen.end.as_ref().map(|e| e.status), Some('T'), "{:?}", rseen.jmsgs);
    assert_eq!(got, recs);
    // A FileIndex subset returns exactly those files.
    let bsr = bootstrap_for(&seen, &ok, &lock(&cat), "2,5");
    let (_, got) = restore_job(&env, &spec("restore.2026-01-01_00.00.02_03", 3, false, "FileStorage", "File"), &bsr).await?;
    let want: Vec<Rec> = recs.iter().filter(|r| r.0 == 2 || r.0 == 5).cloned().collect();
    assert_eq!(got, want);
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_on_two_changer_devices_and_a_third_waits() -> TestResult {
    let env = start_sd().await?;
    let cat = Catalog::new("AC", 0);
    let port = env.port();
    let mut chans = Vec::new();
    let mut oks = Vec::new();
    let mut devs = Vec::new();
    for i in 1..=2u32 {
        let s = spec(&format!("job{i}.2026-01-01_00.00.00_0{i}"), i, true, "Changer", "ACFile");
        let (mut c, ok, dev) = setup_job(port, &s, "AC").await?;
        assert!(dev.starts_with("3000 OK use device device=Changer000"), "{dev}");
        send_run(&mut c).await?;
        devs.push(dev);
        chans.push(tokio::spawn(serve_channel(c, cat.clone())));
        oks.push((s.job.clone(), ok));
    }
    assert_ne!(devs[0], devs[1]);
    // The third job waits for a device: its answer does not come yet.
    let s3 = spec("job3.2026-01-01_00.00.00_03", 3, true, "Changer", "ACFile");
    let third = tokio::spawn(async move { setup_job(port, &s3, "AC").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished());
    let mut st = dir_connect(port).await?;
    st.send_text("status\n").await?;
    let mut text = String::new();
    loop {
        let l = recv_line(&mut st).await?;
        if l == "<BNET_EOD>" {
            break;
        }
        text.push_str(&l);
    }
    assert!(text.contains("Jobs waiting to reserve a drive:\n   3605 JobId=3"), "{text}");
    assert!(text.contains("Job job1.2026-01-01_00.00.00_01 waiting for Client connection."), "{text}");
    assert!(text.contains("Autochanger \"Changer\" with devices:"), "{text}");
    // Both jobs have a volume mounted at once, then both FDs send concurrently;
    // each job appends to its own volume.
    let r1 = make_records(3, 2, 3000, 1);
    let r2 = make_records(4, 2, 3000, 2);
    let (f1, t1) = fd_begin(port, &oks[0].0, &oks[0].1.authorization).await?;
    let (f2, t2) = fd_begin(port, &oks[1].0, &oks[1].1.authorization).await?;
    let (a, b) = tokio::join!(fd_finish(f1, &t1, &r1), fd_finish(f2, &t2, &r2));
    a?;
    b?;
    let mut vols = Vec::new();
    for ch in chans {
        let seen = ch.await??;
        assert_eq!(seen.end.as_ref().map(|e| e.status), Some('T'), "{:?}", seen.jmsgs);
        vols.push(seen.updates.last().map(|u| u.vol_name.clone()).unwrap_or_default());
    }
    assert_ne!(vols[0], vols[1], "two jobs appended to the same volume");
    for ((job, ok), (recs, vol)) in oks.iter().zip([(&r1, &vols[0]), (&r2, &vols[1])]) {
        let got = read_volume(&env.dir_ac().join(vol), SessionKey { id: ok.sd_id, time: ok.sd_time as u32 })?;
        assert_eq!(&got, recs, "{job}");
    }
    // Now the third job gets a device and runs.
    let (mut c3, ok3, dev3) = tokio::time::timeout(T, third).await???;
    assert!(dev3.starts_with("3000 OK use device device=Changer000"), "{dev3}");
    send_run(&mut c3).await?;
    let ch3 = tokio::spawn(serve_channel(c3, cat.clone()));
    let r3 = make_records(2, 1, 10, 3);
    fd_backup(port, "job3.2026-01-01_00.00.00_03", &ok3.authorization, &r3).await?;
    let seen3 = ch3.await??;
    assert_eq!(seen3.end.as_ref().map(|e| e.status), Some('T'));
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_job_leaves_an_appendable_volume() -> TestResult {
    let env = start_sd().await?;
    let cat = Catalog::new("Full", 0);
    let port = env.port();
    let recs = make_records(3, 2, 2000, 5);
    let (seen1, ok1) = backup_job(&env, &spec("first.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File"), cat.clone(), &recs).await?;
    assert_eq!(seen1.end.as_ref().map(|e| e.status), Some('T'));
    // Second job: send some records, then cancel from another connection.
    let s = spec("second.2026-01-01_00.00.00_02", 2, true, "FileStorage", "File");
    let (mut c, ok, _) = setup_job(port, &s, "Full").await?;
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, cat.clone()));
    let mut fd = fd_connect(port, &s.job, &ok.authorization).await?;
    fd.send_text("append open session\n").await?;
    expect(&mut fd, "3000 OK open ticket").await?;
    fd.send_text("append data 2\n").await?;
    expect(&mut fd, "3000 OK data").await?;
    fd_send_records(&mut fd, &make_records(2, 3, 4000, 6)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut k = dir_connect(port).await?;
    k.send_text(format!("cancel Job={}\n", s.job)).await?;
    let l = recv_line(&mut k).await?;
    assert_eq!(l, format!("3000 JobId=2 Job=\"{}\" marked to be canceled.\n", s.job));
    let seen = tokio::time::timeout(T, chan).await???;
    let end = seen.end.ok_or("no 3099")?;
    assert_eq!(end.status, 'A');
    assert_eq!(end.status as u32, 65);
    // The FD's connection was closed.
    let mut closed = false;
    for _ in 0..10 {
        match fd.recv_timeout(T).await {
            Ok(None) | Err(_) => {
                closed = true;
                break;
            }
            Ok(Some(_)) => {}
        }
    }
    assert!(closed);
    // The volume: the first session reads back, and it still opens for append.
    let vol = env.dir1().join("Full-0001");
    assert_eq!(read_volume(&vol, SessionKey { id: ok1.sd_id, time: ok1.sd_time as u32 })?, recs);
    let f = std::fs::OpenOptions::new().read(true).write(true).open(&vol)?;
    let (_w, report) = VolumeWriter::open_append(f)?;
    assert!(report.torn.is_none(), "{report:?}");
    let (mut rd, _) = VolumeReader::open(File::open(&vol)?)?;
    let mut canceled_end = false;
    while let Some(e) = rd.next_entry()? {
        if let Entry::SessionEnd { session, label } = e {
            canceled_end |= session.id == ok.sd_id && label.status == cairn_types::JobStatus::Canceled;
        }
    }
    assert!(canceled_end, "the cancelled session has an end label with status A");
    // The cancelled session got an end label and was reported.
    assert!(seen.updates.last().is_some_and(|u| u.vol_name == "Full-0001"));
    // An unknown job cannot be cancelled.
    k.send_text("cancel Job=nope\n").await?;
    assert_eq!(recv_line(&mut k).await?, "3904 Job nope not found.\n");
    // A later backup still appends.
    let (seen3, _) = backup_job(&env, &spec("third.2026-01-01_00.00.00_03", 3, true, "FileStorage", "File"), cat.clone(), &recs).await?;
    assert_eq!(seen3.end.as_ref().map(|e| e.status), Some('T'));
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_media_fails_the_job_and_missing_volume_fails_restore() -> TestResult {
    let env = start_sd().await?;
    let cat = Catalog::new("Full", 0);
    lock(&cat).auto = false;
    let port = env.port();
    let s = spec("nomedia.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File");
    let (mut c, ok, _) = setup_job(port, &s, "Full").await?;
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, cat.clone()));
    let mut fd = fd_connect(port, &s.job, &ok.authorization).await?;
    fd.send_text("append open session\n").await?;
    expect(&mut fd, "3000 OK open ticket").await?;
    fd.send_text("append data 1\n").await?;
    expect(&mut fd, "3903 Error append data: no appendable volume").await?;
    let seen = chan.await??;
    assert_eq!(seen.end.as_ref().map(|e| e.status), Some('f'));
    assert!(seen.jmsgs.iter().any(|j| j.msg_type == msg::msg_type::FATAL && j.text.contains("no appendable volume")), "{:?}", seen.jmsgs);
    // Restore naming a volume that is not there.
    let r = spec("restore.2026-01-01_00.00.00_02", 2, false, "FileStorage", "File");
    let r = JobSpec { bootstrap: Some("Volume=\"Gone-0001\"\nVolSessionId=1\nVolSessionTime=1\n".into()), ..r };
    let (mut c, ok, _) = setup_job(port, &r, "Full").await?;
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, cat.clone()));
    let mut fd = fd_connect(port, &r.job, &ok.authorization).await?;
    fd.send_text("read open session\n").await?;
    expect(&mut fd, "3000 OK open ticket").await?;
    fd.send_text("read data 2\n").await?;
    expect(&mut fd, "3903 Error read data: Volume \"Gone-0001\" not found").await?;
    let seen = chan.await??;
    assert_eq!(seen.end.as_ref().map(|e| e.status), Some('f'));
    assert!(seen.jmsgs.iter().any(|j| j.msg_type == msg::msg_type::FATAL && j.text.contains("Gone-0001")));
    env.sd.shutdown().await;
    Ok(())
}

async fn command(port: u16, cmd: &str) -> Result<String, Err> {
    let mut c = dir_connect(port).await?;
    c.send_text(cmd.to_string()).await?;
    recv_line(&mut c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_command() -> TestResult {
    let env = start_sd().await?;
    let port = env.port();
    let l = command(port, "label volume=Lab-0001 pool=Full device=FileStorage MediaType=File Slot=0 drive=0\n").await?;
    assert!(l.starts_with("3000 OK label. VolBytes="), "{l}");
    assert!(l.ends_with(" Volume=\"Lab-0001\" Device=\"FileStorage\"\n"), "{l}");
    let bytes: u64 = l.split("VolBytes=").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    let path = env.dir1().join("Lab-0001");
    assert_eq!(std::fs::metadata(&path)?.len(), bytes);
    let (_, label) = VolumeReader::open(File::open(&path)?)?;
    assert_eq!((label.volume_name.as_str(), label.pool_name.as_str(), label.media_type.as_str()), ("Lab-0001", "Full", "File"));
    let again = command(port, "label volume=Lab-0001 pool=Full device=FileStorage MediaType=File Slot=0 drive=0\n").await?;
    assert_eq!(again, "3920 Cannot label Volume because it is already labeled: \"Lab-0001\"\n");
    std::fs::write(env.dir1().join("Junk"), b"not a volume")?;
    let junk = command(port, "label volume=Junk pool=Full device=FileStorage MediaType=File Slot=0 drive=0\n").await?;
    assert!(junk.starts_with("3912 Failed to label Volume Junk:"), "{junk}");
    assert_eq!(std::fs::read(env.dir1().join("Junk"))?, b"not a volume");
    // Through the autochanger name, onto a member's directory.
    let ac = command(port, "label volume=AC-0001 pool=AC device=Changer MediaType=ACFile Slot=0 drive=0\n").await?;
    assert!(ac.starts_with("3000 OK label."), "{ac}");
    assert!(env.dir_ac().join("AC-0001").is_file());
    let bad = command(port, "label volume=../x pool=Full device=FileStorage MediaType=File Slot=0 drive=0\n").await?;
    assert!(bad.starts_with("3912 "), "{bad}");
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_garbage() -> TestResult {
    let env = start_sd().await?;
    let port = env.port();
    // Wrong director password.
    let r = dial("127.0.0.1", port, &director_hello("test-dir"), &password_key("wrong"), "test-dir", Some("3000 OK Hello"), T).await;
    assert!(format!("{:?}", r.err()).contains("Authorization failed"));
    // Unknown director: BNET_TERMINATE.
    let r = dial("127.0.0.1", port, &director_hello("other-dir"), &password_key(DIR_PW), "x", Some("3000 OK Hello"), T).await;
    assert!(format!("{:?}", r.err()).contains("BNET_TERMINATE"));
    // Unknown job.
    let r = dial("127.0.0.1", port, &start_job_hello("nosuchjob.1"), "AAAA", "fd", None, T).await;
    assert!(format!("{:?}", r.err()).contains("BNET_TERMINATE"));
    // Known job, wrong key.
    let s = spec("keyed.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File");
    let (mut c, _ok, _) = setup_job(port, &s, "Full").await?;
    send_run(&mut c).await?;
    let r = dial("127.0.0.1", port, &start_job_hello(&s.job), "WRONG-KEY", "fd", None, T).await;
    assert!(format!("{:?}", r.err()).contains("Authorization failed"));
    // Garbage on one connection closes only that connection.
    let mut other = dir_connect(port).await?;
    let mut g = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    g.write_all(b"\x00\x00\x00\x05hello").await?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(T, g.read_to_end(&mut buf)).await?;
    assert_eq!(buf, vec![0xff, 0xff, 0xff, 0xfc], "BNET_TERMINATE then close");
    let mut t = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    t.write_all(&[0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00]).await?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(T, t.read_to_end(&mut buf)).await?;
    assert_eq!(buf, cairn_proto::conn::TLS_ALERT_HANDSHAKE_FAILURE.to_vec());
    other.send_text("status\n").await?;
    let first = recv_line(&mut other).await?;
    assert!(first.starts_with("test-sd Version: 25.1.1 (04 March 2026) Cairn "), "{first}");
    // Monitor directors may only ask for status.
    let (mut m, _) = dial("127.0.0.1", port, &director_hello("mon-dir"), &password_key("mon"), "mon-dir", Some("3000 OK Hello"), T).await?;
    m.send_text("label volume=X pool=Full device=FileStorage MediaType=File\n").await?;
    assert!(recv_line(&mut m).await?.starts_with("3997 "));
    // The waiting job is cancelled through its channel.
    c.send_text("cancel\n").await?;
    let mut end = String::new();
    for _ in 0..10 {
        let l = recv_line(&mut c).await?;
        if l.starts_with("3099 ") {
            end = l;
            break;
        }
    }
    assert!(end.contains("JobStatus=65"), "{end}");
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_devices_and_used_volumes() -> TestResult {
    let env = start_sd().await?;
    let port = env.port();
    let cat = Catalog::new("Full", 0);
    let s = spec("stat.2026-01-01_00.00.00_01", 7, true, "FileStorage", "File");
    let (mut c, ok, _) = setup_job(port, &s, "Full").await?;
    send_run(&mut c).await?;
    let chan = tokio::spawn(serve_channel(c, cat.clone()));
    let mut fd = fd_connect(port, &s.job, &ok.authorization).await?;
    fd.send_text("append open session\n").await?;
    expect(&mut fd, "3000 OK open ticket").await?;
    fd.send_text("append data 1\n").await?;
    expect(&mut fd, "3000 OK data").await?;
    fd_send_records(&mut fd, &make_records(2, 2, 1000, 1)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut st = dir_connect(port).await?;
    st.send_text("status\n").await?;
    let mut text = String::new();
    loop {
        let l = recv_line(&mut st).await?;
        if l == "<BNET_EOD>" {
            break;
        }
        text.push_str(&l);
    }
    for want in [
        "Daemon started ",
        "Running Jobs:\nWriting: Full Backup job stat.2026-01-01_00.00.00_01 JobId=7 Volume=\"Full-0001\"\n    pool=\"Full\" device=\"FileStorage\" (",
        "    Files=2 Bytes=",
        "Device \"FileStorage\" (",
        ") is mounted with:\n    Volume:      Full-0001\n    Pool:        Full\n    Media type:  File\n    Total Bytes=",
        "    Positioned at File=0 Block=",
        "Device \"Changer0001\" (",
        ") is not open.\n==\n",
        "Used Volume status:\nFull-0001 on device \"FileStorage\" (",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    fd.send_signal(Signal::Eod).await?;
    expect(&mut fd, "3000 OK append data").await?;
    fd.send_signal(Signal::Terminate).await?;
    let seen = chan.await??;
    assert_eq!(seen.end.as_ref().map(|e| (e.status, e.files)), Some(('T', 2)));
    env.sd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_daemon_that_never_connects_fails_the_job() -> TestResult {
    let env = start_sd_with(1).await?;
    let s = spec("lonely.2026-01-01_00.00.00_01", 1, true, "FileStorage", "File");
    let (mut c, _ok, _) = setup_job(env.port(), &s, "Full").await?;
    send_run(&mut c).await?;
    let seen = tokio::time::timeout(T, serve_channel(c, Catalog::new("Full", 0))).await??;
    assert_eq!(seen.end.as_ref().map(|e| e.status), Some('f'));
    assert!(seen.jmsgs.iter().any(|j| j.msg_type == msg::msg_type::FATAL && j.text.contains("Client Connect Wait")), "{:?}", seen.jmsgs);
    // The device is free again.
    let s2 = spec("next.2026-01-01_00.00.00_02", 2, true, "FileStorage", "File");
    let (_c, _, dev) = setup_job(env.port(), &s2, "Full").await?;
    assert_eq!(dev, "3000 OK use device device=FileStorage\n");
    env.sd.shutdown().await;
    Ok(())
}
