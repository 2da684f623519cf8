//! `setdebug` on each daemon (levels, trace files) and the `.events` stream
//! (job status, progress, job log and trace lines) a dashboard subscribes to.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::cluster::{run_job, wait_job, Cluster, ClusterOpts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setdebug_sets_levels_and_writes_trace_files() -> Result<()> {
    let data = tempfile::tempdir()?;
    std::fs::write(data.path().join("f.txt"), b"x")?;
    let cluster = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.path().display()), ..Default::default() }).await?;
    let mut c = cluster.console().await?;

    let out = c.command("setdebug level=200 trace=1 dir").await?.text;
    let work = cluster.path("work-dir");
    let dir_trace = work.join("test-dir.trace");
    assert_eq!(out, format!("level=200 trace=1 hangup=0 timestamp=1 tracefilename={}\n", dir_trace.display()));

    let out = c.command("setdebug level=100 trace=1 client=test-fd").await?.text;
    let mut lines = out.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("Connecting to Client test-fd at 127.0.0.1:"), "{out}");
    let second = lines.next().unwrap_or_default();
    assert!(second.starts_with("2000 OK setdebug=100 trace=1 hangup=0 timestamp=1 tracefile="), "{out}");
    assert!(second.ends_with("test-fd.trace"), "{out}");

    let out = c.command("setdebug level=100 trace=1 timestamp=0 storage=File").await?.text;
    assert!(out.starts_with("Connecting to Storage daemon File at 127.0.0.1:"), "{out}");
    assert!(out.contains("\n3000 OK setdebug=100 trace=1 timestamp=0 tracefile="), "{out}");
    assert!(out.trim_end().ends_with("test-sd.trace"), "{out}");

    // JSON mode reports the same, typed.
    let v = c.json("setdebug level=150 dir").await?;
    assert_eq!(v["setdebug"][0]["daemon"], "director");
    assert_eq!(v["setdebug"][0]["level"], 150);
    assert_eq!(v["setdebug"][0]["trace"], true, "trace stays on when not given");

    // A backup now leaves lines in each daemon's trace file.
    let id = run_job(&mut c, "run job=backup level=Full yes").await?;
    assert_eq!(wait_job(&mut c, id).await?, "T");
    let text = std::fs::read_to_string(&dir_trace).with_context(|| format!("{}", dir_trace.display()))?;
    assert!(text.contains("test-dir ("), "director trace lines name the daemon:\n{text}");
    assert!(
        text.lines().filter(|l| l.contains("test-dir (")).all(|l| l.as_bytes().first().is_some_and(u8::is_ascii_digit)),
        "timestamps on:\n{text}"
    );
    assert!(!text.contains("Authorization=") || text.contains("Authorization=***"), "keys are not traced:\n{text}");
    // The FD and SD write to their own working directories.
    for (f, name) in [("work-fd/test-fd.trace", "test-fd ("), ("work-sd/test-sd.trace", "test-sd (")] {
        let t = std::fs::read_to_string(cluster.path(f)).with_context(|| f.to_string())?;
        assert!(t.contains(name) && t.contains("<< "), "{f}:\n{t}");
        assert!(!t.contains("Authorization=") || t.contains("Authorization=***"), "{f}:\n{t}");
    }

    // Trace off: the file stops growing.
    c.command(".api 0").await?;
    let out = c.command("setdebug level=0 trace=0 dir").await?.text;
    assert!(out.starts_with("level=0 trace=0 "), "{out}");
    let len = std::fs::metadata(&dir_trace)?.len();
    let id = run_job(&mut c, "run job=backup level=Full yes").await?;
    assert_eq!(wait_job(&mut c, id).await?, "T");
    assert_eq!(std::fs::metadata(&dir_trace)?.len(), len);

    // Bad input is named.
    let r = c.json("setdebug level=x dir").await;
    assert!(format!("{r:?}").contains("Invalid value for level: x"), "{r:?}");
    drop(c);
    cluster.stop().await;
    Ok(())
}

async fn until(
    c: &mut cairn_proto::DirectorClient,
    seen: &mut Vec<Value>,
    pred: impl Fn(&Value) -> bool,
) -> Result<Value> {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), c.next_event())
            .await
            .with_context(|| format!("no event within 60 s; seen: {seen:#?}"))??
            .context("stream ended")?;
        seen.push(ev.clone());
        if pred(&ev) {
            return Ok(ev);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_follows_jobs_logs_and_traces() -> Result<()> {
    let data = tempfile::tempdir()?;
    for i in 0..50 {
        std::fs::write(data.path().join(format!("f{i}.bin")), vec![i as u8; 64 * 1024])?;
    }
    let cluster = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.path().display()), ..Default::default() }).await?;
    let mut ev = cluster.console().await?;
    let mut c = cluster.console().await?;

    c.command("setdebug level=100 dir").await?;
    let hello = ev.subscribe_events("trace=yes").await?;
    assert_eq!(hello["director"], "test-dir");
    assert_eq!(hello["trace"], true);

    let id = run_job(&mut c, "run job=backup level=Full yes").await?;
    let mut seen = Vec::new();
    // A job this small may start and end between two samples: its first job
    // event carries whatever status it had then.
    let first = until(&mut ev, &mut seen, |e| e["event"] == "job" && e["jobid"] == id).await?;
    assert_eq!(first["name"], "backup");
    assert_eq!(first["level"], "F");
    assert!(first["status"].as_str().is_some_and(|s| "CRT".contains(s)), "{first}");
    let ended = until(&mut ev, &mut seen, |e| e["event"] == "ended" && e["jobid"] == id).await?;
    assert_eq!(ended["status"], "T");
    assert_eq!(ended["files"].as_u64(), Some(51), "50 files and the directory");
    let logs: Vec<&str> = seen
        .iter()
        .filter(|e| e["event"] == "joblog" && e["jobid"] == id)
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(logs.iter().any(|l| l.contains(&format!("Start Backup JobId {id}"))), "{logs:#?}");
    assert!(logs.iter().any(|l| l.contains("Termination:") && l.contains("Backup OK")), "{logs:#?}");
    assert!(seen.iter().any(|e| e["event"] == "trace" && e["kind"] == "dir"), "trace lines at level 100");

    // Stop the stream: the session goes on.
    let r = ev.stop_events().await?;
    assert!(r.text.starts_with("Event stream ended.\n"), "{:?}", r.text);
    let v = ev.command("version").await?.text;
    assert!(v.contains("Version"), "{v}");

    // Traces of the file and storage daemons, forwarded by the director.
    c.command(".api 0").await?;
    c.command("setdebug level=100 client=test-fd").await?;
    c.command("setdebug level=100 storage=File").await?;
    let hello = ev.subscribe_events("trace=dir,client:test-fd,storage:File joblog=no").await?;
    assert_eq!(hello["trace_daemons"], serde_json::json!(["client:test-fd", "storage:File"]));
    let id3 = run_job(&mut c, "run job=backup level=Full yes").await?;
    let mut seen = Vec::new();
    until(&mut ev, &mut seen, |e| e["event"] == "ended" && e["jobid"] == id3).await?;
    // Trace lines may trail the job's end a little.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(seen.iter().any(|e| e["event"] == "trace" && e["kind"] == "fd")
        && seen.iter().any(|e| e["event"] == "trace" && e["kind"] == "sd"))
    {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ev.next_event()).await {
            Ok(Ok(Some(e))) => seen.push(e),
            _ => break,
        }
    }
    let fd = seen.iter().find(|e| e["event"] == "trace" && e["kind"] == "fd").context("an FD trace line")?;
    assert_eq!(fd["daemon"], "test-fd");
    assert!(fd["message"].as_str().is_some_and(|m| m.starts_with("<< ")), "{fd}");
    let sd = seen.iter().find(|e| e["event"] == "trace" && e["kind"] == "sd").context("an SD trace line")?;
    assert_eq!(sd["daemon"], "test-sd");
    assert!(!seen.iter().any(|e| e["event"] == "trace_error"), "{seen:#?}");
    ev.stop_events().await?;
    let r = ev.subscribe_events("trace=client:nope").await;
    match r {
        Err(cairn_proto::ProtoError::CommandFailed { message, .. }) => assert_eq!(message, "Client \"nope\" not found."),
        other => bail!("expected a refusal, got {other:?}"),
    }

    // A jobid filter; joblog=no drops log lines.
    let id2 = run_job(&mut c, "run job=backup level=Full yes").await?;
    ev.subscribe_events(&format!("jobid={id2} joblog=no")).await?;
    let mut seen = Vec::new();
    until(&mut ev, &mut seen, |e| e["event"] == "ended").await?;
    if seen.iter().any(|e| e["event"] == "joblog" || (e.get("jobid").is_some() && e["jobid"] != id2)) {
        bail!("filtered stream leaked events: {seen:#?}");
    }
    ev.stop_events().await?;

    drop((ev, c));
    cluster.stop().await;
    Ok(())
}
