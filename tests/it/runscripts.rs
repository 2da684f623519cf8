//! RunScripts and Admin jobs: commands before and after a job with `%`
//! substitutions, `Console =` commands, Fail Job On Error.

use std::fs;

use anyhow::Result;

use crate::cluster::{joblog, run_and_expect, Cluster, ClusterOpts};

#[tokio::test]
async fn run_scripts_before_and_after_with_substitutions() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    fs::create_dir_all(&data)?;
    fs::write(data.join("a.txt"), b"alpha")?;
    let out = tmp.path().join("out");
    fs::create_dir_all(&out)?;
    let job_extra = format!(
        r#"  RunScript {{
    RunsWhen = Before
    RunsOnClient = no
    Command = "sh -c 'echo before id=%i name=%n client=%c level=%l type=%t > {o}/before.txt'"
  }}
  RunScript {{
    RunsWhen = After
    RunsOnFailure = yes
    RunsOnClient = no
    Command = "sh -c 'echo after status=%e files=%F job=%j >> {o}/after.txt'"
    Console = "list jobid=%i"
  }}
  Run After Job = "sh -c 'echo shortcut %i >> {o}/shortcut.txt'""#,
        o = out.display()
    );
    let cl = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.display()), job_extra, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let before = fs::read_to_string(out.join("before.txt"))?;
    assert_eq!(before.trim(), format!("before id={id} name=backup client=test-fd level=Full type=Backup"));
    // After scripts run after the job's end; give them a moment.
    let mut after = String::new();
    for _ in 0..100 {
        after = fs::read_to_string(out.join("after.txt")).unwrap_or_default();
        if !after.is_empty() && out.join("shortcut.txt").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(after.starts_with(&format!("after status=OK files=2 job=backup.")), "{after}");
    assert_eq!(fs::read_to_string(out.join("shortcut.txt"))?.trim(), format!("shortcut {id}"));
    let log = joblog(&mut c, id).await;
    assert!(log.contains("BeforeJob: run command"), "{log}");
    assert!(log.contains("AfterJob: console command: list jobid="), "{log}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_failing_before_script_fails_the_job_and_admin_jobs_run_scripts() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    fs::create_dir_all(&data)?;
    let marker = tmp.path().join("admin-ran");
    let job_extra = "  Run Before Job = \"sh -c 'echo refusing; exit 3'\"".to_string();
    let extra_resources = format!(
        "Job {{\n  Name = maintenance\n  Type = Admin\n  Pool = Full\n  Messages = Standard\n  RunScript {{\n    RunsWhen = Before\n    RunsOnClient = no\n    Command = \"touch {}\"\n  }}\n  RunScript {{\n    RunsWhen = Before\n    Console = \"run job=backup yes\"\n  }}\n}}\n",
        marker.display()
    );
    let cl = Cluster::start(ClusterOpts {
        include: format!("    File = \"{}\"", data.display()),
        job_extra,
        extra_resources,
        ..Default::default()
    })
    .await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["f"]).await?;
    let log = joblog(&mut c, id).await;
    assert!(log.contains("BeforeJob: refusing"), "{log}");
    assert!(log.contains("Runscript: BeforeJob returned non-zero status=3."), "{log}");
    let v = c.json(&format!("llist jobid={id}")).await?;
    assert_eq!(v["jobs"][0]["jobfiles"], "0", "nothing was backed up: {v}");
    // The Admin job runs its scripts; `run` is not allowed in a run script.
    let admin = run_and_expect(&mut c, "run job=maintenance yes", &["T", "f"]).await?;
    assert!(marker.exists(), "the Admin job's command ran");
    let log = joblog(&mut c, admin).await;
    assert!(log.contains("Can't use run command in a runscript"), "{log}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn client_run_scripts_run_on_the_file_daemon() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    fs::create_dir_all(&data)?;
    fs::write(data.join("a.txt"), b"alpha")?;
    let out = tmp.path().join("out");
    fs::create_dir_all(&out)?;
    let o = out.display();
    let job_extra = format!(
        r#"  RunScript {{
    RunsWhen = Before
    RunsOnClient = yes
    Command = "sh -c 'echo client-before id=%i name=%n > {o}/client-before.txt; echo hello from the client; echo on stderr >&2'"
  }}
  RunScript {{
    RunsWhen = After
    RunsOnClient = yes
    Command = "sh -c 'echo client-after id=%i > {o}/client-after.txt'"
  }}
  Client Run After Job = "sh -c 'echo shortcut %n >> {o}/client-shortcut.txt'""#
    );
    let extra_resources = format!(
        r#"Job {{
  Name = backup-fail
  Type = Backup
  Level = Full
  Client = test-fd
  FileSet = TestSet
  Storage = File
  Pool = Full
  Messages = Standard
  RunScript {{
    RunsWhen = Before
    RunsOnClient = yes
    FailJobOnError = yes
    Command = "sh -c 'echo client refusing; exit 4'"
  }}
  RunScript {{
    RunsWhen = After
    RunsOnClient = yes
    RunsOnSuccess = no
    RunsOnFailure = yes
    Command = "touch {o}/after-failure"
  }}
  RunScript {{
    RunsWhen = After
    RunsOnClient = yes
    Command = "touch {o}/after-success"
  }}
}}
"#
    );
    let cl = Cluster::start(ClusterOpts {
        include: format!("    File = \"{}\"", data.display()),
        job_extra,
        extra_resources,
        ..Default::default()
    })
    .await?;
    let mut c = cl.console().await?;

    // Before and After scripts run on the client, with the director's % codes.
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    assert_eq!(fs::read_to_string(out.join("client-before.txt"))?.trim(), format!("client-before id={id} name=backup"));
    // the FD runs After scripts before it reports the job's end
    assert_eq!(fs::read_to_string(out.join("client-after.txt"))?.trim(), format!("client-after id={id}"));
    assert_eq!(fs::read_to_string(out.join("client-shortcut.txt"))?.trim(), "shortcut backup");
    let log = joblog(&mut c, id).await;
    assert!(log.contains("test-fd JobId"), "{log}");
    assert!(log.contains("shell command: run ClientBeforeJob \"sh -c 'echo client-before"), "{log}");
    assert!(log.contains("ClientBeforeJob: hello from the client\n"), "{log}");
    assert!(log.contains("ClientBeforeJob: on stderr\n"), "{log}");
    assert!(log.contains("shell command: run ClientAfterJob"), "{log}");
    let v = c.json(&format!("llist jobid={id}")).await?;
    assert_eq!(v["jobs"][0]["jobfiles"], "2", "{v}");

    // A failing Before script with Fail Job On Error fails the job before any data.
    let bad = run_and_expect(&mut c, "run job=backup-fail yes", &["f", "E"]).await?;
    let log = joblog(&mut c, bad).await;
    assert!(log.contains("ClientBeforeJob: client refusing\n"), "{log}");
    assert!(log.contains("Error: Runscript: ClientBeforeJob returned non-zero status=4. ERR=Child exited with code 4"), "{log}");
    assert!(log.contains("Client \"test-fd\" RunScript failed."), "{log}");
    let v = c.json(&format!("llist jobid={bad}")).await?;
    assert_eq!(v["jobs"][0]["jobfiles"], "0", "nothing was backed up: {v}");
    assert_eq!(v["jobs"][0]["jobbytes"], "0", "nothing was backed up: {v}");
    // After scripts see the failure: OnFailure ones run, OnSuccess ones do not.
    assert!(out.join("after-failure").exists(), "{log}");
    assert!(!out.join("after-success").exists(), "{log}");
    cl.stop().await;
    Ok(())
}
