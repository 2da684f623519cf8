//! The file daemon driven over real TCP by a fake director and a fake storage
//! daemon written with `cairn_proto`: backup → restore round trips, incremental
//! selection, accurate deletions, an unreadable file, estimate, refusals.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use cairn_config::{FileEntry, FileOptions, FileSetRes, Include};
use cairn_fd::attrs::AttrRecord;
use cairn_proto::auth::{self, password_key};
use cairn_proto::daemon::{self, DaemonHello};
use cairn_proto::msg::{file_type, stream, FdJobCmd, FdJobEnd, Jmsg, LevelCmd, RecordHeader, StorageCmd};
use cairn_proto::{Conn, Packet, Signal};
use tokio::net::{TcpListener, TcpStream};

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The performance check keeps only attribute records.
static DISCARD_DATA: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

const AUTH: &str = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZAB-CDEF";

#[derive(Debug, Clone)]
struct Rec {
    fi: i32,
    stream: i32,
    frames: Vec<Bytes>,
}

/// A fake storage daemon: stores what the FD appends, serves `serve` on reads.
struct FakeSd {
    port: u16,
    stored: Arc<Mutex<Vec<Rec>>>,
    serve: Arc<Mutex<Vec<Rec>>>,
}

async fn fake_sd() -> R<FakeSd> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let port = l.local_addr()?.port();
    let stored = Arc::new(Mutex::new(Vec::new()));
    let serve = Arc::new(Mutex::new(Vec::new()));
    let (st, sv) = (stored.clone(), serve.clone());
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let (st, sv) = (st.clone(), sv.clone());
            tokio::spawn(async move {
                let _ = sd_session(s, st, sv).await;
            });
        }
    });
    Ok(FakeSd { port, stored, serve })
}

async fn sd_session(s: TcpStream, stored: Arc<Mutex<Vec<Rec>>>, serve: Arc<Mutex<Vec<Rec>>>) -> R<()> {
    let mut c = Conn::from_tcp(s);
    let Some(Packet::Data(h)) = c.recv().await? else { return Err("no hello".into()) };
    match daemon::parse_daemon_hello(&h)? {
        DaemonHello::StartJob { .. } => {}
        other => return Err(format!("unexpected hello {other:?}").into()),
    }
    auth::cram_as_server(&mut c, AUTH, "R_STORAGE::test-sd").await?;
    loop {
        let line = match c.recv().await? {
            Some(Packet::Data(b)) => String::from_utf8_lossy(&b).into_owned(),
            Some(Packet::Signal(Signal::Terminate)) | None => return Ok(()),
            Some(Packet::Signal(_)) => continue,
        };
        if line.starts_with("append open session") || line.starts_with("read open session") {
            c.send_text("3000 OK open ticket = 7\n").await?;
        } else if line.starts_with("append data 7") {
            c.send_text("3000 OK data\n").await?;
            let mut cur: Option<Rec> = None;
            loop {
                match c.recv().await? {
                    Some(Packet::Data(b)) => match cur.as_mut() {
                        Some(r) => r.frames.push(b),
                        None => {
                            let h = RecordHeader::parse(&b)?;
                            cur = Some(Rec { fi: h.file_index, stream: h.stream, frames: vec![] });
                        }
                    },
                    Some(Packet::Signal(Signal::Eod)) => match cur.take() {
                        Some(r) if r.stream == stream::UNIX_ATTRIBUTES || !DISCARD_DATA.load(std::sync::atomic::Ordering::Relaxed) => {
                            stored.lock().map_err(|_| "poison")?.push(r)
                        }
                        Some(_) => {}
                        None => break,
                    },
                    other => return Err(format!("unexpected {other:?}").into()),
                }
            }
            c.send_text("3000 OK append data\n").await?;
        } else if line.starts_with("append end session 7") {
            c.send_text("3000 OK end\n").await?;
        } else if line.starts_with("append close session 7") {
            c.send_text("3000 OK close Status = 84\n").await?;
        } else if line.starts_with("read data 7") {
            c.send_text("3000 OK data\n").await?;
            let recs = serve.lock().map_err(|_| "poison")?.clone();
            for r in recs {
                c.feed(Packet::text(RecordHeader { file_index: r.fi, stream: r.stream }.to_string())).await?;
                for f in r.frames {
                    c.feed(Packet::Data(f)).await?;
                }
                c.feed(Packet::Signal(Signal::Eod)).await?;
            }
            c.send_signal(Signal::Eod).await?;
        } else if line.starts_with("read close session 7") {
            c.send_text("3000 OK close\n").await?;
        } else {
            c.send_text(format!("3999 unknown {line}")).await?;
        }
    }
}

struct Fd {
    fd: cairn_fd::FileDaemon,
    port: u16,
    _dir: tempfile::TempDir,
}

async fn start_fd() -> R<Fd> {
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("bareos-fd.conf");
    std::fs::write(
        &cfg,
        format!(
            "Client {{\n  Name = test-fd\n  FD Address = 127.0.0.1\n  FD Port = 9102\n  Working Directory = \"{}\"\n}}\nDirector {{\n  Name = test-dir\n  Password = \"secret\"\n}}\nDirector {{\n  Name = mon-dir\n  Password = \"mon\"\n  Monitor = yes\n}}\n",
            dir.path().display()
        ),
    )?;
    let mut opts = cairn_fd::StartOptions::new(cfg);
    opts.listen_override = Some(vec![cairn_config::ListenAddr { host: Some("127.0.0.1".into()), port: 0 }]);
    let fd = cairn_fd::start(opts).await?;
    let port = fd.addr().ok_or("no addr")?.port();
    Ok(Fd { fd, port, _dir: dir })
}

async fn connect(port: u16) -> R<Conn> {
    let (c, ok) = daemon::dial(
        "127.0.0.1",
        port,
        &daemon::director_hello("test-dir"),
        &password_key("secret"),
        "R_DIRECTOR::test-dir",
        Some("2000 OK Hello"),
        Duration::from_secs(10),
    )
    .await?;
    assert_eq!(ok, "2000 OK Hello 54\n");
    Ok(c)
}

async fn line(c: &mut Conn) -> R<String> {
    match c.recv_timeout(Duration::from_secs(60)).await? {
        Some(Packet::Data(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
        other => Err(format!("expected a line, got {other:?}").into()),
    }
}

async fn expect(c: &mut Conn, cmd: &str, want: &str) -> R<String> {
    c.send_text(cmd.to_string()).await?;
    let l = line(c).await?;
    if !l.starts_with(want) {
        return Err(format!("{cmd:?}: expected {want:?}, got {l:?}").into());
    }
    Ok(l)
}

#[derive(Debug)]
struct JobResult {
    end: FdJobEnd,
    msgs: Vec<Jmsg>,
    lines: Vec<String>,
}

/// Read Jmsg/Progress/… lines until BNET_TERMINATE.
async fn collect(c: &mut Conn) -> R<JobResult> {
    let mut msgs = Vec::new();
    let mut lines = Vec::new();
    let mut end = None;
    loop {
        match c.recv_timeout(Duration::from_secs(120)).await? {
            Some(Packet::Data(b)) => {
                let l = String::from_utf8_lossy(&b).into_owned();
                if l.starts_with("Jmsg ") {
                    msgs.push(Jmsg::parse(&l)?);
                } else if l.starts_with("2800 End Job") {
                    end = Some(FdJobEnd::parse(&l)?);
                } else {
                    lines.push(l);
                }
            }
            Some(Packet::Signal(Signal::Terminate)) => break,
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    Ok(JobResult { end: end.ok_or("no 2800 End Job")?, msgs, lines })
}

async fn setup_job(c: &mut Conn, job: &str, sd: Option<u16>) -> R<()> {
    let j = FdJobCmd { job_id: 1, job: job.into(), sd_id: 1, sd_time: 1, authorization: AUTH.into() };
    let ok = expect(c, &j.to_string(), "2000 OK Job Cairn ").await?;
    assert!(ok.ends_with('\n'));
    if let Some(port) = sd {
        let _ = port;
    }
    Ok(())
}

async fn send_fileset(c: &mut Conn, fs: &FileSetRes) -> R<()> {
    c.send_text("fileset\n").await?;
    c.send(Packet::Data(Bytes::from(serde_json::to_vec(fs)?))).await?;
    c.send_signal(Signal::Eod).await?;
    let l = line(c).await?;
    assert_eq!(l, "2000 OK include\n");
    Ok(())
}

async fn backup(port: u16, sd: &FakeSd, fs: &FileSetRes, level: LevelCmd, accurate: Option<Vec<Vec<u8>>>) -> R<(JobResult, Vec<Rec>)> {
    sd.stored.lock().map_err(|_| "poison")?.clear();
    let mut c = connect(port).await?;
    setup_job(&mut c, "backup.2026-03-04_10.00.00_01", None).await?;
    expect(&mut c, &level.to_string(), "2000 OK level").await?;
    send_fileset(&mut c, fs).await?;
    if let Some(list) = accurate {
        c.send_text(format!("accurate files={}\n", list.len())).await?;
        for f in list {
            c.feed(Packet::Data(Bytes::from(f))).await?;
        }
        c.send_signal(Signal::Eod).await?;
        assert_eq!(line(&mut c).await?, "2000 OK accurate\n");
    }
    expect(&mut c, &StorageCmd { address: "127.0.0.1".into(), port: sd.port }.to_string(), "2000 OK storage").await?;
    c.send_text("backup FileIndex=0\n").await?;
    let r = collect(&mut c).await?;
    assert!(r.lines.iter().any(|l| l == "2000 OK backup\n"), "{:?}", r.lines);
    let recs = sd.stored.lock().map_err(|_| "poison")?.clone();
    Ok((r, recs))
}

async fn restore(port: u16, sd: &FakeSd, recs: Vec<Rec>, cmd: &str) -> R<JobResult> {
    *sd.serve.lock().map_err(|_| "poison")? = recs;
    let mut c = connect(port).await?;
    setup_job(&mut c, "restore.2026-03-04_10.00.00_02", None).await?;
    expect(&mut c, &StorageCmd { address: "127.0.0.1".into(), port: sd.port }.to_string(), "2000 OK storage").await?;
    expect(&mut c, cmd, "2000 OK restore").await?;
    collect(&mut c).await
}

fn opts() -> FileOptions {
    serde_json::from_value(serde_json::json!({
        "signature": null, "compression": null, "wild": [], "wild_dir": [], "wild_file": [], "regex": [],
        "regex_dir": [], "regex_file": [], "exclude": false, "ignore_case": false, "one_fs": true, "recurse": true,
        "fs_type": [], "drive_type": [], "acl_support": true, "xattr_support": true, "hard_links": true,
        "sparse": false, "read_fifo": false, "portable": false, "mtime_only": false, "keep_atime": false,
        "no_atime": true, "check_file_changes": false, "honor_nodump": false, "hfsplus_support": false,
        "enhanced_wild": false, "strip_path": 0, "size": null, "shadowing": null, "auto_exclude": false,
        "accurate": null, "verify": null, "basejob": null, "replace": null, "plugin": null,
        "force_encryption": false, "meta": []
    }))
    .unwrap_or_else(|e| panic!("options json: {e}"))
}

fn fileset(paths: &[&Path], o: FileOptions) -> FileSetRes {
    FileSetRes {
        name: "Test Set".into(),
        description: None,
        includes: vec![Include {
            files: paths.iter().map(|p| FileEntry::Path(p.display().to_string())).collect(),
            plugins: vec![],
            exclude_dir_containing: vec![],
            options: vec![o],
        }],
        excludes: vec![],
        ignore_fileset_changes: false,
        enable_vss: false,
    }
}

fn set_mtime(p: &Path, secs: u64) -> std::io::Result<()> {
    let f = std::fs::File::options().write(true).open(p)?;
    f.set_times(std::fs::FileTimes::new().set_modified(UNIX_EPOCH + Duration::from_secs(secs)).set_accessed(UNIX_EPOCH + Duration::from_secs(secs - 100)))
}

fn set_mtime_nofollow(p: &Path, secs: i64) -> R<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    utimensat(nix::fcntl::AT_FDCWD, p, &TimeSpec::new(secs - 100, 0), &TimeSpec::new(secs, 0), UtimensatFlags::NoFollowSymlink)?;
    Ok(())
}

/// The generated tree.
fn make_tree(root: &Path) -> R<()> {
    std::fs::create_dir_all(root.join("a/b/c"))?;
    std::fs::create_dir_all(root.join("empty"))?;
    std::fs::create_dir_all(root.join("odd names"))?;
    std::fs::write(root.join("a/one.txt"), b"one\n")?;
    std::fs::write(root.join("a/b/two.txt"), b"two two\n")?;
    std::fs::write(root.join("a/b/c/three.bin"), (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>())?;
    std::fs::write(root.join("zero"), b"")?;
    // multi-MiB: half random-ish, half compressible
    let mut big = Vec::with_capacity(5 << 20);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for i in 0..(5usize << 20) {
        if i < (5 << 19) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            big.push(x as u8);
        } else {
            big.push(b"compressible "[i % 13]);
        }
    }
    std::fs::write(root.join("big.dat"), &big)?;
    // sparse: 16 MiB with data at 1 MiB and 9 MiB + a few bytes at the end
    let sp = std::fs::File::create(root.join("sparse.img"))?;
    sp.set_len(16 << 20)?;
    use std::os::unix::fs::FileExt;
    sp.write_all_at(b"data at one MiB", 1 << 20)?;
    sp.write_all_at(&[7u8; 70_000], 9 << 20)?;
    sp.write_all_at(b"end", (16 << 20) - 3)?;
    drop(sp);
    std::fs::write(root.join("odd names/ünïcødé ✓.txt"), "unicode\n")?;
    std::fs::write(root.join("odd names/with space"), b"space\n")?;
    std::fs::write(root.join("odd names/new\nline"), b"newline\n")?;
    std::fs::write(root.join("odd names/-dash"), b"dash\n")?;
    // hard links: three names, two directories
    std::fs::write(root.join("a/h1"), b"hard linked content\n")?;
    std::fs::hard_link(root.join("a/h1"), root.join("a/h2"))?;
    std::fs::hard_link(root.join("a/h1"), root.join("a/b/h3"))?;
    // symlinks: relative, absolute, dangling, to a directory
    std::os::unix::fs::symlink("b/two.txt", root.join("a/rel-link"))?;
    std::os::unix::fs::symlink("/etc/hostname", root.join("abs-link"))?;
    std::os::unix::fs::symlink("does/not/exist", root.join("dangling"))?;
    std::os::unix::fs::symlink("a/b", root.join("dir-link"))?;
    nix::unistd::mkfifo(&root.join("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o640))?;
    std::fs::set_permissions(root.join("a/one.txt"), std::fs::Permissions::from_mode(0o600))?;
    std::fs::set_permissions(root.join("a/b/c/three.bin"), std::fs::Permissions::from_mode(0o755))?;
    std::fs::set_permissions(root.join("empty"), std::fs::Permissions::from_mode(0o700))?;
    // times: files first, then links, then directories deepest first
    let mut t = 1_600_000_000u64;
    for f in ["a/one.txt", "a/b/two.txt", "a/b/c/three.bin", "zero", "big.dat", "sparse.img", "odd names/ünïcødé ✓.txt", "odd names/with space", "odd names/new\nline", "odd names/-dash", "a/h1", "fifo"] {
        t += 1000;
        if f == "fifo" {
            set_mtime_nofollow(&root.join(f), t as i64)?;
        } else {
            set_mtime(&root.join(f), t)?;
        }
    }
    for l in ["a/rel-link", "abs-link", "dangling", "dir-link"] {
        t += 1000;
        set_mtime_nofollow(&root.join(l), t as i64)?;
    }
    for d in ["a/b/c", "a/b", "a", "empty", "odd names"] {
        t += 1000;
        set_mtime_nofollow(&root.join(d), t as i64)?;
    }
    Ok(())
}

#[derive(Debug, PartialEq)]
struct Info {
    kind: &'static str,
    mode: u32,
    size: u64,
    mtime: i64,
    nlink: u64,
    link: Option<PathBuf>,
    content: Option<Vec<u8>>,
}

fn snapshot(root: &Path) -> R<BTreeMap<PathBuf, Info>> {
    fn rec(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Info>) -> R<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            let md = std::fs::symlink_metadata(&p)?;
            let ft = md.file_type();
            let kind = if ft.is_dir() { "dir" } else if ft.is_symlink() { "link" } else if ft.is_file() { "file" } else { "other" };
            out.insert(
                p.strip_prefix(root)?.to_path_buf(),
                Info {
                    kind,
                    mode: md.mode(),
                    size: if ft.is_dir() { 0 } else { md.size() },
                    mtime: md.mtime(),
                    nlink: if ft.is_dir() { 0 } else { md.nlink() },
                    link: if ft.is_symlink() { Some(std::fs::read_link(&p)?) } else { None },
                    content: if ft.is_file() { Some(std::fs::read(&p)?) } else { None },
                },
            );
            if ft.is_dir() {
                rec(root, &p, out)?;
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    // read contents after all metadata reads of a directory is fine: mtime is not touched by reads
    rec(root, root, &mut out)?;
    Ok(out)
}

fn attrs_of(recs: &[Rec]) -> Vec<AttrRecord> {
    recs.iter()
        .filter(|r| r.stream == stream::UNIX_ATTRIBUTES)
        .filter_map(|r| AttrRecord::decode(&r.frames.concat()))
        .collect()
}

async fn round_trip(o: FileOptions, label: &str) -> R<()> {
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    make_tree(&src)?;
    let before = snapshot(&src)?;
    let fd = start_fd().await?;
    let sd = fake_sd().await?;
    let fs = fileset(&[&src], o);
    let (r, recs) = backup(fd.port, &sd, &fs, LevelCmd::Full { accurate: false, mtime_only: false }, None).await?;
    assert_eq!(r.end.status, 'T', "{label}: {:?}", r.msgs);
    let attrs = attrs_of(&recs);
    assert_eq!(r.end.files as usize, attrs.len());
    // FileIndexes strictly increase; directories come after their contents
    let fis: Vec<i32> = attrs.iter().map(|a| a.file_index).collect();
    assert!(fis.windows(2).all(|w| w[0] < w[1]), "{fis:?}");
    let pos = |suffix: &str| attrs.iter().position(|a| a.path.ends_with(suffix.as_bytes()));
    assert!(pos("/a/b/c/three.bin") < pos("/a/b/c/") && pos("/a/b/") < pos("/a/"));
    assert_eq!(attrs.last().map(|a| a.file_type), Some(file_type::DIREND));
    // hard links: one master, two FT_LNKSAVED pointing at its FileIndex
    let saved: Vec<&AttrRecord> = attrs.iter().filter(|a| a.file_type == file_type::LNKSAVED).collect();
    assert_eq!(saved.len(), 2, "{label}");
    let master = attrs.iter().find(|a| a.path.ends_with(b"/a/b/h3")).ok_or("no h3")?;
    assert_eq!(master.file_type, file_type::REG);
    for s in &saved {
        let l = cairn_types::lstat::Lstat::decode(&s.lstat).ok_or("lstat")?;
        assert_eq!(l.link_fi, master.file_index as i64);
    }
    // the sparse file is not sent in full
    let sparse_fi = attrs.iter().find(|a| a.path.ends_with(b"sparse.img")).ok_or("no sparse")?.file_index;
    let sparse_bytes: usize = recs.iter().filter(|r| r.fi == sparse_fi && r.stream != 1).flat_map(|r| r.frames.iter()).map(|f| f.len()).sum();
    assert!(sparse_bytes < 1 << 20, "{label}: sparse file sent {sparse_bytes} bytes");
    assert!(recs.iter().all(|r| r.frames.iter().all(|f| f.len() <= 256 * 1024)));

    let dst = work.path().join("restore");
    let where_ = dst.display().to_string().replace(' ', "\u{1}");
    let rr = restore(fd.port, &sd, recs.clone(), &format!("restore replace=a prelinks=0 where={where_}\n")).await?;
    assert_eq!(rr.end.status, 'T', "{label}: {:?}", rr.msgs);
    let restored_root = dst.join(src.strip_prefix("/")?);
    let after = snapshot(&restored_root)?;
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "{label}");
    for (k, b) in &before {
        let a = &after[k];
        assert_eq!(b, a, "{label}: {}", k.display());
    }
    let sp = std::fs::metadata(restored_root.join("sparse.img"))?;
    assert!(sp.blocks() * 512 < sp.size() / 2, "{label}: restored sparse file is not sparse");
    // restoring again with replace=never skips everything
    let rr = restore(fd.port, &sd, recs.clone(), &format!("restore replace=n prelinks=0 where={where_}\n")).await?;
    assert_eq!(rr.end.status, 'T');
    assert!(rr.msgs.iter().any(|m| m.text.contains("File skipped. Already exists:")));
    // a tampered digest is detected
    let mut bad = recs.clone();
    if let Some(d) = bad.iter_mut().find(|r| cairn_proto::msg::stream::is_digest(r.stream)) {
        let mut v = d.frames.concat();
        v[0] ^= 0xff;
        d.frames = vec![Bytes::from(v)];
        let dst2 = work.path().join("restore2");
        let rr = restore(fd.port, &sd, bad, &format!("restore replace=a prelinks=0 where={}\n", dst2.display())).await?;
        assert_eq!(rr.end.status, 'W', "{label}");
        assert!(rr.msgs.iter().any(|m| m.text.contains("Digest mismatch")));
    }
    fd.fd.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_lz4_sparse_md5() -> R<()> {
    let o = FileOptions { signature: Some("MD5".into()), compression: Some("LZ4".into()), sparse: true, ..opts() };
    round_trip(o, "lz4+sparse+md5").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_plain_sparse_xxh128() -> R<()> {
    let o = FileOptions { signature: Some("XXH128".into()), sparse: true, ..opts() };
    round_trip(o, "plain+sparse+xxh128").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_plain_sha256_gzip_warns() -> R<()> {
    // GZIP is accepted with a warning and stored as LZ4; sparse off: holes sent as zeros
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    std::fs::create_dir(&src)?;
    std::fs::write(src.join("f"), vec![b'x'; 300_000])?;
    let fd = start_fd().await?;
    let sd = fake_sd().await?;
    let fs = fileset(&[&src], FileOptions { signature: Some("SHA256".into()), compression: Some("GZIP".into()), ..opts() });
    let (r, recs) = backup(fd.port, &sd, &fs, LevelCmd::Full { accurate: false, mtime_only: false }, None).await?;
    assert_eq!(r.end.status, 'T');
    assert!(r.msgs.iter().any(|m| m.text.contains("GZIP") && m.msg_type == 5), "{:?}", r.msgs);
    assert!(recs.iter().any(|r| r.stream == stream::COMPRESSED_DATA));
    assert!(recs.iter().any(|r| r.stream == stream::SHA256_DIGEST && r.frames.concat().len() == 32));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_accurate_and_errors() -> R<()> {
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    std::fs::create_dir_all(src.join("d/sub"))?;
    for f in ["keep", "change", "gone", "d/sub/x", "d/y"] {
        std::fs::write(src.join(f), f.as_bytes())?;
        set_mtime(&src.join(f), 1_600_000_000)?;
    }
    let fd = start_fd().await?;
    let sd = fake_sd().await?;
    let fs = fileset(&[&src], FileOptions { signature: Some("SHA1".into()), ..opts() });
    let (r, full) = backup(fd.port, &sd, &fs, LevelCmd::Full { accurate: true, mtime_only: false }, Some(vec![])).await?;
    assert_eq!(r.end.status, 'T');
    let full_attrs = attrs_of(&full);
    assert_eq!(full_attrs.len(), 8);

    // incremental since a time after the files' mtime, by mtime only
    set_mtime(&src.join("change"), 1_700_000_000)?;
    let lvl = LevelCmd::Since { since: 1_650_000_000, prev_job: "j.0".into(), accurate: false, mtime_only: true };
    let (r, inc) = backup(fd.port, &sd, &fs, lvl, None).await?;
    assert_eq!(r.end.status, 'T');
    let names: Vec<String> = attrs_of(&inc).iter().map(|a| String::from_utf8_lossy(&a.path).replace(&src.display().to_string(), "")).collect();
    assert_eq!(names, ["/change", "/d/sub/", "/d/", "/"], "directories are always sent");
    // ctime counts when mtime_only is off: everything was created just now
    let lvl = LevelCmd::Since { since: 1_650_000_000, prev_job: "j.0".into(), accurate: false, mtime_only: false };
    let (_, inc) = backup(fd.port, &sd, &fs, lvl, None).await?;
    assert_eq!(attrs_of(&inc).len(), 8);

    // accurate: deletions and a new file; unchanged files are not sent
    let list: Vec<Vec<u8>> = full_attrs.iter().map(|a| [a.path.as_slice(), b"\0", a.lstat.as_bytes(), b"\0\0"].concat()).collect();
    std::fs::remove_file(src.join("gone"))?;
    std::fs::remove_dir_all(src.join("d/sub"))?;
    std::fs::write(src.join("new"), b"new")?;
    let lvl = LevelCmd::Since { since: 4_000_000_000, prev_job: "j.0".into(), accurate: true, mtime_only: false };
    let (r, acc) = backup(fd.port, &sd, &fs, lvl, Some(list)).await?;
    assert_eq!(r.end.status, 'T', "{:?}", r.msgs);
    let a = attrs_of(&acc);
    let show = |t: u32| -> Vec<String> {
        a.iter().filter(|x| x.file_type == t).map(|x| String::from_utf8_lossy(&x.path).replace(&src.display().to_string(), "")).collect()
    };
    let mut deleted = show(file_type::DELETED);
    deleted.sort();
    assert_eq!(deleted, ["/d/sub/", "/d/sub/x", "/gone"]);
    // "change" got a new mtime after the full backup the list comes from
    assert_eq!(show(file_type::REG), ["/change", "/new"]);
    assert!(a.iter().all(|x| x.file_index > 0));

    // an unreadable (when not root) and a vanished file: warnings, status W, the rest saved
    let secret = src.join("secret");
    std::fs::write(&secret, b"s")?;
    let is_root = nix::unistd::geteuid().is_root();
    if !is_root {
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000))?;
    }
    let missing = src.join("no-such-file");
    let fs2 = fileset(&[&src, &missing], opts());
    let (r, recs) = backup(fd.port, &sd, &fs2, LevelCmd::Full { accurate: false, mtime_only: false }, None).await?;
    assert_eq!(r.end.status, 'W', "{:?}", r.msgs);
    assert!(r.msgs.iter().any(|m| m.text.contains("no-such-file") && m.text.contains("ERR=No such file or directory")));
    if !is_root {
        assert!(r.msgs.iter().any(|m| m.text.contains("Cannot open") && m.text.contains("secret")));
        assert_eq!(r.end.errors, 2);
    } else {
        assert_eq!(r.end.errors, 1);
    }
    assert!(attrs_of(&recs).iter().any(|x| x.path.ends_with(b"/keep")));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimate_status_and_refusals() -> R<()> {
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    std::fs::create_dir_all(src.join("d"))?;
    std::fs::write(src.join("a"), vec![1u8; 1000])?;
    std::fs::write(src.join("d/b"), vec![1u8; 234])?;
    std::fs::hard_link(src.join("a"), src.join("a2"))?;
    std::os::unix::fs::symlink("a", src.join("l"))?;
    let fd = start_fd().await?;
    let mut c = connect(fd.port).await?;
    setup_job(&mut c, "est.1", None).await?;
    expect(&mut c, &LevelCmd::Full { accurate: false, mtime_only: false }.to_string(), "2000 OK level").await?;
    send_fileset(&mut c, &fileset(&[&src], opts())).await?;
    c.send_text("estimate listing=1\n").await?;
    let mut listing = Vec::new();
    let end = loop {
        let l = line(&mut c).await?;
        if l.starts_with("2000 OK estimate") {
            break l;
        }
        listing.push(l);
    };
    // a, a2 (hard link, counted once in bytes), d/b, d/, l, src/
    assert_eq!(end, "2000 OK estimate files=6 bytes=1234\n");
    assert_eq!(listing.len(), 6);
    assert!(listing.iter().any(|l| l.starts_with("-rw-r--r--") && l.contains("  2 ") && l.ends_with("/a\n")), "{listing:?}");
    assert!(listing.iter().any(|l| l.starts_with("lrwxrwxrwx") && l.ends_with("/l -> a\n")), "{listing:?}");
    c.send_text("estimate listing=0\n").await?;
    assert_eq!(line(&mut c).await?, "2000 OK estimate files=6 bytes=1234\n");

    // status on its own connection
    let mut s = connect(fd.port).await?;
    s.send_text("status\n").await?;
    let mut text = String::new();
    loop {
        match s.recv_timeout(Duration::from_secs(10)).await? {
            Some(Packet::Data(b)) => text.push_str(&String::from_utf8_lossy(&b)),
            Some(Packet::Signal(Signal::Eod)) => break,
            other => return Err(format!("{other:?}").into()),
        }
    }
    assert!(text.starts_with("test-fd Version: 25.1.1 (04 March 2026) Cairn "), "{text}");
    assert!(text.contains("Daemon started ") && text.contains("JobId 1 Job est.1 is running."), "{text}");
    // cancel of an unknown job
    expect(&mut s, "cancel Job=nope\n", "2901 Job nope not found.").await?;
    expect(&mut s, "cancel Job=est.1\n", "2001 Job est.1 marked to be canceled.").await?;

    // wrong password
    let r = daemon::dial(
        "127.0.0.1",
        fd.port,
        &daemon::director_hello("test-dir"),
        &password_key("wrong"),
        "R_DIRECTOR::test-dir",
        Some("2000 OK Hello"),
        Duration::from_secs(5),
    )
    .await;
    assert!(r.is_err());
    // unknown director: BNET_TERMINATE
    let mut raw = Conn::from_tcp(TcpStream::connect(("127.0.0.1", fd.port)).await?);
    raw.send_text(daemon::director_hello("intruder")).await?;
    assert_eq!(raw.recv_timeout(Duration::from_secs(5)).await?, Some(Packet::Signal(Signal::Terminate)));
    // garbage closes only that connection
    let mut raw = Conn::from_tcp(TcpStream::connect(("127.0.0.1", fd.port)).await?);
    raw.send_text("GET / HTTP/1.1\r\n\r\n").await?;
    assert_eq!(raw.recv_timeout(Duration::from_secs(5)).await?, Some(Packet::Signal(Signal::Terminate)));
    // TLS ClientHello gets the alert
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut t = TcpStream::connect(("127.0.0.1", fd.port)).await?;
    t.write_all(&[0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00]).await?;
    let mut buf = [0u8; 7];
    tokio::time::timeout(Duration::from_secs(5), t.read_exact(&mut buf)).await??;
    assert_eq!(buf, cairn_proto::conn::TLS_ALERT_HANDSHAKE_FAILURE);
    // a monitor director may only ask for status
    let (mut m, _) = daemon::dial(
        "127.0.0.1",
        fd.port,
        &daemon::director_hello("mon-dir"),
        &password_key("mon"),
        "R_DIRECTOR::mon-dir",
        Some("2000 OK Hello"),
        Duration::from_secs(5),
    )
    .await?;
    expect(&mut m, "JobId=1 Job=x SDid=1 SDtime=1 Authorization=x\n", "2997 ").await?;
    // the daemon still serves a good director
    let _ok = connect(fd.port).await?;
    drop(c);
    fd.fd.shutdown().await;
    Ok(())
}

/// Not a test: `cargo test -p cairn-fd --release --test fd -- --ignored --nocapture perf`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn perf() -> R<()> {
    DISCARD_DATA.store(true, std::sync::atomic::Ordering::Relaxed);
    let work = tempfile::tempdir()?;
    let small = work.path().join("small");
    let mut x: u64 = 1;
    for d in 0..100 {
        let dir = small.join(format!("d{d:03}"));
        std::fs::create_dir_all(&dir)?;
        for f in 0..200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = 1024 + (x >> 33) as usize % (15 * 1024);
            let v: Vec<u8> = if f % 2 == 0 { vec![b'a'; n] } else { (0..n).map(|i| (x >> (i % 56)) as u8 ^ i as u8).collect() };
            std::fs::write(dir.join(format!("f{f:04}")), v)?;
        }
    }
    let large = work.path().join("large");
    std::fs::create_dir_all(&large)?;
    let mut v = vec![0u8; 256 << 20];
    for (i, b) in v.iter_mut().enumerate() {
        *b = if i < (128 << 20) { (i as u64).wrapping_mul(2654435761) as u8 } else { b"compress me "[i % 12] };
    }
    std::fs::write(large.join("big"), &v)?;
    drop(v);
    let fd = start_fd().await?;
    let sd = fake_sd().await?;
    for (name, path, o) in [
        ("20k small, plain+MD5", &small, FileOptions { signature: Some("MD5".into()), ..opts() }),
        ("20k small, LZ4+XXH128", &small, FileOptions { signature: Some("XXH128".into()), compression: Some("LZ4".into()), ..opts() }),
        ("256 MiB, plain+MD5", &large, FileOptions { signature: Some("MD5".into()), ..opts() }),
        ("256 MiB, LZ4+XXH128", &large, FileOptions { signature: Some("XXH128".into()), compression: Some("LZ4".into()), ..opts() }),
    ] {
        let t = std::time::Instant::now();
        let (r, _) = backup(fd.port, &sd, &fileset(&[path], o), LevelCmd::Full { accurate: false, mtime_only: false }, None).await?;
        let s = t.elapsed().as_secs_f64();
        eprintln!("{name}: {s:.2} s, {} files, {:.0} MB/s read, {} bytes sent", r.end.files, r.end.read_bytes as f64 / s / 1e6, r.end.bytes);
    }
    Ok(())
}
