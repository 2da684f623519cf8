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
