//! Hostile input on every daemon port (random bytes, truncated and oversized
//! packets, half-open and idle connections), each followed by normal work; and
//! the director killed with SIGKILL in the middle of a backup, then restarted.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cluster::{run_job, wait_job, Cluster, ClusterOpts, DIR_PW};

use crate::backup_restore::bytes as noise;

/// Send `bytes`, then read until the daemon closes or 0.7 s pass (the daemon
/// may wait for the rest of a packet until its handshake timeout).
async fn poke(addr: SocketAddr, bytes: &[u8], close_write: bool) -> Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    let _ = s.write_all(bytes).await;
    if close_write {
        let _ = s.shutdown().await;
    }
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(700), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    Ok(())
}

/// The hostile cases, each a byte string.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut v = vec![
        ("random bytes", noise(7, 4096)),
        ("random small", noise(99, 3)),
        ("truncated packet", {
            let mut b = 100i32.to_be_bytes().to_vec();
            b.extend_from_slice(b"Hello Director");
            b
        }),
        ("oversized length", {
            let mut b = 0x7fff_fff0i32.to_be_bytes().to_vec();
            b.extend_from_slice(&noise(3, 64));
            b
        }),
        ("negative length (unknown signal)", (-12345i32).to_be_bytes().to_vec()),
        ("hello then garbage", {
            let hello = b"Hello Director test-dir calling\n";
            let mut b = (hello.len() as i32).to_be_bytes().to_vec();
            b.extend_from_slice(hello);
            b.extend_from_slice(&20i32.to_be_bytes());
            b.extend_from_slice(&noise(5, 20));
            b
        }),
        ("tls client hello", vec![0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]),
        ("http request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
    ];
    // A packet stream of many zero-length frames.
    v.push(("many empty frames", std::iter::repeat_n(0u8, 4 * 10_000).collect()));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemons_survive_hostile_input_on_every_port() -> Result<()> {
    let data = tempfile::tempdir()?;
    std::fs::write(data.path().join("f.txt"), b"survivor\n")?;
    let cluster = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.path().display()), ..Default::default() }).await?;
    let dir_addr: SocketAddr = format!("127.0.0.1:{}", cluster.port).parse()?;
    let fd_addr = cluster.fd.as_ref().and_then(|f| f.addrs().first().copied()).context("fd addr")?;
    let sd_addr = cluster.sd.as_ref().and_then(|s| s.addrs().first().copied()).context("sd addr")?;

    // A hundred idle connections on each port stay open while normal work goes on.
    let mut idle = Vec::new();
    for addr in [dir_addr, fd_addr, sd_addr] {
        for _ in 0..100 {
            idle.push(TcpStream::connect(addr).await?);
        }
    }
    let mut c = cluster.console().await.context("console login beside 300 idle connections")?;
    let id = run_job(&mut c, "run job=backup level=Full yes").await?;
    assert_eq!(wait_job(&mut c, id).await?, "T", "a backup beside 300 idle connections");

    for (name, bytes) in cases() {
        for (port_name, addr) in [("director", dir_addr), ("file daemon", fd_addr), ("storage daemon", sd_addr)] {
            poke(addr, &bytes, true).await.with_context(|| format!("{name} on the {port_name}"))?;
            poke(addr, &bytes, false).await.with_context(|| format!("{name} on the {port_name} (half-open)"))?;
        }
        // After each case: a fresh login and both daemons answer through the director.
        let mut c = cluster.console().await.with_context(|| format!("login after {name}"))?;
        let s = c.command("status client=test-fd").await?.text;
        assert!(s.contains("test-fd Version:") || s.contains("test-fd"), "after {name}: {s}");
        let s = c.command("status storage=File").await?.text;
        assert!(s.contains("test-sd"), "after {name}: {s}");
    }
    drop(idle);
    // And the whole chain still works.
    let id = run_job(&mut c, "run job=backup level=Full yes").await?;
    assert_eq!(wait_job(&mut c, id).await?, "T");
    drop(c);
    cluster.stop().await;
    Ok(())
}

fn cairn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
}

/// Start `cairn dir -f -c conf`; returns the child and its port.
fn spawn_director(conf: &std::path::Path) -> Result<(std::process::Child, u16)> {
    let mut child = cairn().args(["dir", "-f", "-c"]).arg(conf).stderr(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    let stderr = child.stderr.take().context("stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        if Instant::now() > deadline {
            bail!("director did not report its address");
        }
        let Some(line) = lines.next() else { bail!("director exited early") };
        let line = line?;
        if let Some(addr) = line.strip_prefix("cairn-dir: listening on ") {
            break addr.rsplit(':').next().context("port")?.parse()?;
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok((child, port))
}

async fn console(port: u16) -> Result<cairn_proto::DirectorClient> {
    let mut o = cairn_proto::ConnectOptions::new("127.0.0.1", port, cairn_proto::auth::password_key(DIR_PW));
    o.connect_timeout = Duration::from_secs(5);
    Ok(cairn_proto::DirectorClient::connect(&o).await?)
}

/// Run a backup of the big file and wait until it is running.
async fn start_big_backup(c: &mut cairn_proto::DirectorClient) -> Result<u32> {
    let id = run_job(c, "run job=backup level=Full yes").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = c.json(".status dir running").await?;
        if v.to_string().contains("is running") {
            break;
        }
        if Instant::now() > deadline {
            bail!("the backup never ran: {v}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn director_stopped_or_killed_mid_backup_keeps_a_consistent_catalog() -> Result<()> {
    let data = tempfile::tempdir()?;
    // 16 GiB of holes: the FD reads zeros for many seconds, long enough to stop
    // the director in the middle (no sparse option, so every byte is read).
    let big = std::fs::File::create(data.path().join("big.img"))?;
    big.set_len(16 << 30)?;
    std::fs::write(data.path().join("small.txt"), b"small\n")?;
    let mut cluster = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.path().display()), ..Default::default() }).await?;
    // Replace the in-process director by a real process we can signal.
    if let Some(d) = cluster.dir.take() {
        d.shutdown().await;
    }
    let conf = cluster.path("dir.conf");

    // SIGTERM: the running job is canceled cleanly and recorded as such.
    let (mut child, port) = spawn_director(&conf)?;
    let mut c = console(port).await?;
    let id_term = start_big_backup(&mut c).await?;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let st = child.wait()?;
    assert!(st.success(), "director exit status after SIGTERM: {st:?}");
    drop(c);

    // SIGKILL: nothing is written at the end, the next start marks the job failed.
    let (mut child, port) = spawn_director(&conf)?;
    let mut c = console(port).await?;
    let v = c.json(&format!("llist jobid={id_term}")).await?;
    assert_eq!(v["jobs"][0]["jobstatus"], "A", "SIGTERM cancels the job: {v}");
    let log = crate::cluster::joblog(&mut c, id_term).await;
    assert!(log.contains("The director is shutting down: the job is canceled."), "{log}");
    assert!(log.contains("Backup Canceled"), "{log}");
    let id = start_big_backup(&mut c).await?;
    child.kill()?; // SIGKILL
    let _ = child.wait();
    drop(c);

    // Restart: the interrupted job is marked failed, the catalog is intact.
    let (mut child, port) = spawn_director(&conf)?;
    let result = async {
        let mut c = console(port).await?;
        let v = c.json(&format!("llist jobid={id}")).await?;
        let job = &v["jobs"][0];
        assert_eq!(job["jobstatus"], "f", "interrupted job marked failed: {v}");
        let v = c.json(".sql query=\"PRAGMA integrity_check\"").await?;
        assert!(v.to_string().contains("\"ok\""), "integrity: {v}");
        // The storage daemon let go of the device and volume: a new backup of
        // the small file runs, and restores byte for byte.
        std::fs::remove_file(data.path().join("big.img"))?;
        let id2 = run_job(&mut c, "run job=backup level=Full yes").await?;
        let st = wait_job(&mut c, id2).await?;
        if st != "T" {
            let log = crate::cluster::joblog(&mut c, id2).await;
            bail!("backup after the restart ended {st}:\n{log}");
        }
        let where_ = cluster.path("restored");
        let v = c
            .json(&format!("restore jobid={id2} client=test-fd all done yes where={}", where_.display()))
            .await?;
        let rid: u32 = v["run"]["jobid"].as_str().context("restore jobid")?.parse()?;
        assert_eq!(wait_job(&mut c, rid).await?, "T");
        let back = where_.join(data.path().strip_prefix("/")?).join("small.txt");
        assert_eq!(std::fs::read(&back).with_context(|| format!("{}", back.display()))?, b"small\n");
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    cluster.stop().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_logins_does_not_lock_out_good_ones() -> Result<()> {
    let cluster = Cluster::start(ClusterOpts::default()).await?;
    let port = cluster.port;
    let mut bad = Vec::new();
    for _ in 0..40 {
        bad.push(tokio::spawn(async move {
            let mut o = cairn_proto::ConnectOptions::new("127.0.0.1", port, cairn_proto::auth::password_key("wrong"));
            o.connect_timeout = Duration::from_secs(30);
            cairn_proto::DirectorClient::connect(&o).await.is_err()
        }));
    }
    // Good logins while the flood is being answered.
    for _ in 0..3 {
        let mut c = cluster.console().await.context("a good login during a flood of bad ones")?;
        let v = c.command("version").await?.text;
        assert!(v.contains("Version"), "{v}");
    }
    for b in bad {
        assert!(b.await?, "a wrong password is refused");
    }
    // The refusals were logged with the address and a count.
    let mut c = cluster.console().await?;
    let m = c.command("messages").await?.text;
    assert!(m.contains("127.0.0.1") && m.contains("authentication failed"), "{m}");
    drop(c);
    cluster.stop().await;
    Ok(())
}
