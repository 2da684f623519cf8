//! Integration tests of the public catalog API.

use cairn_catalog::{
    BackupFilter, Catalog, CatalogError, ChainOptions, ClientSync, JobEnd, JobFilter, JobId,
    JobStart, MediaUpdate, NewFile, NewJob, NewJobMedia, NewMedia, PoolSync, SCHEMA_VERSION,
    VolumeChanges, VolumeFilter, compress_ranges, now_string, unix_to_string,
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

// ---------------------------------------------------------------------------------------
// Queries for running backups and restores.

fn file(path: &str, name: &str, fileindex: i64, lstat: &str, md5: &str) -> NewFile {
    NewFile {
        path: path.into(),
        name: name.into(),
        fileindex,
        lstat: lstat.into(),
        md5: md5.into(),
        deltaseq: 0,
    }
}

/// A finished job of `client` whose JobTDate is the Unix time of `start` (so JobTDate
/// and StartTime order agree), written to volume `mediaid` when given.
#[allow(clippy::too_many_arguments)]
fn chain_job(
    cat: &mut Catalog,
    client: i64,
    fileset: i64,
    jobtype: char,
    level: char,
    status: char,
    start: &str,
    end: &str,
    mediaid: Option<i64>,
) -> Result<u32, CatalogError> {
    let tdate = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S")
        .expect("time")
        .and_utc()
        .timestamp();
    let jobid = cat.create_job(&NewJob {
        job: format!("bk.{}", start.replace(' ', "_")),
        name: "bk".into(),
        jobtype,
        level,
        clientid: client,
        schedtime: start.into(),
        starttime: Some(start.into()),
        jobtdate: tdate,
        filesetid: fileset,
        ..NewJob::default()
    })?;
    cat.update_job_end(&JobEnd {
        jobstatus: status,
        endtime: end.into(),
        jobfiles: 5,
        volsessionid: jobid.0,
        volsessiontime: 1_772_000_000,
        ..JobEnd::new(jobid)
    })?;
    if let Some(mediaid) = mediaid {
        cat.create_jobmedia(&NewJobMedia {
            jobid: jobid.0,
            mediaid,
            firstindex: 1,
            lastindex: 5,
            volindex: 1,
            ..Default::default()
        })?;
    }
    Ok(jobid.0)
}

#[test]
fn file_batches_cache_paths_and_roll_back_cleanly() -> R {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cat = Catalog::open(&dir.path().join("cairn.db"))?;
    let i = setup(&mut cat)?;
    let j1 = run_job(
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
    let batch: Vec<NewFile> = (0..10_000)
        .map(|n| {
            file(
                &format!("/data/d{:03}/", n % 100),
                &format!("f{n}"),
                n + 1,
                "A B C",
                "md5",
            )
        })
        .collect();
    cat.insert_files(j1, &batch)?;
    let count = |cat: &mut Catalog, sql: &str| -> Result<String, CatalogError> {
        Ok(cat.query_raw(sql)?.rows[0][0].clone().unwrap_or_default())
    };
    assert_eq!(count(&mut cat, "SELECT COUNT(*) FROM File")?, "10000");
    assert_eq!(count(&mut cat, "SELECT COUNT(*) FROM Path")?, "100");
    // query_raw cleared the cache; a new batch repopulates it from the Path table.
    assert_eq!(cat.path_cache_len(), 0);
    let j2 = run_job(
        &mut cat,
        "bk",
        2,
        i.fd1,
        i.full,
        i.fs,
        'I',
        'T',
        "2026-03-05 10:00:00",
        "2026-03-05 10:01:00",
    )?;
    cat.insert_files(j2, &batch[..500])?;
    assert_eq!(cat.path_cache_len(), 100);
    cat.clear_path_cache();
    assert_eq!(cat.path_cache_len(), 0);
    cat.insert_deleted(j2, "/data/d001/", "f1")?;
    cat.insert_files(j2, &[NewFile::deleted("/data/gone/", "x")])?;
    assert_eq!(count(&mut cat, "SELECT COUNT(*) FROM Path")?, "101");
    assert_eq!(
        count(&mut cat, "SELECT COUNT(*) FROM File WHERE FileIndex = 0")?,
        "2"
    );

    // A batch failing half-way leaves neither rows nor cached ids of rolled-back paths.
    cat.query_raw(
        "CREATE TRIGGER boom BEFORE INSERT ON File WHEN NEW.Name = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )?;
    let failing = [
        file("/fresh/", "ok", 1, "A", ""),
        file("/fresh/", "boom", 2, "A", ""),
    ];
    assert!(cat.insert_files(j2, &failing).is_err());
    assert_eq!(
        count(&mut cat, "SELECT COUNT(*) FROM Path WHERE Path = '/fresh/'")?,
        "0"
    );
    cat.query_raw("DROP TRIGGER boom")?;
    cat.insert_files(j2, &failing[..1])?;
    cat.insert_files(j2, &[file("/fresh/", "again", 3, "A", "")])?;
    assert_eq!(
        count(
            &mut cat,
            "SELECT COUNT(*) FROM File JOIN Path USING (PathId) WHERE Path = '/fresh/'"
        )?,
        "2"
    );

    // Throughput: 50,000 files of one job in one call (reported, loosely bounded).
    let j3 = run_job(
        &mut cat,
        "bk",
        3,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-06 10:00:00",
        "2026-03-06 10:01:00",
    )?;
    let big: Vec<NewFile> = (0..50_000)
        .map(|n| {
            file(
                &format!("/big/dir{:04}/", n / 20),
                &format!("file-{n}.dat"),
                n + 1,
                "gB BbM IH4 B Po Po A Bk BAA I BpmAv8 BpmAv8 BpmAv8 A A C",
                "2Lp6vS6j1mDzCJw8GbPXwg",
            )
        })
        .collect();
    let t = std::time::Instant::now();
    cat.insert_files(j3, &big)?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "insert_files: 50000 rows in {secs:.3}s = {:.0} rows/s",
        50_000.0 / secs
    );
    assert!(secs < 30.0, "50k files took {secs}s");
    assert_eq!(cat.list_files(j3)?.len(), 50_000);
    Ok(())
}

#[test]
fn level_decisions_and_filesets() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    assert!(
        cat.last_successful_job("bk", i.fd1, Some(i.fs), &['F'])?
            .is_none(),
        "no prior Full"
    );
    let f = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        None,
    )?;
    let d = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'D',
        'W',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        None,
    )?;
    let _failed = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'I',
        'E',
        "2026-03-03 10:00:00",
        "2026-03-03 10:10:00",
        None,
    )?;
    let _other_client = chain_job(
        &mut cat,
        i.fd2,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:10:00",
        None,
    )?;
    let _archive = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'A',
        'F',
        'T',
        "2026-03-05 10:00:00",
        "2026-03-05 10:10:00",
        None,
    )?;
    let last = |levels: &[char], fs: Option<i64>| {
        cat.last_successful_job("bk", i.fd1, fs, levels)
            .map(|r| r.map(|r| r.jobid))
    };
    assert_eq!(last(&['F'], Some(i.fs))?, Some(f));
    assert_eq!(last(&['F', 'D', 'I'], Some(i.fs))?, Some(d));
    assert_eq!(last(&[], None)?, Some(d));
    assert_eq!(last(&['F'], Some(i.fs + 100))?, None);
    let row = cat
        .last_successful_job("bk", i.fd1, None, &['F'])?
        .expect("full");
    assert_eq!(row.starttime.as_deref(), Some("2026-03-01 10:00:00"));
    assert!(
        cat.last_successful_job("other", i.fd1, None, &[])?
            .is_none()
    );

    assert_eq!(cat.fileset_md5_of(i.fs)?.as_deref(), Some("md5a"));
    assert_eq!(cat.fileset_md5_of(999)?, None);
    let fs2 = cat.sync_fileset("LinuxAll", "FileSet { changed }", "md5b")?;
    let newest = cat.newest_fileset("LinuxAll")?.expect("fileset");
    assert_eq!((newest.filesetid, newest.md5.as_str()), (fs2, "md5b"));
    assert_eq!(
        cat.get_fileset(i.fs)?.map(|f| f.md5).as_deref(),
        Some("md5a")
    );
    assert!(cat.newest_fileset("Nope")?.is_none());
    Ok(())
}

#[test]
fn restore_and_accurate_chains() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let full = cat.get_pool("Full")?.expect("pool");
    let vol = cat.create_media(&NewMedia::from_pool("Full-0001", &full, "File"))?;
    let other_fs = cat.sync_fileset("Other", "FileSet { Name = Other }", "x")?;
    let m = Some(vol);
    let (c, fs) = (i.fd1, i.fs);
    let j1 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        m,
    )?;
    let j2 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'T',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        m,
    )?;
    let j3 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'D',
        'T',
        "2026-03-03 10:00:00",
        "2026-03-03 10:10:00",
        m,
    )?;
    let j4 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:10:00",
        m,
    )?;
    let _j5 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'E',
        "2026-03-05 10:00:00",
        "2026-03-05 10:10:00",
        m,
    )?;
    let j6 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'W',
        "2026-03-06 10:00:00",
        "2026-03-06 10:10:00",
        m,
    )?;
    let _j7 = chain_job(
        &mut cat,
        i.fd2,
        fs,
        'B',
        'F',
        'T',
        "2026-03-06 11:00:00",
        "2026-03-06 11:10:00",
        m,
    )?;
    let _j8 = chain_job(
        &mut cat,
        c,
        other_fs,
        'B',
        'I',
        'T',
        "2026-03-07 10:00:00",
        "2026-03-07 10:10:00",
        m,
    )?;
    let j9 = chain_job(
        &mut cat,
        c,
        fs,
        'A',
        'F',
        'T',
        "2026-03-02 12:00:00",
        "2026-03-02 12:10:00",
        m,
    )?;
    let j10 = chain_job(
        &mut cat,
        c,
        fs,
        'C',
        'F',
        'T',
        "2026-03-01 20:00:00",
        "2026-03-01 20:10:00",
        m,
    )?;
    cat.query_raw(&format!(
        "UPDATE Job SET PriorJobId = {j1} WHERE JobId = {j10}"
    ))?;
    // Without JobMedia: invisible to restore selection, but part of the accurate chain.
    let j11 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'T',
        "2026-03-06 12:00:00",
        "2026-03-06 12:10:00",
        None,
    )?;

    let lin = Some("LinuxAll");
    assert_eq!(
        cat.restore_chain(c, lin, None, false)?,
        vec![j1, j3, j4, j6]
    );
    assert_eq!(
        cat.restore_chain(c, None, None, false)?,
        vec![j1, j3, j4, j6]
    );
    assert_eq!(
        cat.restore_chain(c, lin, Some("2026-03-03 12:00:00"), false)?,
        vec![j1, j3]
    );
    assert_eq!(
        cat.restore_chain(c, lin, Some("2026-03-02 12:00:00"), false)?,
        vec![j1, j2]
    );
    assert!(
        cat.restore_chain(c, lin, Some("2026-03-01 10:00:00"), false)?
            .is_empty()
    );
    assert!(
        cat.restore_chain(c, Some("Other"), None, false)?.is_empty(),
        "no Full of Other"
    );
    assert!(
        cat.restore_chain(c, lin, Some("not a date"), false)
            .is_err()
    );
    let archive = ChainOptions {
        archive: true,
        ..Default::default()
    };
    assert_eq!(cat.restore_chain_with(c, lin, None, &archive)?, vec![j9]);
    assert_eq!(cat.restore_chain(c, lin, None, true)?, vec![j9]);
    assert_eq!(
        cat.filesets_used_by_client("fd1")?,
        vec!["LinuxAll", "Other"]
    );
    assert!(cat.filesets_used_by_client("nobody")?.is_empty());
    let copies = ChainOptions {
        copies: true,
        ..Default::default()
    };
    assert_eq!(cat.restore_chain_with(c, lin, None, &copies)?, vec![j10]);
    let elsewhere = ChainOptions {
        pool_id: Some(i.incr),
        ..Default::default()
    };
    assert!(cat.restore_chain_with(c, lin, None, &elsewhere)?.is_empty());
    cat.update_volume(
        "Full-0001",
        &VolumeChanges {
            enabled: Some(0),
            ..Default::default()
        },
    )?;
    assert!(
        cat.restore_chain(c, lin, None, false)?.is_empty(),
        "disabled volume"
    );
    cat.update_volume(
        "Full-0001",
        &VolumeChanges {
            enabled: Some(1),
            ..Default::default()
        },
    )?;

    assert_eq!(cat.chain_ending_at(j1)?, vec![j1]);
    assert_eq!(cat.chain_ending_at(j2)?, vec![j1, j2]);
    assert_eq!(cat.chain_ending_at(j3)?, vec![j1, j3]);
    assert_eq!(cat.chain_ending_at(j4)?, vec![j1, j3, j4]);
    assert_eq!(cat.chain_ending_at(j6)?, vec![j1, j3, j4, j6]);
    assert_eq!(cat.chain_ending_at(j11)?, vec![j1, j3, j4, j6, j11]);
    assert_eq!(
        cat.chain_ending_at(j9)?,
        vec![j9],
        "archive job: archive chain"
    );
    assert_eq!(cat.chain_ending_at_with(j4, &copies)?, vec![j10]);
    assert!(matches!(
        cat.chain_ending_at(9999),
        Err(CatalogError::NotFound { .. })
    ));

    assert_eq!(cat.accurate_jobids(c, fs, 'D', false, None)?, vec![j1]);
    assert_eq!(
        cat.accurate_jobids(c, fs, 'I', false, None)?,
        vec![j1, j3, j4, j6, j11]
    );
    assert_eq!(
        cat.accurate_jobids(c, fs, 'I', false, Some("2026-03-02 10:00:00"))?,
        vec![j1, j2],
        "at is inclusive"
    );
    assert!(
        cat.accurate_jobids(c, other_fs, 'I', false, None)?
            .is_empty()
    );
    Ok(())
}

#[test]
fn newest_versions_accurate_list_and_file_versions() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let full = cat.get_pool("Full")?.expect("pool");
    let v1 = cat.create_media(&NewMedia::from_pool("Full-0001", &full, "File"))?;
    let v2 = cat.create_media(&NewMedia::from_pool("Full-0002", &full, "File"))?;
    let (c, fs) = (i.fd1, i.fs);
    let f = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        Some(v1),
    )?;
    let inc = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'T',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        Some(v2),
    )?;
    let inc2 = chain_job(
        &mut cat,
        c,
        fs,
        'B',
        'I',
        'T',
        "2026-03-03 10:00:00",
        "2026-03-03 10:10:00",
        Some(v2),
    )?;
    cat.insert_files(
        JobId(f),
        &[
            file("/d/", "", 1, "dir-f", ""),
            file("/d/", "a", 2, "a-f", "ma"),
            file("/d/", "b", 3, "b-f", "mb"),
            file("/d/", "c", 4, "c-f", "mc"),
            file("/d/sub/", "z", 5, "z-f", "mz"),
        ],
    )?;
    cat.insert_files(
        JobId(inc),
        &[
            file("/d/", "b", 1, "b-i", "mb2"),
            NewFile::deleted("/d/", "c"),
            NewFile::deleted("/d/sub/", "z"),
            file("/d/", "e", 2, "e-i", "me"),
        ],
    )?;
    cat.insert_files(JobId(inc2), &[file("/d/sub/", "z", 1, "z-i2", "mz2")])?;

    let names = |v: &[cairn_catalog::FileVersion]| {
        v.iter()
            .map(|f| format!("{}{}@{}:{}", f.path, f.name, f.jobid, f.fileindex))
            .collect::<Vec<_>>()
    };
    let both = cat.files_of_jobs(&[f, inc])?;
    assert_eq!(
        names(&both),
        vec![
            format!("/d/@{f}:1"),
            format!("/d/a@{f}:2"),
            format!("/d/b@{inc}:1"),
            format!("/d/e@{inc}:2"),
        ],
        "newest wins, deleted files hidden, order JobTDate then FileIndex"
    );
    let b = &both[2];
    assert_eq!((b.lstat.as_str(), b.md5.as_str()), ("b-i", "mb2"));
    assert!(b.fileid > 0 && b.pathid > 0);
    assert_eq!(cat.files_of_jobs(&[f])?.len(), 5);
    let all = cat.files_of_jobs(&[f, inc, inc2])?;
    assert_eq!(all.len(), 5, "z re-created after its deletion");
    assert_eq!(all[4].lstat, "z-i2");
    assert!(cat.files_of_jobs(&[])?.is_empty());
    let mut seen = 0;
    cat.visit_files_of_jobs(&[f, inc, inc2], |_| seen += 1)?;
    assert_eq!(seen, 5);

    let mut acc = Vec::new();
    cat.accurate_list(&[f, inc], |name, lstat, md5| {
        acc.push(format!("{name} {lstat} {md5}"));
    })?;
    assert_eq!(
        acc,
        vec!["/d/ dir-f ", "/d/a a-f ma", "/d/b b-i mb2", "/d/e e-i me"]
    );

    let versions = cat.file_versions(c, "/d/", "b")?;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].file.jobid, f);
    assert_eq!(versions[0].volumename.as_deref(), Some("Full-0001"));
    assert_eq!(versions[1].volumename.as_deref(), Some("Full-0002"));
    assert_eq!(
        versions[1].starttime.as_deref(),
        Some("2026-03-02 10:00:00")
    );
    assert_eq!(
        cat.file_versions(c, "/d/", "c")?.len(),
        1,
        "marker excluded"
    );
    assert!(cat.file_versions(i.fd2, "/d/", "b")?.is_empty());
    Ok(())
}

#[test]
fn bootstrap_rows_and_index_ranges() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let storage = cat.sync_storage("File", false)?;
    let full = cat.get_pool("Full")?.expect("pool");
    let mut nm = NewMedia::from_pool("Full-0001", &full, "File");
    nm.storageid = storage;
    let v1 = cat.create_media(&nm)?;
    let v2 = cat.create_media(&NewMedia::from_pool("Full-0002", &full, "LTO"))?;
    let a = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        None,
    )?;
    let b = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'I',
        'T',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        None,
    )?;
    for (jobid, mediaid, first, last, volindex) in
        [(b, v1, 1, 9, 1), (a, v2, 40, 80, 2), (a, v1, 1, 40, 1)]
    {
        cat.create_jobmedia(&NewJobMedia {
            jobid,
            mediaid,
            firstindex: first,
            lastindex: last,
            startblock: 100,
            endblock: 200,
            volindex,
            ..Default::default()
        })?;
    }
    let rows = cat.jobmedia_for_jobs(&[b, a])?;
    let keys: Vec<(u32, i64, &str)> = rows
        .iter()
        .map(|r| (r.jobid, r.volindex, r.volumename.as_str()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (a, 1, "Full-0001"),
            (a, 2, "Full-0002"),
            (b, 1, "Full-0001")
        ]
    );
    assert_eq!(rows[0].volsessionid, i64::from(a));
    assert_eq!(rows[0].volsessiontime, 1_772_000_000);
    assert_eq!(rows[0].mediatype, "File");
    assert_eq!(rows[1].mediatype, "LTO");
    assert_eq!(rows[0].storage.as_deref(), Some("File"));
    assert_eq!((rows[1].firstindex, rows[1].lastindex), (40, 80));
    assert!(cat.jobmedia_for_jobs(&[])?.is_empty());
    assert_eq!(cat.bootstrap_media(&[a])?.len(), 2);
    assert_eq!(rows[2].jobmedia().volumename, "Full-0001");

    let mut idx = vec![9, 3, 4, 5, 1, 7, 8, 4];
    assert_eq!(compress_ranges(&mut idx), vec![(1, 1), (3, 5), (7, 9)]);
    Ok(())
}

#[test]
fn volume_selection_naming_counters_and_update() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let storage = cat.sync_storage("File", false)?;
    let full = cat.get_pool("Full")?.expect("pool");
    assert_eq!(cat.next_volume_number()?, 1);
    assert_eq!(cat.label_name("Full-")?.as_deref(), Some("Full-0001"));
    assert_eq!(cat.label_name("*")?, None);
    assert_eq!(cat.label_name("")?, None);
    assert!(cat.find_appendable_volume(i.full, "File", &[])?.is_none());

    let a = cat.create_volume_for_pool(&full, "File", storage)?;
    assert_eq!(a.volumename, "Full-0001");
    assert_eq!(a.volstatus, "Append");
    assert_eq!((a.enabled, a.storageid, a.poolid), (1, storage, i.full));
    assert_eq!(a.mediatype, "File");
    assert!(a.mediatypeid > 0);
    assert_eq!(a.volretention, full.volretention);
    let b = cat.create_volume_for_pool(&full, "File", storage)?;
    assert_eq!(b.volumename, "Full-0002");
    let incr = cat.get_pool("Incremental")?.expect("pool");
    let c = cat.create_volume_for_pool(&incr, "File", storage)?;
    assert_eq!(
        c.volumename, "Incremental-0003",
        "catalog-wide counter, as Bareos"
    );
    // A name already taken (manual label) is skipped.
    cat.create_media(&NewMedia::from_pool("Full-0005", &full, "File"))?;
    assert_eq!(cat.label_name("Full-")?.as_deref(), Some("Full-0006"));
    assert_eq!(
        cat.label_name("Full-${Year}")?.as_deref(),
        Some("Full-0006")
    );
    assert_eq!(cat.get_pool("Full")?.map(|p| p.numvols), Some(3));

    // Never-written volumes: lowest MediaId. Then the most recently written wins.
    let pick = |cat: &Catalog, unwanted: &[String]| {
        cat.find_appendable_volume(i.full, "File", unwanted)
            .map(|m| m.map(|m| m.volumename))
    };
    assert_eq!(pick(&cat, &[])?.as_deref(), Some("Full-0001"));
    let mut u = MediaUpdate::from_row(&b);
    u.voljobs = 1;
    u.volfiles = 1;
    u.volbytes = 5000;
    u.volmounts = 1;
    u.firstwritten = Some("2026-03-04 10:00:00".into());
    u.lastwritten = Some("2026-03-04 10:05:00".into());
    u.labeldate = Some("2026-03-04 09:59:59".into());
    let stored = cat.update_media_counters(&u)?;
    assert_eq!(
        (stored.voljobs, stored.volbytes, stored.volstatus.as_str()),
        (1, 5000, "Append")
    );
    assert_eq!(stored.firstwritten.as_deref(), Some("2026-03-04 10:00:00"));
    assert_eq!(stored.initialwrite.as_deref(), Some("2026-03-04 10:00:00"));
    assert_eq!(stored.labeldate.as_deref(), Some("2026-03-04 09:59:59"));
    assert_eq!(pick(&cat, &[])?.as_deref(), Some("Full-0002"));
    assert_eq!(
        pick(&cat, &["Full-0002".to_string()])?.as_deref(),
        Some("Full-0001")
    );
    assert!(cat.find_appendable_volume(i.full, "LTO", &[])?.is_none());

    // Limits: MaxVolJobs reached → Used; MaxVolBytes reached → Full.
    cat.update_volume(
        "Full-0002",
        &VolumeChanges {
            maxvoljobs: Some(2),
            ..Default::default()
        },
    )?;
    let mut u = MediaUpdate::from_row(&cat.get_media("Full-0002")?.expect("vol"));
    u.voljobs = 2;
    u.lastwritten = None;
    assert_eq!(cat.update_media_counters(&u)?.volstatus, "Used");
    assert_eq!(pick(&cat, &[])?.as_deref(), Some("Full-0001"));
    let mut u = MediaUpdate::from_row(&a);
    u.voljobs = 1;
    u.volbytes = 10;
    cat.update_volume(
        "Full-0001",
        &VolumeChanges {
            maxvolbytes: Some(10),
            ..Default::default()
        },
    )?;
    assert_eq!(cat.update_media_counters(&u)?.volstatus, "Full");
    u.mediaid = 999;
    assert!(matches!(
        cat.update_media_counters(&u),
        Err(CatalogError::NotFound { .. })
    ));
    u.mediaid = a.mediaid;
    u.volstatus = "Bogus".into();
    assert!(cat.update_media_counters(&u).is_err());

    // update volume
    let changed = cat.update_volume(
        "Full-0001",
        &VolumeChanges {
            volstatus: Some("Append".into()),
            volretention: Some(3600),
            voluseduration: Some(60),
            maxvolfiles: Some(7),
            recycle: Some(false),
            inchanger: Some(true),
            slot: Some(4),
            actiononpurge: Some(1),
            recyclepool_id: Some(i.incr),
            pool_id: Some(i.incr),
            ..Default::default()
        },
    )?;
    assert_eq!(changed.volstatus, "Append");
    assert_eq!(
        (
            changed.volretention,
            changed.voluseduration,
            changed.maxvolfiles
        ),
        (3600, 60, 7)
    );
    assert_eq!(
        (changed.recycle, changed.inchanger, changed.slot),
        (0, 1, 4)
    );
    assert_eq!(changed.actiononpurge, 1);
    assert_eq!(changed.pool.as_deref(), Some("Incremental"));
    assert_eq!(changed.recyclepool.as_deref(), Some("Incremental"));
    assert_eq!(cat.get_pool("Full")?.map(|p| p.numvols), Some(2));
    assert_eq!(cat.get_pool("Incremental")?.map(|p| p.numvols), Some(2));
    for bad in ["Purged", "Busy", "append", ""] {
        assert!(
            cat.update_volume(
                "Full-0001",
                &VolumeChanges {
                    volstatus: Some(bad.into()),
                    ..Default::default()
                }
            )
            .is_err(),
            "{bad}"
        );
    }
    assert!(
        cat.update_volume(
            "Full-0001",
            &VolumeChanges {
                enabled: Some(3),
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(
        cat.update_volume(
            "Full-0001",
            &VolumeChanges {
                pool_id: Some(999),
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(
        cat.update_volume(
            "Full-0001",
            &VolumeChanges {
                maxvoljobs: Some(-1),
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(matches!(
        cat.update_volume("Nope", &VolumeChanges::default()),
        Err(CatalogError::NotFound { .. })
    ));
    assert_eq!(
        cat.update_volume("Full-0001", &VolumeChanges::default())?
            .volumename,
        "Full-0001"
    );

    // MaxVols reached / no LabelFormat: no new volume.
    let mut limited = PoolSync::new("Limited");
    limited.max_vols = 1;
    limited.label_format = "Lim-".into();
    cat.sync_pool(&limited)?;
    let lim = cat.get_pool("Limited")?.expect("pool");
    cat.create_volume_for_pool(&lim, "File", storage)?;
    assert!(matches!(
        cat.create_volume_for_pool(&lim, "File", storage),
        Err(CatalogError::NoNewVolume { .. })
    ));
    cat.sync_pool(&PoolSync::new("Manual"))?;
    let manual = cat.get_pool("Manual")?.expect("pool");
    let err = cat
        .create_volume_for_pool(&manual, "File", storage)
        .expect_err("no LabelFormat");
    assert!(err.to_string().contains("Manual"), "{err}");
    Ok(())
}

#[test]
fn startup_recovery_backups_and_copies_listing() -> R {
    let mut cat = Catalog::open_in_memory()?;
    let i = setup(&mut cat)?;
    let full = cat.get_pool("Full")?.expect("pool");
    let vol = cat.create_media(&NewMedia::from_pool("Full-0001", &full, "File"))?;
    let m = Some(vol);
    let other_fs = cat.sync_fileset("Other", "FileSet { Name = Other }", "x")?;
    let f = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        m,
    )?;
    let inc = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'I',
        'W',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        m,
    )?;
    let _err = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'I',
        'E',
        "2026-03-03 10:00:00",
        "2026-03-03 10:10:00",
        m,
    )?;
    let arch = chain_job(
        &mut cat,
        i.fd1,
        other_fs,
        'A',
        'F',
        'T',
        "2026-03-04 10:00:00",
        "2026-03-04 10:10:00",
        m,
    )?;
    let _restore = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'R',
        ' ',
        'T',
        "2026-03-05 10:00:00",
        "2026-03-05 10:10:00",
        m,
    )?;
    let _fd2 = chain_job(
        &mut cat,
        i.fd2,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-05 11:00:00",
        "2026-03-05 11:10:00",
        m,
    )?;
    let copy = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'C',
        'F',
        'T',
        "2026-03-06 10:00:00",
        "2026-03-06 10:10:00",
        m,
    )?;
    cat.query_raw(&format!(
        "UPDATE Job SET PriorJobId = {f} WHERE JobId = {copy}"
    ))?;

    let backups = |f: BackupFilter| cat.list_backups(&f).map(|r| ids(&r));
    let fd1 = BackupFilter {
        client: "fd1".into(),
        ..Default::default()
    };
    assert_eq!(backups(fd1.clone())?, vec![f, inc, arch]);
    assert_eq!(
        backups(BackupFilter {
            fileset: Some("LinuxAll".into()),
            ..fd1.clone()
        })?,
        vec![f, inc]
    );
    assert_eq!(
        backups(BackupFilter {
            level: vec!['I'],
            jobstatus: vec!['E'],
            ..fd1.clone()
        })?
        .len(),
        1
    );
    assert_eq!(
        backups(BackupFilter {
            descending: true,
            limit: Some(2),
            ..fd1.clone()
        })?,
        vec![arch, inc]
    );
    assert!(
        backups(BackupFilter {
            days: Some(1),
            ..fd1.clone()
        })?
        .is_empty(),
        "all scheduled in the past"
    );
    assert_eq!(
        list(
            &cat,
            JobFilter {
                client_id: Some(i.fd1),
                fileset: Some("Other".into()),
                ..Default::default()
            }
        )?,
        vec![arch]
    );

    let copies = cat.list_copies(&[])?;
    assert_eq!(copies.len(), 1);
    assert_eq!((copies[0].jobid, copies[0].copyjobid), (f, copy));
    assert_eq!(copies[0].mediatype, "File");
    assert_eq!(copies[0].list_fields().len(), 4);
    assert_eq!(cat.list_copies(&[f])?.len(), 1);
    assert_eq!(cat.list_copies(&[copy])?.len(), 1);
    assert!(cat.list_copies(&[inc])?.is_empty());

    // Start-up recovery.
    let created = cat.create_job(&NewJob {
        job: "queued.2026-03-07_10.00.00_01".into(),
        name: "queued".into(),
        clientid: i.fd1,
        schedtime: "2026-03-07 10:00:00".into(),
        ..NewJob::default()
    })?;
    let running = run_job(
        &mut cat,
        "run",
        9,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-07 11:00:00",
        "2026-03-07 11:00:01",
    )?;
    cat.set_job_status(running, 'R')?;
    let waiting = run_job(
        &mut cat,
        "wait",
        10,
        i.fd1,
        i.full,
        i.fs,
        'F',
        'T',
        "2026-03-07 12:00:00",
        "2026-03-07 12:00:01",
    )?;
    cat.set_job_status(waiting, 'm')?;
    assert_eq!(
        ids(&cat.running_or_queued_jobs()?),
        vec![created.0, running.0, waiting.0]
    );
    assert_eq!(
        cat.mark_interrupted_jobs()?,
        vec![created.0, running.0, waiting.0]
    );
    assert!(cat.running_or_queued_jobs()?.is_empty());
    let c = cat.get_job(created)?.expect("job");
    assert_eq!(c.jobstatus, 'f');
    assert_eq!(c.starttime.as_deref(), Some("2026-03-07 10:00:00"));
    assert_eq!(c.endtime.as_ref().map(String::len), Some(19));
    let r = cat.get_job(running)?.expect("job");
    assert_eq!(
        (r.jobstatus, r.starttime.as_deref()),
        ('f', Some("2026-03-07 11:00:00"))
    );
    assert_eq!(cat.get_job(JobId(f))?.map(|j| j.jobstatus), Some('T'));
    assert!(cat.mark_interrupted_jobs()?.is_empty());
    Ok(())
}

#[test]
fn log_batches() -> R {
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
    cat.insert_logs(
        job,
        &[
            ("2026-03-04 10:00:00", "one\n"),
            ("2026-03-04 10:00:01", "two\n"),
        ],
    )?;
    cat.insert_logs(
        job,
        &[("2026-03-04 10:00:02".to_string(), "three\n".to_string())],
    )?;
    assert!(
        cat.insert_logs(job, &[("2026-03-04 10:00:03", "x"), ("bad", "y")])
            .is_err()
    );
    cat.insert_logs::<&str, &str>(job, &[])?;
    let log = cat.list_joblog(job)?;
    assert_eq!(
        log.iter().map(|l| l.logtext.as_str()).collect::<Vec<_>>(),
        vec!["one\n", "two\n", "three\n"]
    );
    Ok(())
}

/// Scale check (run with `--ignored --nocapture`): 2 × 250,000 files, newest versions
/// streamed.
#[test]
#[ignore]
fn newest_versions_scale() -> R {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cat = Catalog::open(&dir.path().join("cairn.db"))?;
    let i = setup(&mut cat)?;
    let f = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'F',
        'T',
        "2026-03-01 10:00:00",
        "2026-03-01 10:10:00",
        None,
    )?;
    let inc = chain_job(
        &mut cat,
        i.fd1,
        i.fs,
        'B',
        'I',
        'T',
        "2026-03-02 10:00:00",
        "2026-03-02 10:10:00",
        None,
    )?;
    for (job, step) in [(f, 1), (inc, 2)] {
        let batch: Vec<NewFile> = (0..250_000)
            .filter(|n| n % step == 0)
            .map(|n| {
                file(
                    &format!("/s/d{:05}/", n / 50),
                    &format!("f{n}"),
                    n + 1,
                    "A A A",
                    "m",
                )
            })
            .collect();
        let t = std::time::Instant::now();
        cat.insert_files(JobId(job), &batch)?;
        eprintln!("insert {} rows: {:?}", batch.len(), t.elapsed());
    }
    let t = std::time::Instant::now();
    let mut n = 0usize;
    cat.visit_files_of_jobs(&[f, inc], |_| n += 1)?;
    eprintln!("newest versions: {n} rows in {:?}", t.elapsed());
    assert_eq!(n, 250_000);
    Ok(())
}
