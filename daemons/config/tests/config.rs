//! Integration tests: the stock configuration, every error class, printing and schema.

use std::path::{Path, PathBuf};

use cairn_config::*;
use cairn_types::{JobLevel, JobType, MsgType};

fn stock() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stock")
}

fn md5(s: &str) -> String {
    value::md5_hex(s)
}

fn check_director(cfg: &DirectorConfig) {
    let d = &cfg.director;
    assert_eq!(d.name, "bareos-dir");
    assert_eq!(d.maximum_concurrent_jobs, 10);
    assert!(d.auditing);
    assert_eq!(d.messages.as_deref(), Some("Daemon"));
    assert_eq!(d.password.0, md5("Dr9KsLp2QmVx7YtNb3Hc"));
    assert_eq!(d.listen, vec![ListenAddr { host: None, port: 9101 }]);
    assert_eq!(d.query_file.as_deref(), Some(Path::new("/usr/lib/bareos/scripts/query.sql")));
    assert_eq!(d.working_directory, PathBuf::from("/var/lib/cairn"));
    assert_eq!(d.maximum_console_connections, 20);
    assert!(d.tls.enable && d.tls.require);

    let cat = cfg.default_catalog();
    assert_eq!((cat.name.as_str(), cat.db_name.as_str(), cat.db_user.as_str()), ("MyCatalog", "bareos", "bareos"));

    let client = cfg.client("bareos-fd").expect("client");
    assert_eq!(client.address, "localhost");
    assert_eq!(client.port, 9102);
    assert_eq!(client.password.0, md5("Pw7ZdUq3mXcLkQ9vRt2s"));
    assert_eq!(client.file_retention, 60 * 86400);
    assert_eq!(client.job_retention, 180 * 86400);
    assert!(client.enabled && !client.auto_prune);
    assert_eq!(cfg.catalog_for_client(client).name, "MyCatalog");

    let st = cfg.storage("File").expect("storage");
    assert_eq!(st.devices, vec!["FileStorage".to_string()]);
    assert_eq!((st.media_type.as_str(), st.port, st.maximum_concurrent_jobs), ("File", 9103, 10));

    assert_eq!(cfg.jobs.len(), 3);
    assert_eq!(cfg.jobdefs.len(), 1);
    let j = cfg.job("backup-bareos-fd").expect("job");
    assert_eq!(j.job_type, JobType::Backup);
    assert_eq!(j.level, Some(JobLevel::Incremental));
    assert_eq!(j.pool, "Incremental");
    assert_eq!(j.full_backup_pool.as_deref(), Some("Full"));
    assert_eq!(j.fileset.as_deref(), Some("SelfTest"));
    assert_eq!(j.schedule.as_deref(), Some("WeeklyCycle"));
    assert_eq!(j.storage, vec!["File".to_string()]);
    assert_eq!(j.messages, "Standard");
    assert_eq!(j.write_bootstrap.as_deref(), Some("/var/lib/bareos/%c.bsr"));
    assert_eq!(j.priority, 10);
    assert_eq!(j.jobdefs.as_deref(), Some("DefaultJob"));

    let bc = cfg.job("BackupCatalog").expect("job");
    assert_eq!(bc.level, Some(JobLevel::Full));
    assert_eq!(bc.fileset.as_deref(), Some("Catalog"));
    assert_eq!(bc.priority, 11);
    assert_eq!(bc.run_scripts.len(), 2);
    assert_eq!(bc.run_scripts[0].runs_when, RunsWhen::Before);
    assert!(!bc.run_scripts[0].runs_on_client && bc.run_scripts[0].fail_job_on_error);
    assert_eq!(
        bc.run_scripts[0].commands,
        vec![RunScriptCommand::Command("/usr/lib/bareos/scripts/make_catalog_backup MyCatalog".into())]
    );
    assert_eq!(bc.run_scripts[1].runs_when, RunsWhen::After);
    assert!(bc.run_scripts[1].runs_on_success && !bc.run_scripts[1].runs_on_failure);
    assert_eq!(
        bc.write_bootstrap.as_deref(),
        Some("|/usr/bin/bsmtp -h localhost -f \"(Bareos) \" -s \"Bootstrap for Job %j\" root@localhost")
    );

    let r = cfg.job("RestoreFiles").expect("job");
    assert_eq!(r.job_type, JobType::Restore);
    assert_eq!(r.where_.as_deref(), Some("/tmp/bareos-restores"));
    assert_eq!(r.replace, "Always");

    let full = cfg.pool("Full").expect("pool");
    assert_eq!(full.volume_retention, 365 * 86400);
    assert_eq!(full.maximum_volume_bytes, 50 << 30);
    assert_eq!(full.maximum_volumes, 100);
    assert_eq!(full.label_format.as_deref(), Some("Full-"));
    assert_eq!(full.pool_type, "Backup");
    assert!(full.recycle && full.auto_prune && full.use_catalog);
    assert_eq!(cfg.pool("Incremental").map(|p| p.maximum_volume_bytes), Some(1 << 30));
    let scratch = cfg.pool("Scratch").expect("pool");
    assert_eq!((scratch.pool_type.as_str(), scratch.recycle_pool.as_deref()), ("Scratch", Some("Scratch")));
    assert_eq!(scratch.volume_retention, 365 * 86400);

    let linux = cfg.fileset("LinuxAll").expect("fileset");
    let opts = &linux.includes[0].options[0];
    assert!(!opts.one_fs && opts.recurse && opts.acl_support && !opts.hard_links);
    assert_eq!(opts.fs_type.len(), 9);
    assert_eq!(opts.signature.as_deref(), Some("XXH128"));
    assert_eq!(linux.includes[0].files, vec![FileEntry::Path("/".into())]);
    assert_eq!(linux.excludes[0].files.len(), 9);
    let win = cfg.fileset("Windows All Drives").expect("fileset");
    assert!(win.enable_vss);
    let wo = &win.includes[0].options[0];
    assert!(wo.exclude && wo.ignore_case);
    assert_eq!(wo.wild_dir, vec!["[A-Z]:/RECYCLER", "[A-Z]:/$RECYCLE.BIN", "[A-Z]:/System Volume Information"]);
    assert_eq!(wo.wild_file.len(), 3);
    assert_eq!(wo.drive_type, vec!["fixed"]);

    let wc = cfg.schedule("WeeklyCycle").expect("schedule");
    assert_eq!(wc.runs, vec!["Full 1st sat at 21:00", "Differential 2nd-5th sat at 21:00", "Incremental mon-fri at 21:00"]);
    assert_eq!(wc.runs_parsed.len(), 3);
    assert_eq!(wc.runs_parsed[0], parse_run("Full 1st sat at 21:00").expect("parses"));
    assert_eq!(wc.runs_parsed[0].level, Some(JobLevel::Full));
    assert_eq!(wc.runs_parsed[1].level, Some(JobLevel::Differential));
    assert_eq!(wc.runs_parsed[2].weekdays, 0b0111110);
    assert_eq!((wc.runs_parsed[2].hours, wc.runs_parsed[2].minute), (1 << 21, 0));
    assert!(wc.enabled);

    let daemon = cfg.messages_res("Daemon").expect("messages");
    assert_eq!(daemon.destinations.len(), 4);
    let mail = &daemon.destinations[0];
    assert_eq!(mail.kind, DestKind::Mail);
    assert_eq!(mail.target.as_deref(), Some("root@localhost"));
    assert!(mail.accepts(MsgType::Error) && !mail.accepts(MsgType::Skipped) && !mail.accepts(MsgType::Audit));
    assert!(!mail.accepts(MsgType::Debug));
    assert!(daemon.mail_command.as_deref().is_some_and(|c| c.contains("(Bareos) <%r>")));
    let audit = &daemon.destinations[3];
    assert_eq!((audit.kind, audit.types.clone()), (DestKind::Append, vec![(MsgType::Audit, true)]));
    let std_msgs = cfg.messages_res("Standard").expect("messages");
    assert!(std_msgs.destinations.iter().any(|d| d.kind == DestKind::Catalog && d.target.is_none()));
    assert!(std_msgs.destinations.iter().any(|d| d.kind == DestKind::Operator && d.accepts(MsgType::Mount)));

    let mon = cfg.console("bareos-mon").expect("console");
    assert_eq!(mon.acls.command.entries, vec!["status", ".status"]);
    assert_eq!(mon.acls.job.entries, vec!["*all*"]);
    let op = cfg.profile("operator").expect("profile");
    assert_eq!(op.acls.command.entries.first().map(String::as_str), Some("!.bvfs_clear_cache"));
    assert_eq!(op.acls.command.entries.last().map(String::as_str), Some("*all*"));
    assert_eq!(op.acls.command.entries.len(), 12);
    assert_eq!(cfg.profile("webui-readonly").map(|p| p.acls.command.entries.len()), Some(21));
    assert_eq!(cfg.profiles.len(), 3);
}

#[test]
fn stock_director_from_root() {
    let l = load_director(&stock()).expect("stock director config loads");
    assert_eq!(l.files.len(), 24);
    assert!(l.files.iter().all(|f| f.extension().is_some_and(|e| e == "conf")));
    check_director(&l.config);
}

#[test]
fn stock_director_from_resource_dir() {
    let l = load_director(&stock().join("bareos-dir.d")).expect("loads");
    assert_eq!(l.files.len(), 24);
    check_director(&l.config);
}

#[test]
fn stock_director_from_single_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = load_director(&stock()).expect("loads");
    let mut text = String::new();
    for f in &src.files {
        text.push_str(&std::fs::read_to_string(f).expect("read"));
        text.push('\n');
    }
    let single = tmp.path().join("bareos-dir.conf");
    std::fs::write(&single, &text).expect("write");
    // A root holding both the single file and a .d directory prefers the file.
    std::fs::create_dir_all(tmp.path().join("bareos-dir.d/job")).expect("mkdir");
    std::fs::write(tmp.path().join("bareos-dir.d/job/broken.conf"), "Job {").expect("write");
    for path in [single.as_path(), tmp.path()] {
        let l = load_director(path).expect("single file loads");
        assert_eq!(l.files, vec![single.clone()]);
        check_director(&l.config);
        assert_eq!(l.config.resources, src.config.resources);
    }
}

#[test]
fn stock_storage_daemon() {
    for path in [stock(), stock().join("bareos-sd.d")] {
        let l = load_storage(&path).expect("sd loads");
        let sd = &l.config;
        assert_eq!(l.files.len(), 5);
        assert_eq!(sd.storage.name, "bareos-sd");
        assert_eq!(sd.storage.listen, vec![ListenAddr { host: None, port: 9103 }]);
        assert_eq!(sd.directors.len(), 2);
        assert!(sd.director("bareos-mon").is_some_and(|d| d.monitor));
        assert_eq!(sd.director("bareos-dir").map(|d| d.password.0.clone()), Some(md5("St5RdQw8ErTy1UiOp4As")));
        assert_eq!(sd.devices.len(), 11);
        assert_eq!(sd.devices[0].name, "FileStorage0000");
        assert!(!sd.devices[0].auto_select);
        assert_eq!(sd.devices[10].name, "FileStorage0010");
        assert!(sd.devices[10].auto_select && sd.devices[10].random_access && !sd.devices[10].removable_media);
        assert_eq!(sd.devices[3].archive_device, "/var/lib/bareos/storage");
        assert_eq!(sd.devices[3].maximum_block_size, 1_048_576);
        let ac = sd.autochanger("FileStorage").expect("implicit autochanger");
        assert!(ac.implicit);
        assert_eq!(ac.devices.len(), 11);
        let msgs = sd.messages_res("Standard").expect("messages");
        assert_eq!(msgs.destinations[0].kind, DestKind::Director);
        assert_eq!(msgs.destinations[0].target.as_deref(), Some("bareos-dir"));
    }
}

#[test]
fn stock_file_daemon() {
    let l = load_filedaemon(&stock()).expect("fd loads");
    let fd = &l.config;
    assert_eq!(fd.client.name, "backup-fd");
    assert_eq!(fd.client.listen, vec![ListenAddr { host: None, port: 9102 }]);
    assert_eq!(fd.client.maximum_workers_per_job, 2);
    let d = fd.director("bareos-dir").expect("director");
    let dir = load_director(&stock()).expect("loads");
    // The shared secret matches the director's Client password.
    assert_eq!(Some(&d.password), dir.config.client("bareos-fd").map(|c| &c.password));
    assert!(d.connection_from_director_to_client && !d.connection_from_client_to_director);
    let m = fd.messages_res("Standard").expect("messages");
    assert!(!m.destinations[0].accepts(MsgType::Restored));
    assert!(m.destinations[0].accepts(MsgType::Fatal));
}

#[test]
fn stock_console() {
    let l = load_console(&stock()).expect("console loads");
    let d = &l.config.directors[0];
    assert_eq!((d.name.as_str(), d.address.as_str(), d.port), ("bareos-dir", "localhost", 9101));
    let dir = load_director(&stock()).expect("loads");
    assert_eq!(d.password.as_ref(), Some(&dir.config.director.password));
    assert!(l.config.consoles.is_empty());
}

#[test]
fn stock_warnings_are_deduplicated() {
    let l = load_director(&stock()).expect("loads");
    let fstype: Vec<_> = l.warnings.iter().filter(|w| w.message.contains("\"FsType\"")).collect();
    assert_eq!(fstype.len(), 1, "{:?}", l.warnings);
    assert!(fstype[0].file.ends_with("fileset/LinuxAll.conf"));
    assert_eq!(fstype[0].line, 8);
    assert_eq!(l.warnings.iter().filter(|w| w.message.contains("\"Auditing\"")).count(), 0, "the director acts on Auditing");
    assert_eq!(l.warnings.iter().filter(|w| w.message.contains("\"Mail\"")).count(), 1);
    // Acted directives do not warn.
    assert!(!l.warnings.iter().any(|w| w.message.contains("\"Name\"") || w.message.contains("\"Pool\"")));
    let mut seen = std::collections::HashSet::new();
    for w in &l.warnings {
        assert!(seen.insert(w.message.clone()), "duplicate warning {w}");
    }
}

#[test]
fn stock_round_trips_through_config_text() {
    let dir = load_director(&stock()).expect("loads");
    let text = dir.config.resources.to_config_text(None, false, false);
    assert!(text.contains("Client {\n  Name = \"bareos-fd\"\n"));
    let again = parse_resources_str(&text, "dump.conf", Component::Director).expect("reparse");
    assert_eq!(again.config, dir.config.resources);
    // Also through the typed loader.
    let typed = parse_director_str(&text, "dump.conf").expect("typed reparse");
    check_director(&typed.config);
    // verbose output (defaults as comments) re-parses to the same set.
    let verbose = dir.config.resources.to_config_text(None, true, false);
    assert!(verbose.contains("  # MaximumConcurrentJobs = 1\n"));
    let again = parse_resources_str(&verbose, "dump.conf", Component::Director).expect("reparse");
    assert_eq!(again.config, dir.config.resources);

    let sd = load_storage(&stock()).expect("loads");
    let t = sd.config.resources.to_config_text(None, false, false);
    assert_eq!(parse_resources_str(&t, "sd.conf", Component::Storage).expect("sd").config, sd.config.resources);
    let fd = load_filedaemon(&stock()).expect("loads");
    let t = fd.config.resources.to_config_text(None, false, false);
    assert_eq!(parse_resources_str(&t, "fd.conf", Component::FileDaemon).expect("fd").config, fd.config.resources);
    let con = load_console(&stock()).expect("loads");
    let t = con.config.resources.to_config_text(None, false, false);
    assert_eq!(parse_resources_str(&t, "c.conf", Component::Console).expect("con").config, con.config.resources);
}

#[test]
fn show_filters_and_hides_passwords() {
    let dir = load_director(&stock()).expect("loads");
    let set = &dir.config.resources;
    let one = set.to_config_text(Some(("client", Some("bareos-fd"))), false, true);
    assert_eq!(
        one,
        "Client {\n  Name = \"bareos-fd\"\n  Description = \"Client resource of the Director itself.\"\n  Address = \"localhost\"\n  Password = \"****************\"\n}\n\n"
    );
    let pools = set.to_config_text(Some(("pool", None)), false, false);
    assert_eq!(pools.matches("Pool {").count(), 4);
    assert!(pools.contains("  VolumeRetention = 3 months \n"), "Bareos prints a space after each duration part");
    assert!(pools.contains("  MaximumVolumeBytes = 10 g\n"));
    assert_eq!(set.names("jobs"), vec!["BackupCatalog", "RestoreFiles", "backup-bareos-fd"]);
    assert!(set.types().contains(&"Profile"));
}

#[test]
fn show_json_shape() {
    let dir = load_director(&stock()).expect("loads");
    let set = &dir.config.resources;
    let j = set.to_json("client", None, false, false);
    let c = &j["clients"]["bareos-fd"];
    assert_eq!(c["name"], "bareos-fd");
    assert_eq!(c["address"], "localhost");
    assert_eq!(c["password"], format!("[md5]{}", md5("Pw7ZdUq3mXcLkQ9vRt2s")));
    let hidden = set.to_json("clients", Some("bareos-fd"), true, true);
    assert_eq!(hidden["clients"]["bareos-fd"]["password"], "****************");
    assert_eq!(hidden["clients"]["bareos-fd"]["port"], 9102);
    assert_eq!(hidden["clients"]["bareos-fd"]["enabled"], true);
    let pool = set.to_json("pool", Some("Full"), false, false);
    assert_eq!(pool["pools"]["Full"]["maximumvolumebytes"], 50u64 << 30);
    assert_eq!(pool["pools"]["Full"]["recycle"], true);
    let fs = set.to_json("fileset", Some("LinuxAll"), false, false);
    assert_eq!(fs["filesets"]["LinuxAll"]["include"][0]["options"][0]["fstype"].as_array().map(Vec::len), Some(9));
    let all = set.to_json_all(false, true);
    for g in ["directors", "catalogs", "clients", "storages", "jobs", "jobdefs", "filesets", "schedules", "pools", "messages", "consoles", "profiles"] {
        assert!(all.get(g).is_some(), "{g}");
    }
}

#[test]
fn schema_lists_every_resource() {
    for c in [Component::Director, Component::Storage, Component::FileDaemon, Component::Console] {
        let s = schema_json(c);
        assert_eq!(s["format-version"], 2);
        assert_eq!(s["component"], c.bareos_name());
        let res = &s["resource"][c.bareos_name()];
        for r in c.resources() {
            let entry = &res[r.name];
            assert!(entry.is_object(), "{}", r.name);
            assert_eq!(entry["Name"]["datatype"], "NAME");
            for d in r.directives() {
                assert!(entry[d.name]["cairn_support"].is_string(), "{} {}", r.name, d.name);
            }
        }
    }
    let s = schema_json(Component::Director);
    let job = &s["resource"]["bareos-dir"]["Job"];
    assert_eq!(job["Pool"]["datatype"], "RES");
    assert_eq!(job["Pool"]["required"], true);
    assert_eq!(job["Pool"]["cairn_support"], "acted");
    assert_eq!(job["RunScript"]["equals"], false);
    assert_eq!(job["Accurate"]["cairn_support"], "parsed");
    assert!(s["resource"]["bareos-dir"]["JobDefs"]["Pool"].get("required").is_none());
    assert_eq!(s["resource"]["bareos-dir"]["Client"]["FdPassword"]["alias"], true);
    assert_eq!(s["resource"]["bareos-dir"]["Director"]["TlsEnable"]["default_value"], "yes");
    assert!(s["datatype"]["INCEXC"]["values"]["Options"].is_object());
    assert!(s["datatype"]["OPTIONS"]["values"]["WildDir"].is_object());
    let dir = &s["resource"]["bareos-dir"];
    assert_eq!(dir.as_object().map(|o| o.len()), Some(14));
}

// ---------------------------------------------------------------------------------------------
// Language features

const BASE: &str = "Catalog {\n  Name = MyCatalog\n  DbName = bareos\n  DbUser = bareos\n}\nMessages {\n  Name = Standard\n  Console = all\n}\n";
const DIR: &str = "Director {\n  Name = dir\n  Password = secret\n}\n";

fn dir_cfg(extra: &str) -> Result<Loaded<DirectorConfig>, ConfigError> {
    parse_director_str(&format!("{extra}{DIR}{BASE}"), "t.conf")
}

fn first_error(r: Result<Loaded<DirectorConfig>, ConfigError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

#[test]
fn separators_spaces_and_strings() {
    let l = dir_cfg(
        "Client { Name = c; Address = h; Password = \"[md5]5EBE2294ECD0E0F08EAB7690D2A6EE69\"; MAXIMUM concurrent JOBS = 4\n  Description = \"first \\\"line\\\"\"\n     \"second\\\\\" }\n",
    )
    .expect("loads");
    let c = l.config.client("c").expect("client");
    assert_eq!(c.maximum_concurrent_jobs, 4);
    assert_eq!(c.password.0, "5ebe2294ecd0e0f08eab7690d2a6ee69");
    assert_eq!(c.description.as_deref(), Some("first \"line\"second\\"));
    assert_eq!(l.config.director.password.0, "5ebe2294ecd0e0f08eab7690d2a6ee69");
    assert!(!format!("{:?}", l.config.director).contains("5ebe2294"));
}

#[test]
fn addresses_block() {
    let l = parse_director_str(
        &format!(
            "Director {{\n  Name = d\n  Password = p\n  Addresses = {{\n    ipv4 = {{ addr = 127.0.0.1; port = 9111 }}\n    ipv6 = {{ addr = ::1 }}\n  }}\n}}\n{BASE}"
        ),
        "a.conf",
    )
    .expect("loads");
    assert_eq!(
        l.config.director.listen,
        vec![
            ListenAddr { host: Some("127.0.0.1".into()), port: 9111 },
            ListenAddr { host: Some("::1".into()), port: 9101 }
        ]
    );
    let l = dir_cfg("").expect("loads");
    assert_eq!(l.config.director.listen, vec![ListenAddr { host: None, port: 9101 }]);
    let l = parse_director_str(&format!("Director {{\n Name = d; Password = p; DirAddress = 10.0.0.1; DirPort = 19101 }}\n{BASE}"), "a.conf")
        .expect("loads");
    assert_eq!(l.config.director.listen, vec![ListenAddr { host: Some("10.0.0.1".into()), port: 19101 }]);
}

#[test]
fn includes_globs_and_commands() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inc = tmp.path().join("inc");
    std::fs::create_dir_all(&inc).expect("mkdir");
    std::fs::write(inc.join("b.conf"), "Pool { Name = B }\n").expect("write");
    std::fs::write(inc.join("a.conf"), "Pool { Name = A }\n").expect("write");
    std::fs::write(inc.join("c.txt"), "garbage {").expect("write");
    std::fs::write(tmp.path().join("name.inc"), "\"Included Name\"").expect("write");
    let main = tmp.path().join("bareos-dir.conf");
    std::fs::write(
        &main,
        format!(
            "@{}/inc/*.conf\n@\"{}/nothing/*.conf\"\nPool {{ Name = @{}/name.inc }}\n@|\"echo 'Pool {{ Name = FromCmd }}'\"\n{DIR}{BASE}",
            tmp.path().display(),
            tmp.path().display(),
            tmp.path().display()
        ),
    )
    .expect("write");
    let l = load_director(tmp.path()).expect("loads");
    let names: Vec<&str> = l.config.pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["A", "B", "Included Name", "FromCmd"]);
    assert_eq!(l.files.len(), 4);
}

#[test]
fn jobdefs_inheritance_and_runscripts() {
    let l = dir_cfg(
        "JobDefs {\n  Name = base\n  Type = Backup\n  Pool = P\n  Messages = Standard\n  Priority = 7\n  RunScript {\n    RunsWhen = After\n    Command = \"/bin/base\"\n    Console = \"status dir\"\n    RunsOnClient = no\n  }\n}\n\
         JobDefs {\n  Name = mid\n  JobDefs = base\n  Client = C\n  FileSet = F\n  ClientRunBeforeJob = \"/bin/mid\"\n}\n\
         Job {\n  Name = j\n  JobDefs = mid\n  Priority = 3\n  RunAfterFailedJob = \"/bin/own\"\n}\n\
         Pool { Name = P }\nClient { Name = C; Address = h; Password = p }\nFileSet { Name = F }\n",
    )
    .expect("loads");
    let j = l.config.job("j").expect("job");
    assert_eq!(j.priority, 3);
    assert_eq!((j.pool.as_str(), j.client.as_deref(), j.fileset.as_deref()), ("P", Some("C"), Some("F")));
    assert_eq!(j.job_type, JobType::Backup);
    assert_eq!(j.run_scripts.len(), 3);
    assert_eq!(j.run_scripts[0].commands, vec![RunScriptCommand::Command("/bin/own".into())]);
    assert!(j.run_scripts[0].runs_on_failure && !j.run_scripts[0].runs_on_success);
    assert!(j.run_scripts[1].runs_on_client && j.run_scripts[1].runs_when == RunsWhen::Before);
    assert_eq!(
        j.run_scripts[2].commands,
        vec![RunScriptCommand::Command("/bin/base".into()), RunScriptCommand::Console("status dir".into())]
    );
    assert!(!j.run_scripts[2].runs_on_client);
    let mid = l.config.jobdef("mid").expect("jobdefs");
    assert_eq!(mid.priority, 7);
    assert_eq!(mid.run_scripts.len(), 2);
}

#[test]
fn deprecated_values_warn_once() {
    let l = dir_cfg("Pool {\n  Name = a\n  Recycle = true\n}\nPool {\n  Name = b\n  Recycle = 0\n}\n").expect("loads");
    let w: Vec<_> = l.warnings.iter().filter(|w| w.message.contains("\"Recycle\"")).collect();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].line, w[0].col), (3, 13));
    assert!(w[0].message.contains("Deprecated boolean value \"true\""));
    assert!(!l.config.pool("b").is_some_and(|p| p.recycle));
    let l = dir_cfg("Client {\n  Name = c\n  Address = h\n  Password = p\n  AutoPrune = yes\n}\n").expect("loads");
    assert!(l.warnings.iter().any(|w| w.message.contains("\"AutoPrune\" in Client resources is deprecated") && w.line == 5));
}

// ---------------------------------------------------------------------------------------------
// One test per error class, asserting message and position

#[test]
fn error_unknown_resource_type() {
    assert_eq!(first_error(dir_cfg("Foo {\n  Name = x\n}\n")), "t.conf:1:1: Unknown resource type \"Foo\"");
}

#[test]
fn error_unknown_directive() {
    assert_eq!(
        first_error(dir_cfg("Client {\n  Name = c\n  Bogus Thing = 1\n}\n")),
        "t.conf:3:3: Resource \"Client\" does not permit directive \"Bogus Thing\""
    );
}

#[test]
fn error_bad_integer() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  MaximumVolumes = ten\n}\n")),
        "t.conf:3:20: Expected a positive integer for directive \"MaximumVolumes\", got \"ten\""
    );
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  MaximumVolumes = -1\n}\n")),
        "t.conf:3:20: Value -1 for directive \"MaximumVolumes\" is out of range (0 to 4294967295)"
    );
}

#[test]
fn error_bad_size() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  Maximum Volume Bytes = 10X\n}\n")),
        "t.conf:3:26: Invalid size \"10X\" for directive \"MaximumVolumeBytes\""
    );
}

#[test]
fn error_bad_duration() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  Volume Retention = 5 bananas\n}\n")),
        "t.conf:3:22: Invalid duration \"5 bananas\" for directive \"VolumeRetention\""
    );
}

#[test]
fn error_bad_bool() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  Recycle = maybe\n}\n")),
        "t.conf:3:13: Expected yes or no for directive \"Recycle\", got \"maybe\""
    );
}

#[test]
fn error_bad_enum() {
    let e = first_error(dir_cfg("Pool {\n  Name = p\n  Pool Type = Bogus\n}\n"));
    assert_eq!(
        e,
        "t.conf:3:15: Invalid value \"Bogus\" for directive \"PoolType\": expected one of Backup, Copy, Cloned, Archive, Migration, Scratch"
    );
}

#[test]
fn error_unterminated_string() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  Description = \"abc\n}\n")),
        "t.conf:3:17: Unterminated quoted string"
    );
}

#[test]
fn error_unbalanced_braces() {
    let text = format!("{DIR}{BASE}Pool {{\n  Name = p\n");
    let line = text.lines().count() - 1;
    let e = first_error(parse_director_str(&text, "t.conf"));
    assert_eq!(e, format!("t.conf:{line}:6: Unbalanced braces: \"{{\" opened here is never closed"));
    let e = first_error(dir_cfg("Pool {\n  Name = p\n}\n}\n"));
    assert_eq!(e, "t.conf:4:1: Unbalanced braces: unexpected \"}\" outside of any resource");
}

#[test]
fn error_missing_required() {
    assert_eq!(
        first_error(dir_cfg("Client {\n  Name = c\n  Address = h\n}\n")),
        "t.conf:1:1: Client resource \"c\" is missing required directive \"Password\""
    );
    // Client/FileSet are required for Backup jobs, after inheritance.
    let e = first_error(dir_cfg("Pool { Name = P }\nJob {\n  Name = j\n  Type = Backup\n  Pool = P\n  Messages = Standard\n}\n"));
    assert_eq!(e, "t.conf:2:1: Job resource \"j\" is missing required directive \"Client\" (required for Backup jobs)");
    // JobDefs requires only its name.
    assert!(dir_cfg("JobDefs {\n  Name = jd\n}\n").is_ok());
}

#[test]
fn error_duplicate_resource() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n}\nPool {\n  Name = p\n}\n")),
        "t.conf:4:1: Attempt to define second Pool resource named \"p\""
    );
}

#[test]
fn error_missing_reference() {
    assert_eq!(
        first_error(dir_cfg("Pool {\n  Name = p\n  Next Pool = nowhere\n}\n")),
        "t.conf:3:3: Could not find Pool resource \"nowhere\" referenced by directive \"NextPool\" of Pool \"p\""
    );
    let e = first_error(dir_cfg("Console {\n  Name = c\n  Password = x\n  Profile = nope\n}\n"));
    assert_eq!(e, "t.conf:4:3: Could not find Profile resource \"nope\" referenced by directive \"Profile\" of Console \"c\"");
}

#[test]
fn error_jobdefs_cycle() {
    let e = dir_cfg("JobDefs {\n  Name = a\n  JobDefs = b\n}\nJobDefs {\n  Name = b\n  JobDefs = a\n}\n").expect_err("error");
    let lines: Vec<String> = e.to_string().lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "t.conf:3:3: JobDefs \"a\" inherits from itself (cycle: a -> b -> a)".to_string(),
            "t.conf:7:3: JobDefs \"b\" inherits from itself (cycle: b -> a -> b)".to_string(),
        ]
    );
}

#[test]
fn error_two_directors() {
    assert_eq!(
        first_error(dir_cfg("Director {\n  Name = other\n  Password = x\n}\n")),
        "t.conf:5:1: Only one Director resource permitted"
    );
    assert_eq!(
        first_error(parse_director_str(BASE, "t.conf")),
        "t.conf:1:1: No Director resource defined"
    );
}

#[test]
fn error_bad_include_path() {
    let e = first_error(dir_cfg("@/nonexistent/cairn/x.conf\n"));
    assert_eq!(
        e,
        "t.conf:1:1: Cannot open included config file \"/nonexistent/cairn/x.conf\": No such file or directory (os error 2)"
    );
    // A glob without matches is fine.
    assert!(dir_cfg("@/nonexistent/cairn/*.conf\n").is_ok());
}

#[test]
fn error_lists_every_problem() {
    let e = dir_cfg("Pool {\n  Name = p\n  Recycle = maybe\n  Maximum Volumes = x\n}\nFoo {\n}\n").expect_err("error");
    assert_eq!(e.diagnostics().len(), 3);
    assert!(matches!(e, ConfigError::Invalid(_)));
}

#[test]
fn locate_variants() {
    let src = locate(&stock(), Component::Director).expect("root");
    assert_eq!(src.kind, SourceKind::ResourceDir);
    assert_eq!(src.path, stock().join("bareos-dir.d"));
    let src = locate(&stock(), Component::Console).expect("root");
    assert_eq!((src.kind, src.files), (SourceKind::File, vec![stock().join("bconsole.conf")]));
    assert!(matches!(locate(&stock().join("bareos-dir.d/job"), Component::Director), Err(ConfigError::NotFound { .. })));
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("cairn-fd.conf"), "Client { Name = x }\n").expect("write");
    let l = load_filedaemon(tmp.path()).expect("cairn name accepted");
    assert_eq!(l.config.client.name, "x");
}

// ---------------------------------------------------------------------------------------------
// Schedule Run lines

#[test]
fn schedule_run_lines_parsed() {
    let l = dir_cfg(
        "Pool {\n  Name = Monthly\n  PoolType = Backup\n}\nStorage {\n  Name = File\n  Address = h\n  Password = p\n  Device = d\n  MediaType = m\n}\n\
         Schedule {\n  Name = s\n  Run = Level=Full Pool = Monthly Storage=File Messages=Standard 1st sun at 2:05\n  Run = Level=Incremental MaxRunSchedTime=\"30min\" Accurate=yes on 2-31 at 2:05\n  Run = \"Full last fri at 9:00pm\"\n}\n",
    )
    .expect("loads");
    let s = l.config.schedule("s").expect("schedule");
    assert_eq!(
        s.runs,
        vec![
            "Level=Full Pool=Monthly Storage=File Messages=Standard 1st sun at 2:05",
            "Level=Incremental MaxRunSchedTime=\"30min\" Accurate=yes on 2-31 at 2:05",
            "Full last fri at 9:00pm"
        ]
    );
    assert_eq!(s.runs_parsed.len(), 3);
    assert_eq!(s.runs_parsed[0].pool.as_deref(), Some("Monthly"));
    assert_eq!(s.runs_parsed[0].storage.as_deref(), Some("File"));
    assert_eq!(s.runs_parsed[0].messages.as_deref(), Some("Standard"));
    assert_eq!(s.runs_parsed[1].max_run_sched_time, Some(1800));
    assert_eq!(s.runs_parsed[1].accurate, Some(true));
    assert!(s.runs_parsed[2].last_7_days);
    assert_eq!((s.runs_parsed[2].hours, s.runs_parsed[2].minute), (1 << 21, 0));

    // `show` output re-reads to the same Run lines (quoted MaxRunSchedTime survives).
    let text = l.config.resources.to_config_text(Some(("schedule", None)), false, false);
    let again = dir_cfg(&format!("Pool {{\n  Name = Monthly\n  PoolType = Backup\n}}\nStorage {{\n  Name = File\n  Address = h\n  Password = p\n  Device = d\n  MediaType = m\n}}\n{text}"))
        .expect("reloads");
    let s2 = again.config.schedule("s").expect("schedule");
    assert_eq!(s2.runs, s.runs);
    assert_eq!(s2.runs_parsed, s.runs_parsed);
}

#[test]
fn schedule_run_errors_name_the_directive() {
    // The second Run line is bad: the error points at its `Run` keyword (line 4, column 3).
    let e = first_error(dir_cfg("Schedule {\n  Name = s\n  Run = Full at 21:00\n  Run = Full 32 at 1:00\n}\n"));
    assert!(e.starts_with("t.conf:4:3: "), "{e}");
    assert!(e.contains("Day number out of range (1-31): 32"), "{e}");
    for (line, want) in [
        ("Full w54", "Week number out of range (0-53): w54"),
        ("Full funday at 1:00", "Job type field: funday in run record not found"),
        ("Full 21:00", "Time must be preceded by keyword AT"),
        ("Full at 25:00", "Bad time specification: 25:00"),
        ("Level=Full MaxRunSchedTime=30min at 1:00", "MaxRunSchedTime expects a quoted string, got: 30min"),
    ] {
        let e = first_error(dir_cfg(&format!("Schedule {{\n  Name = s\n    Run = {line}\n}}\n")));
        assert!(e.starts_with("t.conf:3:5: "), "{line}: {e}");
        assert!(e.contains(want), "{line}: {e}");
    }
    // Overrides must name existing resources.
    let e = first_error(dir_cfg("Schedule {\n  Name = s\n  Run = Pool=Nope Full at 1:00\n}\n"));
    assert!(e.starts_with("t.conf:3:3: ") && e.contains("Could not find specified Pool Resource: Nope"), "{e}");
    let e = first_error(dir_cfg("Schedule {\n  Name = s\n  Run = Storage=Nope at 1:00\n}\n"));
    assert!(e.contains("Could not find specified Storage Resource: Nope"), "{e}");
}

#[test]
fn schedule_run_is_acted() {
    let s = schema_json(Component::Director);
    assert_eq!(s["resource"]["bareos-dir"]["Schedule"]["Run"]["cairn_support"], "acted");
    assert_eq!(s["resource"]["bareos-dir"]["Job"]["Schedule"]["cairn_support"], "acted");
    let l = dir_cfg("Schedule {\n  Name = s\n  Run = Full mon at 1:00\n}\n").expect("loads");
    assert!(!l.warnings.iter().any(|w| w.message.contains("\"Run\"")), "{:?}", l.warnings);
}
