//! exploratory
use anyhow::Result;
use crate::cluster::{run_and_expect, Cluster, ClusterOpts};

#[tokio::test]
async fn explore_dump() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path().join("data");
    std::fs::create_dir_all(d.join("sub"))?;
    std::fs::write(d.join("a.txt"), b"hello")?;
    std::fs::write(d.join("sub/b.bin"), vec![7u8; 1_234_567])?;
    let cl = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", d.display()), ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let cmds = ["list jobs", "llist jobid=1", "list jobid=99", "list backups client=test-fd", "list files jobid=1", "list jobmedia jobid=1",
        "list joblog jobid=1", "list volumes", "list volumes all", "list volume=Full-0001", "list pools", "list jobtotals", "list copies",
        "status client=test-fd", "status storage=File", "status director", ".media", ".mediatypes", ".defaults job=backup", ".jobstatus",
        "list jobs volume=Full-0001", "list jobs days=1", "list jobs last", "list jobs count", "list jobs limit=1 offset=0",
        "update volume=Full-0001 volstatus=Bogus", "update volume=Full-0001 volretention=10d", "update volume=Full-0001 maxvoljobs=1",
        "label storage=File volume=Manual-1 pool=Full", "label storage=File volume=Manual-1 pool=Full"];
    let mut s = String::new();
    c.command(".api 0").await?;
    for cmd in cmds {
        let t = c.command(cmd).await?;
        s.push_str(&format!("=== {cmd} {:?}\n{}\n", t.signals, t.text));
    }
    for cmd in [] as [&str;0] {
        let t = c.json(cmd).await;
        s.push_str(&format!("=== JSON {cmd}\n{:?}\n", t.map(|v| v.to_string())));
    }
    std::fs::write("/tmp/explore/out.txt", s)?;
    let _ = id;
    cl.stop().await;
    Ok(())
}
