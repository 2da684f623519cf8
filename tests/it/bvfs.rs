//! The bvfs API end to end: back up a real tree (Full, then Incremental), build the
//! cache, browse it the way bareos-webui and python-bareos do (JSON), look at file
//! versions, and restore a bvfs selection with `restore file=?b2<n>`.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cairn_proto::DirectorClient;
use serde_json::{Value, json};

use crate::backup_restore::make_tree;
use crate::cluster::{Cluster, ClusterOpts, run_and_expect};

const DIR_KEYS: &[&str] = &["type", "pathid", "fileid", "jobid", "lstat", "name", "fullpath", "stat", "linkfileindex"];
const FILE_KEYS: &[&str] = &["type", "pathid", "fileid", "jobid", "lstat", "name", "stat", "linkfileindex"];
const VERSION_KEYS: &[&str] =
    &["type", "pathid", "fileid", "jobid", "lstat", "md5", "volumename", "volumeinchanger", "stat"];
const STAT_KEYS: &[&str] =
    &["dev", "ino", "mode", "nlink", "uid", "gid", "user", "group", "rdev", "size", "atime", "mtime", "ctime"];

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| a.iter().filter_map(|e| e["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn entry<'a>(list: &'a Value, name: &str) -> Result<&'a Value> {
    list.as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name))
        .with_context(|| format!("no entry {name:?} in {list}"))
}

async fn lsdirs(c: &mut DirectorClient, args: &str) -> Result<Value> {
    Ok(c.json(&format!(".bvfs_lsdirs {args}")).await?["directories"].clone())
}

async fn lsfiles(c: &mut DirectorClient, args: &str) -> Result<Value> {
    Ok(c.json(&format!(".bvfs_lsfiles {args}")).await?["files"].clone())
}

/// The error messages of a failed JSON command.
async fn json_error(c: &mut DirectorClient, cmd: &str) -> Result<String> {
    match c.json(cmd).await {
        Ok(v) => bail!("{cmd} succeeded: {v}"),
        Err(cairn_proto::ProtoError::CommandFailed { errors, .. }) => Ok(errors.join("")),
        Err(e) => Err(e.into()),
    }
}

/// Regular files (relative paths) under a directory.
fn regular_files(root: &Path) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            let ft = e.file_type()?;
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.insert(e.path().strip_prefix(root)?.display().to_string());
            }
        }
    }
    Ok(out)
}

#[tokio::test]
async fn bvfs_browse_versions_and_restore_a_selection() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let include = format!("    Options {{\n      HardLinks = yes\n    }}\n    File = \"{}\"", data.display());
    let cl = Cluster::start(ClusterOpts { include, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let full = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    std::thread::sleep(Duration::from_millis(1100));
    fs::write(data.join("small.txt"), b"changed after the full\n")?;
    fs::write(data.join("nested/added.txt"), b"added by the incremental\n")?;
    let incr = run_and_expect(&mut c, "run job=backup level=Incremental yes", &["T"]).await?;

    // The chain needed for the incremental; `all` (one FileSet here) gives the same.
    let v = c.json(&format!(".bvfs_get_jobids jobid={incr}")).await?;
    assert_eq!(v, json!({"jobids": [{"id": full.to_string()}, {"id": incr.to_string()}]}));
    assert_eq!(c.json(&format!(".bvfs_get_jobids jobid={incr} all")).await?, v);
    assert_eq!(c.json(&format!(".bvfs_get_jobids jobid={full}")).await?, json!({"jobids": [{"id": full.to_string()}]}));
    let err = json_error(&mut c, ".bvfs_get_jobids jobid=999").await?;
    assert_eq!(err, "Unable to get Job record for JobId=999: ERR=No Job found for JobId 999\n");

    let ids = format!("{full},{incr}");
    assert_eq!(c.json(&format!(".bvfs_update jobid={ids}")).await?, json!({}));
    let v = c.json(".sql query=\"SELECT JobId, HasCache FROM Job ORDER BY JobId\"").await?;
    assert_eq!(v["query"], json!([{"jobid": full.to_string(), "hascache": "1"}, {"jobid": incr.to_string(), "hascache": "1"}]));
    let err = json_error(&mut c, ".bvfs_update jobid=999").await?;
    assert_eq!(err, "ERROR: BVFS reported a problem for 999\n");

    // The root: `.` (the empty path) and `/`.
    let root = lsdirs(&mut c, &format!("jobid={ids} path=")).await?;
    assert_eq!(names(&root), vec![".", "/"], "{root}");
    let slash = entry(&root, "/")?;
    assert_eq!(keys(slash), DIR_KEYS);
    assert_eq!(keys(&slash["stat"]), STAT_KEYS);
    assert_eq!(slash["type"], "D");
    assert_eq!((slash["fileid"].clone(), slash["jobid"].clone()), (json!(0), json!(0)), "/ was not backed up: {slash}");
    assert_eq!(slash["lstat"], "A A A A A A A A A A A A A A");
    assert_eq!(slash["fullpath"], "/");
    assert!(slash["pathid"].as_i64().is_some_and(|p| p > 0), "{slash}");
    assert_eq!(entry(&root, ".")?["fullpath"], ".");

    // Walk down to the backed-up directory by pathid, as a browser does.
    let mut pathid = slash["pathid"].as_i64().context("pathid")?;
    let mut here = String::from("/");
    for comp in data.strip_prefix("/")?.components() {
        let comp = comp.as_os_str().to_string_lossy().into_owned();
        let l = lsdirs(&mut c, &format!("jobid={ids} pathid={pathid}")).await?;
        assert_eq!(names(&l)[..2], [".".to_string(), "..".to_string()], "{l}");
        assert_eq!(entry(&l, ".")?["pathid"], pathid);
        let e = entry(&l, &format!("{comp}/"))?;
        here.push_str(&comp);
        here.push('/');
        assert_eq!(e["fullpath"], here.as_str());
        pathid = e["pathid"].as_i64().context("pathid")?;
    }
    let data_pathid = pathid;
    let dirs = lsdirs(&mut c, &format!("jobid={ids} pathid={data_pathid}")).await?;
    assert_eq!(names(&dirs), vec![".", "..", "empty-dir/", "nested/", "odd names/"], "{dirs}");
    let dot = entry(&dirs, ".")?;
    assert!(dot["fileid"].as_i64().is_some_and(|f| f > 0), "the backed-up directory has its record: {dot}");
    assert_ne!(dot["lstat"], "A A A A A A A A A A A A A A");
    assert_eq!(entry(&dirs, "..")?["fileid"], 0, "the parent was not backed up");
    // path= gives the same listing as pathid=.
    assert_eq!(lsdirs(&mut c, &format!("jobid={ids} path={}/", data.display())).await?, dirs);
    // Pagination covers `.` and `..` too.
    let page = lsdirs(&mut c, &format!("jobid={ids} pathid={data_pathid} limit=2 offset=2")).await?;
    assert_eq!(names(&page), vec!["empty-dir/", "nested/"]);
    assert_eq!(lsdirs(&mut c, &format!("jobid={ids} pathid={data_pathid} offset=1000 limit=1000")).await?, json!([]));
    let l = lsdirs(&mut c, &format!("jobid={ids} pathid={data_pathid} pattern=^n")).await?;
    assert_eq!(names(&l), vec![".", "..", "nested/"]);

    // Files: the newest version of each name.
    let files = lsfiles(&mut c, &format!("jobid={ids} pathid={data_pathid}")).await?;
    let want = [
        "a-fifo", "big.bin", "compressible.txt", "exec.sh", "hardlink-a", "link-abs", "link-dangling", "link-rel",
        "mode-600", "small.txt", "sparse.img", "zero-bytes",
    ];
    assert_eq!(names(&files), want, "{files}");
    let small = entry(&files, "small.txt")?;
    assert_eq!(keys(small), FILE_KEYS);
    assert_eq!(keys(&small["stat"]), STAT_KEYS);
    assert_eq!((small["type"].clone(), small["jobid"].clone()), (json!("F"), json!(incr)), "{small}");
    assert_eq!(small["stat"]["size"], "changed after the full\n".len());
    let big = entry(&files, "big.bin")?;
    assert_eq!(big["jobid"], full, "unchanged files come from the full: {big}");
    assert_eq!(big["stat"]["size"], 5 * 1024 * 1024 + 17);
    assert_eq!(big["stat"]["mtime"], 1_600_000_000 + 1000);
    let md = fs::metadata(data.join("mode-600"))?;
    let m600 = entry(&files, "mode-600")?;
    assert_eq!(m600["stat"]["mode"], md.mode());
    assert_eq!(m600["stat"]["uid"], md.uid());
    assert!(m600["stat"]["user"].is_string() && m600["stat"]["group"].is_string(), "{m600}");
    // The full alone still shows the old small.txt.
    let only_full = lsfiles(&mut c, &format!("jobid={full} pathid={data_pathid}")).await?;
    assert_eq!(entry(&only_full, "small.txt")?["jobid"], full);
    // Pages of 5 add up to the whole list.
    let mut paged = Vec::new();
    for off in [0, 5, 10, 15] {
        paged.extend(names(&lsfiles(&mut c, &format!("jobid={ids} pathid={data_pathid} limit=5 offset={off}")).await?));
    }
    assert_eq!(paged, want);
    let txt = lsfiles(&mut c, &format!("jobid={ids} pathid={data_pathid} pattern=\\.txt$")).await?;
    assert_eq!(names(&txt), vec!["compressible.txt", "small.txt"]);
    // An unknown path lists nothing (as Bareos: it falls back to the root).
    assert_eq!(lsfiles(&mut c, &format!("jobid={ids} path=/no/such/dir/")).await?, json!([]));

    // One level deeper.
    let nested = entry(&dirs, "nested/")?["pathid"].as_i64().context("nested pathid")?;
    let l = lsdirs(&mut c, &format!("jobid={ids} pathid={nested}")).await?;
    assert_eq!(names(&l), vec![".", "..", "deeper/"]);
    assert_eq!(entry(&l, "..")?["pathid"], data_pathid);
    let nf = lsfiles(&mut c, &format!("jobid={ids} pathid={nested}")).await?;
    assert_eq!(names(&nf), vec!["added.txt", "hardlink-b"]);
    assert_eq!(entry(&nf, "added.txt")?["jobid"], incr);
    let odd = entry(&dirs, "odd names/")?["pathid"].as_i64().context("odd pathid")?;
    let of = lsfiles(&mut c, &format!("jobid={ids} pathid={odd}")).await?;
    assert_eq!(names(&of), vec!["new\nline", "with space.txt"]);
    assert_eq!(names(&lsdirs(&mut c, &format!("jobid={ids} pathid={odd}")).await?), vec![".", "..", "ünïcödé ✓/"]);

    // Versions of small.txt: the full's and the incremental's, with their volume.
    let v = c
        .json(&format!(".bvfs_versions jobid=0 client=test-fd pathid={data_pathid} fname=small.txt"))
        .await?["versions"]
        .clone();
    let vs = v.as_array().context("versions")?;
    assert_eq!(vs.iter().map(|x| x["jobid"].clone()).collect::<Vec<_>>(), vec![json!(full), json!(incr)], "{v}");
    assert_eq!(keys(&vs[0]), VERSION_KEYS);
    assert_eq!(vs[0]["type"], "V");
    assert!(vs[0]["volumename"].as_str().is_some_and(|n| n.starts_with("Full-")), "{v}");
    assert!(vs[1]["volumename"].as_str().is_some_and(|n| n.starts_with("Incremental-")), "{v}");
    assert_eq!(vs[1]["stat"]["size"], "changed after the full\n".len());
    let by_path = c
        .json(&format!(".bvfs_versions jobid=0 client=test-fd path={}/ fname=big.bin", data.display()))
        .await?;
    assert_eq!(by_path["versions"].as_array().map(Vec::len), Some(1), "{by_path}");

    // Argument errors carry Bareos's messages.
    assert_eq!(json_error(&mut c, ".bvfs_lsdirs path=/").await?, "Can't find jobid, pathid or path argument\n");
    assert_eq!(json_error(&mut c, ".bvfs_lsdirs jobid=1").await?, "Can't find jobid, pathid or path argument\n");
    assert_eq!(json_error(&mut c, ".bvfs_lsdirs jobid=999 path=/").await?, "Unauthorized command from this console.\n");
    assert!(json_error(&mut c, ".bvfs_lsfiles jobid=1,x path=/").await?.contains("jobid=1,x"));
    assert!(json_error(&mut c, &format!(".bvfs_lsfiles jobid={ids} path=/ limit=ten")).await?.contains("limit=ten"));
    assert!(json_error(&mut c, &format!(".bvfs_lsfiles jobid={ids} path=/ pattern=(")).await?.contains("pattern=("));
    assert!(json_error(&mut c, &format!(".bvfs_lsdirs jobid={ids} path=/no/such/")).await?.contains("/no/such/"));
    assert_eq!(
        json_error(&mut c, ".bvfs_versions jobid=0 pathid=1 fname=x").await?,
        "Can't find client or fname argument\n"
    );

    // Restore a selection: small.txt by FileId, the nested/ tree by PathId, and the
    // hard link's master (LinkFI of hardlink-b) as the webui does.
    let small_id = small["fileid"].as_i64().context("fileid")?;
    let hb = entry(&nf, "hardlink-b")?;
    let link_fi = hb["linkfileindex"].as_i64().unwrap_or(0);
    let mut cmd = format!(".bvfs_restore path=b2101 jobid={ids} fileid={small_id} dirid={nested}");
    if link_fi > 0 {
        cmd.push_str(&format!(" hardlink={},{link_fi}", hb["jobid"]));
    }
    assert_eq!(c.json(&cmd).await?, json!({}));
    let n = c.json(".sql query=\"SELECT count(*) AS n FROM b2101\"").await?;
    let rows: u64 = n["query"][0]["n"].as_str().unwrap_or("0").parse()?;
    // small.txt, nested/, added.txt, hardlink-b, deeper/, deepest/, leaf.bin (+ master)
    assert_eq!(rows, if link_fi > 0 { 8 } else { 7 }, "{n}");
    let err = json_error(&mut c, &format!(".bvfs_restore path=x1 jobid={ids} fileid={small_id}")).await?;
    assert!(err.starts_with("Can't create restore list"), "{err}");

    let where_ = cl.path("bvfs-restored");
    let rid = run_and_expect(&mut c, &format!("restore client=test-fd file=?b2101 where={} yes", where_.display()), &["T"]).await?;
    let v = c.json(&format!("llist jobid={rid}")).await?;
    assert_eq!(v["jobs"][0]["jobfiles"], rows.to_string(), "{v}");
    let restored_root = where_.join(data.strip_prefix("/")?);
    let got = regular_files(&restored_root)?;
    let mut want: BTreeSet<String> =
        ["small.txt", "nested/added.txt", "nested/hardlink-b", "nested/deeper/deepest/leaf.bin"].iter().map(|s| s.to_string()).collect();
    if link_fi > 0 && got.contains("hardlink-a") {
        want.insert("hardlink-a".into());
    }
    assert_eq!(got, want, "exactly the selection is restored");
    for f in &got {
        assert_eq!(fs::read(restored_root.join(f))?, fs::read(data.join(f))?, "{f}");
    }
    assert!(restored_root.join("nested/deeper/deepest").is_dir());
    assert!(!restored_root.join("empty-dir").exists());

    // A hard link selected alone brings its master along through hardlink=JobId,LinkFI.
    let ha = entry(&files, "hardlink-a")?;
    let (link, link_rel, master_rel) = if ha["linkfileindex"].as_i64().unwrap_or(0) > 0 {
        (ha, "hardlink-a", "nested/hardlink-b")
    } else {
        (hb, "nested/hardlink-b", "hardlink-a")
    };
    assert!(link["linkfileindex"].as_i64().is_some_and(|fi| fi > 0), "one of the links points to the other: {link}");
    let cmd = format!(
        ".bvfs_restore path=b2102 jobid={ids} fileid={} hardlink={},{}",
        link["fileid"], link["jobid"], link["linkfileindex"]
    );
    assert_eq!(c.json(&cmd).await?, json!({}));
    let where2 = cl.path("bvfs-restored-link");
    run_and_expect(&mut c, &format!("restore client=test-fd file=?b2102 where={} yes", where2.display()), &["T"]).await?;
    let root2 = where2.join(data.strip_prefix("/")?);
    let got = regular_files(&root2)?;
    assert_eq!(got, [link_rel, master_rel].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
    assert_eq!(fs::metadata(root2.join(link_rel))?.ino(), fs::metadata(root2.join(master_rel))?.ino(), "restored as a hard link");
    assert_eq!(c.json(".bvfs_cleanup path=b2102").await?, json!({}));

    // The handle is gone after cleanup; restoring it again fails.
    assert_eq!(c.json(".bvfs_cleanup path=b2101").await?, json!({}));
    assert!(c.json(".sql query=\"SELECT count(*) FROM b2101\"").await.is_err());
    let err = json_error(&mut c, "restore client=test-fd file=?b2101 yes").await?;
    assert!(err.contains("No table found: b2101"), "{err}");

    // Clearing the cache resets HasCache and empties the tables.
    assert_eq!(json_error(&mut c, ".bvfs_clear_cache").await?, "Can't find 'yes' argument\n");
    assert_eq!(c.json(".bvfs_clear_cache yes").await?, json!({}));
    let q = c.json(".sql query=\"SELECT (SELECT count(*) FROM PathHierarchy) + (SELECT count(*) FROM PathVisibility) + (SELECT count(*) FROM Job WHERE HasCache <> 0) AS n\"").await?;
    assert_eq!(q["query"][0]["n"], "0", "{q}");
    // `.bvfs_update` without jobs rebuilds every finished backup's cache.
    assert_eq!(c.json(".bvfs_update").await?, json!({}));
    assert_eq!(names(&lsdirs(&mut c, &format!("jobid={ids} pathid={nested}")).await?), vec![".", "..", "deeper/"]);
    cl.stop().await;
    Ok(())
}

async fn console_as(cl: &Cluster, name: &str, password: &str) -> Result<DirectorClient> {
    let mut o = cairn_proto::ConnectOptions::new("127.0.0.1", cl.port, cairn_proto::auth::password_key(password));
    o.console_name = Some(name.to_string());
    o.connect_timeout = Duration::from_secs(5);
    Ok(DirectorClient::connect(&o).await?)
}

#[tokio::test]
async fn bvfs_text_output_and_acls() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let consoles = "Console {\n  Name = viewer\n  Password = \"viewerpw\"\n  Command ACL = *all*\n  Job ACL = backup\n  Client ACL = test-fd\n  FileSet ACL = TestSet\n}\n\
Console {\n  Name = otherjobs\n  Password = \"otherpw\"\n  Command ACL = *all*\n  Job ACL = other.*\n  Client ACL = *all*\n  FileSet ACL = *all*\n}\n\
Console {\n  Name = nofileset\n  Password = \"nofspw\"\n  Command ACL = *all*\n  Job ACL = *all*\n  Client ACL = *all*\n}\n";
    let cl = Cluster::start(ClusterOpts {
        include: format!("    File = \"{}\"", data.display()),
        extra_resources: consoles.into(),
        ..Default::default()
    })
    .await?;
    let mut c = cl.console().await?;
    let full = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    c.command(".api 1").await?;
    let r = c.command(&format!(".bvfs_update jobid={full}")).await?;
    assert!(!r.failed() && r.text.is_empty(), "{r:?}");
    let r = c.command(&format!(".bvfs_lsfiles jobid={full} path={}/nested/", data.display())).await?;
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.text);
    let cols: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(cols.len(), 5, "{lines:?}");
    assert_eq!((cols[2], cols[4]), (full.to_string().as_str(), "hardlink-b"));
    assert!(cols[0].parse::<u64>().is_ok() && cols[1].parse::<u64>().is_ok(), "{lines:?}");
    let r = c.command(&format!(".bvfs_get_jobids jobid={full}")).await?;
    assert_eq!(r.text, format!("{full}\n"));

    // Job, Client and FileSet ACLs filter the jobs a console may browse.
    let mut v = console_as(&cl, "viewer", "viewerpw").await?;
    assert_eq!(v.json(&format!(".bvfs_get_jobids jobid={full}")).await?, json!({"jobids": [{"id": full.to_string()}]}));
    let l = v.json(&format!(".bvfs_lsdirs jobid={full} path={}/", data.display())).await?;
    assert_eq!(names(&l["directories"]), vec![".", "..", "empty-dir/", "nested/", "odd names/"]);
    let mut o = console_as(&cl, "otherjobs", "otherpw").await?;
    assert_eq!(o.json(&format!(".bvfs_get_jobids jobid={full}")).await?, json!({"jobids": []}));
    assert_eq!(
        json_error(&mut o, &format!(".bvfs_lsdirs jobid={full} path={}/", data.display())).await?,
        "Unauthorized command from this console.\n"
    );
    assert_eq!(
        json_error(&mut o, &format!(".bvfs_restore path=b21 jobid={full} fileid=1")).await?,
        "Unauthorized command from this console.\n"
    );
    let mut n = console_as(&cl, "nofileset", "nofspw").await?;
    assert_eq!(n.json(&format!(".bvfs_get_jobids jobid={full}")).await?, json!({"jobids": []}));
    cl.stop().await;
    Ok(())
}
