//! Integration tests of the public catalog API.

use cairn_catalog::{
    Catalog, CatalogError, ClientSync, JobEnd, JobFilter, JobId, JobStart, NewFile, NewJob,
    NewJobMedia, NewMedia, PoolSync, SCHEMA_VERSION, VolumeFilter, now_string, unix_to_string,
};

type R = Result<(), CatalogError>;

struct Ids {
    fd1: i64,
    fd2: i64,
    full: i64,
    incr: i64,
    fs: i64,
}

fn setup(cat: &mut Catalog) -> Result<Ids, CatalogError> {
    let fd1 = cat.sync_client(&ClientSync::new("fd1"))?;
    let fd2 = cat.sync_client(&ClientSync::new("fd2"))?;
    let mut full = PoolSync::new("Full");
    full.label_format = "Full-".into();
    let mut incr = PoolSync::new("Incremental");
    incr.label_format = "Incremental-".into();
    let ids = cat.sync_pools(&[full, incr])?;
    let fs = cat.sync_fileset("LinuxAll", "FileSet { Name = LinuxAll }", "md5a")?;
    Ok(Ids {
        fd1,
        fd2,
        full: ids[0],
        incr: ids[1],
        fs,
    })
}

/// Creates, starts and finishes a job that ran from `start` to `end`.
#[allow(clippy::too_many_arguments)]
fn run_job(
    cat: &mut Catalog,
    name: &str,
    seq: u32,
    clientid: i64,
    poolid: i64,
    filesetid: i64,
    level: char,
    status: char,
    start: &str,
    end: &str,
) -> Result<JobId, CatalogError> {
    let jobid = cat.create_job(&NewJob {
        job: format!(
            "{name}.{}_{seq:02}",
            start.replace(' ', "_").replace(':', ".")
        ),
        name: name.into(),
        level,
        clientid,
        schedtime: start.into(),
        poolid,
        filesetid,
        ..NewJob::default()
    })?;
    cat.update_job_start(&JobStart {
        jobid,
        jobstatus: 'R',
        level,
        starttime: start.into(),
        jobtdate: 1_772_600_000 + i64::from(seq),
        clientid,
        poolid,
        filesetid,
    })?;
    cat.update_job_end(&JobEnd {
        jobstatus: status,
        endtime: end.into(),
        jobfiles: 10 * u64::from(seq),
        jobbytes: 1000 * u64::from(seq),
        volsessionid: seq,
        volsessiontime: 1_772_000_000,
        ..JobEnd::new(jobid)
    })?;
    Ok(jobid)
}

fn list(cat: &Catalog, f: JobFilter) -> Result<Vec<u32>, CatalogError> {
    cat.list_jobs(&f).map(|r| ids(&r))
}

fn ids(rows: &[cairn_catalog::JobRow]) -> Vec<u32> {
    rows.iter().map(|r| r.jobid).collect()
}

#[test]
fn open_in_memory_has_schema() -> R {
    let cat = Catalog::open_in_memory()?;
    assert_eq!(cat.schema_version()?, SCHEMA_VERSION);
    assert_eq!(
        cat.applied_migrations()?,
        vec!["0001_initial.sql".to_string()]
    );
    let status = cat.list_status()?;
    assert_eq!(status.len(), 26);
    let t = status.iter().find(|s| s.jobstatus == 'T').expect("T row");
    assert_eq!(t.jobstatuslong.as_deref(), Some("Completed successfully"));
    assert_eq!(t.severity, Some(10));
    Ok(())
}

#[test]
fn file_database_persists_uses_wal_and_is_idempotent() -> R {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cairn.db");
    {
        let mut cat = Catalog::open(&path)?;
        cat.sync_client(&ClientSync::new("fd1"))?;
        let mode = cat.query_raw("PRAGMA journal_mode")?;
        assert_eq!(mode.rows[0][0].as_deref(), Some("wal"));
        assert!(
            dir.path().join("cairn.db-wal").exists(),
            "WAL file present while open"
        );
    }
    let cat = Catalog::open(&path)?;
    assert_eq!(cat.list_clients()?.len(), 1, "data survives reopen");
    assert_eq!(
        cat.applied_migrations()?.len(),
        1,
        "migrations not re-applied"
    );
    assert_eq!(cat.list_status()?.len(), 26, "status rows not duplicated");
    drop(cat);
    let cat = Catalog::open(&path)?;
    assert_eq!(cat.schema_version()?, 2250);
    Ok(())
}

#[test]
fn version_mismatch_is_refused() -> R {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cairn.db");
    {
        let mut cat = Catalog::open(&path)?;
        let r = cat.query_raw("UPDATE Version SET VersionId = 2249")?;
        assert_eq!(r.affected_rows, Some(1));
    }
    match Catalog::open(&path) {
        Err(
            e @ CatalogError::VersionMismatch {
                found: 2249,
                expected: 2250,
            },
        ) => {
            assert!(e.to_string().contains("2249"), "{e}");
        }
        other => panic!("expected version mismatch, got {other:?}"),
    }
    Ok(())
}

#[test]
fn newer_migration_level_is_refused() -> R {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cairn.db");
    {
        let mut cat = Catalog::open(&path)?;
        cat.query_raw(
            "INSERT INTO CairnMigrations (Seq, Name, AppliedAt) \
             VALUES (99, '0099_future.sql', '2030-01-01 00:00:00')",
        )?;
    }
    match Catalog::open(&path) {
        Err(CatalogError::NewerSchema { name }) => assert_eq!(name, "0099_future.sql"),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    Ok(())
}

#[test]
fn job_lifecycle_and_row_contents() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let jobid = run_job(
        &mut cat,
        "backup-fd1",
        3,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-04 10:00:01",
        "2026-03-04 10:00:06",
    )?;
    let row = cat.get_job(jobid)?.expect("job exists");
    assert_eq!(row.jobid, jobid.0);
    assert_eq!(row.job, "backup-fd1.2026-03-04_10.00.01_03");
    assert_eq!(row.name, "backup-fd1");
    assert_eq!((row.jobtype, row.level, row.jobstatus), ('B', 'F', 'T'));
    assert_eq!(row.client.as_deref(), Some("fd1"));
    assert_eq!(row.poolname.as_deref(), Some("Full"));
    assert_eq!(row.fileset.as_deref(), Some("LinuxAll"));
    assert_eq!(row.duration.as_deref(), Some("00:00:05"));
    assert_eq!(row.realendtime.as_deref(), Some("2026-03-04 10:00:06"));
    assert_eq!(
        (row.jobfiles, row.jobbytes, row.volsessionid),
        (30, 3000, 3)
    );
    assert_eq!(row.jobtdate, 1_772_600_003);
    let ll = row.llist_fields();
    assert_eq!(ll.len(), 26);
    let keys: Vec<&str> = ll.iter().map(|(k, _)| *k).collect();
    assert_eq!(&keys[..4], &["jobid", "job", "name", "purgedfiles"]);
    assert_eq!(keys[25], "fileset");
    assert_eq!(row.list_fields().len(), 10);
    assert_eq!(
        cat.get_job_by_name("backup-fd1.2026-03-04_10.00.01_03")?
            .map(|r| r.jobid),
        Some(jobid.0)
    );

    cat.set_job_status(jobid, 'A')?;
    assert_eq!(cat.get_job(jobid)?.map(|r| r.jobstatus), Some('A'));
    assert!(matches!(
        cat.set_job_status(JobId(999), 'T'),
        Err(CatalogError::NotFound { .. })
    ));
    assert!(cat.get_job(JobId(999))?.is_none());
    assert!(matches!(
        cat.create_job(&NewJob {
            job: "x".into(),
            name: "x".into(),
            schedtime: "bad".into(),
            ..NewJob::default()
        }),
        Err(CatalogError::InvalidTimestamp(_))
    ));
    Ok(())
}

#[test]
fn durations_running_and_multi_day() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let long = run_job(
        &mut cat,
        "long",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-01 08:00:00",
        "2026-03-03 10:30:15",
    )?;
    assert_eq!(
        cat.get_job(long)?.and_then(|r| r.duration).as_deref(),
        Some("2 days 02:30:15")
    );
    let one = run_job(
        &mut cat,
        "one",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-01 08:00:00",
        "2026-03-02 09:00:00",
    )?;
    assert_eq!(
        cat.get_job(one)?.and_then(|r| r.duration).as_deref(),
        Some("1 day 01:00:00")
    );

    // A running job is measured up to now.
    let start = unix_to_string(chrono_now() - 3 * 3600);
    let running = cat.create_job(&NewJob {
        job: "running.1".into(),
        name: "running".into(),
        clientid: i.fd1,
        schedtime: start.clone(),
        starttime: Some(start),
        jobstatus: 'R',
        ..NewJob::default()
    })?;
    let d = cat
        .get_job(running)?
        .and_then(|r| r.duration)
        .expect("duration");
    assert!(d.starts_with("03:00:0") || d.starts_with("02:59:5"), "{d}");
    // Never started: no duration.
    let queued = cat.create_job(&NewJob {
        job: "q.1".into(),
        name: "q".into(),
        ..NewJob::default()
    })?;
    assert_eq!(cat.get_job(queued)?.and_then(|r| r.duration), None);
    Ok(())
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[test]
fn list_jobs_filters() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    // Inserted out of start-time order on purpose.
    let j1 = run_job(
        &mut cat,
        "bk-fd1",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:05:00",
    )?;
    let j2 = run_job(
        &mut cat,
        "bk-fd2",
        2,
        i.fd2,
        i.full,
        i.fs,
        'F',
        'E',
        "2026-03-04 09:00:00",
        "2026-03-04 09:01:00",
    )?;
    let j3 = run_job(
        &mut cat,
        "bk-fd1",
        3,
        i.fd1,
        i.incr,
        i.fs,
        'I',
        'T',
        "2026-03-05 10:00:00",
        "2026-03-05 10:01:00",
    )?;
    let j4 = run_job(
        &mut cat,
        "bk-fd2",
        4,
        i.fd2,
        i.incr,
        i.fs,
        'I',
        'W',
        "2026-03-05 11:00:00",
        "2026-03-05 11:01:00",
    )?;
    let restore = cat.create_job(&NewJob {
        job: "RestoreFiles.1".into(),
        name: "RestoreFiles".into(),
        jobtype: 'R',
        level: ' ',
        clientid: i.fd1,
        schedtime: "2026-03-06 12:00:00".into(),
        ..NewJob::default()
    })?;

    let all = cat.list_jobs(&JobFilter::default())?;
    assert_eq!(
        ids(&all),
        vec![j2.0, j1.0, j3.0, j4.0, restore.0],
        "StartTime order, unstarted last"
    );
    assert_eq!(all[4].level, ' ');
    let rev = cat.list_jobs(&JobFilter {
        reverse: true,
        ..Default::default()
    })?;
    assert_eq!(ids(&rev), vec![restore.0, j4.0, j3.0, j1.0, j2.0]);

    let f = |f: JobFilter| cat.list_jobs(&f).map(|r| ids(&r));
    assert_eq!(
        f(JobFilter {
            jobid: Some(vec![j1.0, j4.0]),
            ..Default::default()
        })?,
        vec![j1.0, j4.0]
    );
    assert_eq!(
        f(JobFilter {
            jobid: Some(vec![]),
            ..Default::default()
        })?,
        Vec::<u32>::new()
    );
    assert_eq!(
        f(JobFilter {
            job: Some("bk-fd1.2026-03-05_10.00.00_03".into()),
            ..Default::default()
        })?,
        vec![j3.0]
    );
    assert_eq!(
        f(JobFilter {
            name: Some("bk-fd2".into()),
            ..Default::default()
        })?,
        vec![j2.0, j4.0]
    );
    assert_eq!(
        f(JobFilter {
            client: Some("fd1".into()),
            ..Default::default()
        })?,
        vec![j1.0, j3.0, restore.0]
    );
    assert_eq!(
        f(JobFilter {
            jobstatus: vec!['T', 'W'],
            ..Default::default()
        })?,
        vec![j1.0, j3.0, j4.0]
    );
    assert_eq!(
        f(JobFilter {
            jobtype: vec!['R'],
            ..Default::default()
        })?,
        vec![restore.0]
    );
    assert_eq!(
        f(JobFilter {
            joblevel: vec!['I'],
            ..Default::default()
        })?,
        vec![j3.0, j4.0]
    );
    assert_eq!(
        f(JobFilter {
            pool: Some("Incremental".into()),
            ..Default::default()
        })?,
        vec![j3.0, j4.0]
    );
    assert_eq!(
        f(JobFilter {
            pool: Some("Nope".into()),
            ..Default::default()
        })?,
        Vec::<u32>::new()
    );
    assert_eq!(
        f(JobFilter {
            client: Some("fd1".into()),
            joblevel: vec!['F'],
            jobstatus: vec!['T'],
            ..Default::default()
        })?,
        vec![j1.0]
    );

    // last: newest per job name, with and without other criteria.
    assert_eq!(
        f(JobFilter {
            last: true,
            ..Default::default()
        })?,
        vec![j3.0, j4.0, restore.0]
    );
    assert_eq!(
        f(JobFilter {
            last: true,
            jobstatus: vec!['E', 'T'],
            name: Some("bk-fd2".into()),
            ..Default::default()
        })?,
        vec![j2.0]
    );

    // limit / offset after ordering.
    assert_eq!(
        f(JobFilter {
            limit: Some(2),
            ..Default::default()
        })?,
        vec![j2.0, j1.0]
    );
    assert_eq!(
        f(JobFilter {
            limit: Some(2),
            offset: Some(1),
            ..Default::default()
        })?,
        vec![j1.0, j3.0]
    );
    assert_eq!(
        f(JobFilter {
            offset: Some(3),
            ..Default::default()
        })?,
        vec![j4.0, restore.0]
    );
    assert_eq!(
        f(JobFilter {
            limit: Some(1),
            reverse: true,
            ..Default::default()
        })?,
        vec![restore.0]
    );

    // count ignores limit.
    assert_eq!(cat.count_jobs(&JobFilter::default())?, 5);
    assert_eq!(
        cat.count_jobs(&JobFilter {
            client: Some("fd2".into()),
            limit: Some(1),
            ..Default::default()
        })?,
        2
    );
    assert_eq!(
        cat.count_jobs(&JobFilter {
            last: true,
            ..Default::default()
        })?,
        3
    );
    assert_eq!(
        cat.count_jobs(&JobFilter {
            jobstatus: vec!['f'],
            ..Default::default()
        })?,
        0
    );
    Ok(())
}

#[test]
fn list_jobs_days_hours_and_volume() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let old = run_job(
        &mut cat,
        "old",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2020-01-01 10:00:00",
        "2020-01-01 10:01:00",
    )?;
    let now = now_string();
    let recent = run_job(
        &mut cat, "new", 2, i.fd1, i.full, i.fs, 'F', 'T', &now, &now,
    )?;
    let two_days_ago = unix_to_string(chrono_now() - 2 * 86_400);
    let mid = run_job(
        &mut cat,
        "mid",
        3,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        &two_days_ago,
        &two_days_ago,
    )?;

    assert_eq!(
        list(
            &cat,
            JobFilter {
                days: Some(1),
                ..Default::default()
            }
        )?,
        vec![recent.0]
    );
    assert_eq!(
        list(
            &cat,
            JobFilter {
                days: Some(3),
                ..Default::default()
            }
        )?,
        vec![mid.0, recent.0]
    );
    assert_eq!(
        list(
            &cat,
            JobFilter {
                hours: Some(1),
                ..Default::default()
            }
        )?,
        vec![recent.0]
    );
    assert_eq!(
        list(
            &cat,
            JobFilter {
                hours: Some(49),
                ..Default::default()
            }
        )?,
        vec![mid.0, recent.0]
    );
    assert_eq!(list(&cat, JobFilter::default())?.len(), 3);

    let pool = cat.get_pool("Full")?.expect("pool");
    let m = cat.create_media(&NewMedia::from_pool("Full-0001", &pool, "File"))?;
    cat.create_jobmedia(&NewJobMedia {
        jobid: old.0,
        mediaid: m,
        firstindex: 1,
        lastindex: 10,
        ..Default::default()
    })?;
    cat.create_jobmedia(&NewJobMedia {
        jobid: old.0,
        mediaid: m,
        firstindex: 10,
        lastindex: 20,
        ..Default::default()
    })?;
    assert_eq!(
        list(
            &cat,
            JobFilter {
                volume: Some("Full-0001".into()),
                ..Default::default()
            }
        )?,
        vec![old.0],
        "no duplicates"
    );
    assert_eq!(
        cat.count_jobs(&JobFilter {
            volume: Some("Full-0001".into()),
            ..Default::default()
        })?,
        1
    );
    assert_eq!(
        list(
            &cat,
            JobFilter {
                volume: Some("Full-0002".into()),
                ..Default::default()
            }
        )?,
        Vec::<u32>::new()
    );
    Ok(())
}

#[test]
fn volumes_and_jobmedia() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let storage = cat.sync_storage("File", false)?;
    let full = cat.get_pool("Full")?.expect("Full");
    let incr = cat.get_pool("Incremental")?.expect("Incremental");
    let mut v1 = NewMedia::from_pool("Full-0001", &full, "File");
    v1.storageid = storage;
    v1.labeldate = Some("2026-03-04 10:00:00".into());
    let m1 = cat.create_media(&v1)?;
    let m2 = cat.create_media(&NewMedia::from_pool("Incremental-0002", &incr, "File"))?;
    let m3 = cat.create_media(&NewMedia::from_pool("Full-0003", &full, "File"))?;
    assert!(
        cat.create_media(&NewMedia::from_pool("Full-0001", &full, "File"))
            .is_err(),
        "unique name"
    );

    let pools = cat.list_pools()?;
    assert_eq!(
        pools.iter().map(|p| p.numvols).collect::<Vec<_>>(),
        vec![2, 1]
    );

    let all = cat.list_volumes(&VolumeFilter::default())?;
    assert_eq!(
        all.iter().map(|m| m.mediaid).collect::<Vec<_>>(),
        vec![m1, m2, m3]
    );
    let v = &all[0];
    assert_eq!(v.pool.as_deref(), Some("Full"));
    assert_eq!(v.storage.as_deref(), Some("File"));
    assert_eq!(v.volstatus, "Append");
    assert_eq!(v.volretention, 365 * 86_400);
    assert_eq!(v.recycle, 1);
    assert_eq!(v.labeldate.as_deref(), Some("2026-03-04 10:00:00"));
    assert_eq!(v.llist_fields().len(), 40);
    assert_eq!(v.list_fields().len(), 13);
    assert!(!v.has_encryption_key());

    let in_full = cat.list_volumes(&VolumeFilter {
        pool: Some("Full".into()),
        ..Default::default()
    })?;
    assert_eq!(
        in_full
            .iter()
            .map(|m| m.volumename.as_str())
            .collect::<Vec<_>>(),
        vec!["Full-0001", "Full-0003"]
    );
    let one = cat.list_volumes(&VolumeFilter {
        volume: Some("Incremental-0002".into()),
        ..Default::default()
    })?;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].pool.as_deref(), Some("Incremental"));
    assert_eq!(
        cat.list_volumes(&VolumeFilter {
            mediaid: Some(u32::try_from(m3).expect("id")),
            ..Default::default()
        })?
        .len(),
        1
    );

    let job = run_job(
        &mut cat,
        "bk",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:01:00",
    )?;
    cat.create_jobmedia(&NewJobMedia {
        jobid: job.0,
        mediaid: m1,
        firstindex: 1,
        lastindex: 5,
        endblock: 999,
        volindex: 1,
        ..Default::default()
    })?;
    cat.create_jobmedia(&NewJobMedia {
        jobid: job.0,
        mediaid: m3,
        firstindex: 5,
        lastindex: 9,
        volindex: 2,
        ..Default::default()
    })?;
    let by_job = cat.list_volumes(&VolumeFilter {
        jobid: Some(job.0),
        ..Default::default()
    })?;
    assert_eq!(
        by_job.iter().map(|m| m.mediaid).collect::<Vec<_>>(),
        vec![m1, m3]
    );
    let jm = cat.list_jobmedia(job)?;
    assert_eq!(jm.len(), 2);
    assert_eq!(jm[0].volumename, "Full-0001");
    assert_eq!(
        (jm[0].firstindex, jm[0].lastindex, jm[0].endblock),
        (1, 5, 999)
    );
    assert_eq!(jm[1].list_fields()[1].1, "Full-0003");

    cat.set_volume_status("Full-0001", "Full")?;
    assert_eq!(
        cat.get_media("Full-0001")?.map(|m| m.volstatus).as_deref(),
        Some("Full")
    );
    assert!(cat.set_volume_status("Full-0001", "Bogus").is_err());
    assert!(cat.set_volume_status("Nope", "Full").is_err());
    Ok(())
}

#[test]
fn log_files_and_delete() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let job = run_job(
        &mut cat,
        "bk",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:01:00",
    )?;
    cat.insert_log(
        job,
        "2026-03-04 10:00:00",
        "bareos-dir JobId 1: Start Backup JobId 1\n",
    )?;
    cat.insert_log(job, "2026-03-04 10:01:00", "line one\nline two\n")?;
    let log = cat.list_joblog(job)?;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].time.as_deref(), Some("2026-03-04 10:00:00"));
    assert_eq!(log[1].logtext, "line one\nline two\n");

    cat.insert_files(
        job,
        &[
            NewFile {
                path: "/etc/".into(),
                name: String::new(),
                fileindex: 1,
                lstat: "A".into(),
                ..Default::default()
            },
            NewFile {
                path: "/etc/".into(),
                name: "hosts".into(),
                fileindex: 2,
                lstat: "A".into(),
                ..Default::default()
            },
            NewFile {
                path: "/etc/ssh/".into(),
                name: "sshd_config".into(),
                fileindex: 3,
                lstat: "A".into(),
                ..Default::default()
            },
        ],
    )?;
    assert_eq!(
        cat.list_files(job)?,
        vec!["/etc/", "/etc/hosts", "/etc/ssh/sshd_config"]
    );
    assert!(
        cat.insert_files(
            job,
            &[NewFile {
                path: "/no-slash".into(),
                ..Default::default()
            }]
        )
        .is_err()
    );
    assert_eq!(cat.list_files(job)?.len(), 3, "failed batch rolled back");

    assert!(cat.delete_job(job)?);
    assert!(cat.get_job(job)?.is_none());
    assert!(cat.list_joblog(job)?.is_empty());
    assert!(cat.list_files(job)?.is_empty());
    assert!(!cat.delete_job(job)?);
    Ok(())
}

#[test]
fn job_totals_cover_backup_archive_copy() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    run_job(
        &mut cat,
        "a-job",
        1,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:01:00",
    )?;
    run_job(
        &mut cat,
        "a-job",
        2,
        i.fd1,
        i.full,
        i.fs,
        'I',
        'T',
        "2026-03-05 10:00:00",
        "2026-03-05 10:01:00",
    )?;
    run_job(
        &mut cat,
        "b-job",
        3,
        i.fd2,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-05 11:00:00",
        "2026-03-05 11:01:00",
    )?;
    cat.create_job(&NewJob {
        job: "r.1".into(),
        name: "restore".into(),
        jobtype: 'R',
        ..NewJob::default()
    })?;
    let (rows, total) = cat.job_totals()?;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].name.as_str(),
            rows[0].jobs,
            rows[0].files,
            rows[0].bytes
        ),
        ("a-job", 2, 30, 3000)
    );
    assert_eq!(
        (
            rows[1].name.as_str(),
            rows[1].jobs,
            rows[1].files,
            rows[1].bytes
        ),
        ("b-job", 1, 30, 3000)
    );
    assert_eq!((total.jobs, total.files, total.bytes), (3, 60, 6000));

    let empty = Catalog::open_in_memory()?;
    let (rows, total) = empty.job_totals()?;
    assert!(rows.is_empty());
    assert_eq!((total.jobs, total.files, total.bytes), (0, 0, 0));
    Ok(())
}

#[test]
fn query_raw_select_dml_and_errors() -> R {
    let mut cat = Catalog::open_in_memory()?;
    setup(&mut cat)?;
    let r = cat.query_raw(
        "SELECT ClientId, Name, NULL AS empty, 1.5 AS x FROM Client ORDER BY ClientId",
    )?;
    assert_eq!(r.columns, vec!["ClientId", "Name", "empty", "x"]);
    assert_eq!(r.rows.len(), 2);
    assert_eq!(
        r.rows[0],
        vec![
            Some("1".into()),
            Some("fd1".into()),
            None,
            Some("1.5".into())
        ]
    );
    assert_eq!(r.affected_rows, None);

    let r = cat.query_raw("SELECT * FROM Status WHERE JobStatus = 'Z'")?;
    assert_eq!(r.columns, vec!["JobStatus", "JobStatusLong", "Severity"]);
    assert!(r.rows.is_empty());

    let r = cat.query_raw("UPDATE Client SET AutoPrune = 1")?;
    assert_eq!(r.affected_rows, Some(2));
    assert!(r.columns.is_empty());

    let err = cat
        .query_raw("SELEKT * FROM Job")
        .expect_err("syntax error");
    assert!(err.to_string().contains("syntax error"), "{err}");
    let err = cat
        .query_raw("SELECT * FROM NoSuchTable")
        .expect_err("missing table");
    assert!(err.to_string().contains("no such table"), "{err}");
    assert!(
        cat.query_raw("SELECT 1; SELECT 2").is_err(),
        "one statement only"
    );
    Ok(())
}

#[test]
fn catalog_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Catalog>();
}
