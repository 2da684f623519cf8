//! Session tests against a tiny fake Director speaking real bnet frames over a
//! `tokio::io::duplex`: login (CRAM-MD5 + `1000`/`1002` banner), then canned
//! replies per command.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn_proto::{ConnectOptions, Conn, DirectorClient, Packet, Signal, auth};

use crate::output::Output;
use crate::script::{Engine, Flow, ScriptOptions, SessionEnd, run_script};
use crate::select::DirectorEntry;

enum Step {
    Text(String),
    Sig(Signal),
    Close,
}

fn text(s: &str) -> Step {
    Step::Text(s.to_string())
}

/// The canned Director.
fn reply(cmd: &str) -> Vec<Step> {
    use Step::Sig;
    match cmd {
        "" => vec![Sig(Signal::Eod)],
        "list jobs" => vec![text("+-------+\n"), text("| jobid |\n"), text("+-------+\n"), Sig(Signal::Eod)],
        "run" => vec![text("Select Job resource (1-2): "), Sig(Signal::SubPrompt)],
        "2" => vec![text("Job queued. JobId=3\n"), Sig(Signal::Eod)],
        "restore" => vec![Sig(Signal::StartRtree), text("cwd is: /\n"), text("$ "), Sig(Signal::SubPrompt)],
        "mark *" => vec![text("3 files marked.\n"), text("$ "), Sig(Signal::SubPrompt)],
        "done" => vec![Sig(Signal::EndRtree), text("Bootstrap records written\n"), Sig(Signal::Eod)],
        "quit" | "die" => vec![Step::Close],
        "slow" => vec![],
        other => vec![text(&format!("{other}: is an invalid command.\n")), Sig(Signal::Eod)],
    }
}

/// Start the fake Director; returns a logged-in client and the log of received commands.
async fn fake_director() -> (DirectorClient, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let key = auth::password_key("secret");
    let server_key = key.clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    let server_log = Arc::clone(&log);
    let server = tokio::spawn(async move {
        let mut conn = Conn::new(Box::new(b), "client");
        let _hello = conn.recv().await;
        if auth::cram_as_server(&mut conn, &server_key, "fake-dir").await.is_err() {
            return;
        }
        let _ = conn.send_text("1000\u{1e}OK: fake-dir Version: 25.1.1 (04 March 2026)").await;
        let _ = conn.send_text("1002\u{1e}You are connected using the default console").await;
        while let Ok(Some(p)) = conn.recv().await {
            let Packet::Data(b) = p else { continue };
            let cmd = String::from_utf8_lossy(&b).into_owned();
            server_log.lock().expect("log").push(cmd.clone());
            for step in reply(&cmd) {
                let r = match step {
                    Step::Text(t) => conn.send_text(t).await,
                    Step::Sig(s) => conn.send_signal(s).await,
                    Step::Close => {
                        conn.close().await;
                        return;
                    }
                };
                if r.is_err() {
                    return;
                }
            }
        }
    });
    let opts = ConnectOptions::new("fake", 9101, key);
    let client = DirectorClient::login(Conn::new(Box::new(a), "fake-dir"), &opts).await.expect("login");
    (client, log, server)
}

async fn run_with(input: &str, opts: ScriptOptions) -> (String, crate::ScriptOutcome, Vec<String>) {
    let (mut client, log, server) = fake_director().await;
    let mut out = Vec::new();
    let outcome = run_script(&mut client, input.as_bytes(), &mut out, opts).await.expect("script");
    // Close and let the fake Director drain, so its log is complete.
    client.close().await;
    let _ = server.await;
    let sent = log.lock().expect("log").clone();
    (String::from_utf8(out).expect("utf8"), outcome, sent)
}

async fn run(input: &str) -> (String, crate::ScriptOutcome, Vec<String>) {
    run_with(input, ScriptOptions::default()).await
}

#[tokio::test]
async fn banner_as_bconsole_prints_it() {
    let (client, _, _) = fake_director().await;
    assert_eq!(
        crate::session::banner_text(client.banner()),
        " Encryption: None\n1000 OK: fake-dir Version: 25.1.1 (04 March 2026)\nYou are connected using the default console\n\nEnter a period (.) to cancel a command.\n"
    );
    let d = DirectorEntry { name: "d".into(), address: "localhost".into(), port: 9101, password_key: None, tls: Default::default() };
    assert_eq!(crate::session::connecting_line(&d), "Connecting to Director localhost:9101\n");
}

#[tokio::test]
async fn batch_echo_and_replies() {
    let (out, outcome, sent) = run("list jobs\n@echo hi  there\n\nrun\n2\n@# comment\nbogus  \n").await;
    assert_eq!(
        out,
        "list jobs\n+-------+\n| jobid |\n+-------+\n\
         @echo hi  there\nhi there \n\
         \n\
         run\nSelect Job resource (1-2): 2\nJob queued. JobId=3\n\
         @# comment\n\
         bogus  \nbogus: is an invalid command.\n"
    );
    assert_eq!(outcome.end, SessionEnd::Eof);
    assert_eq!(outcome.commands_sent, 5);
    assert_eq!(sent, vec!["list jobs", "", "run", "2", "bogus"]);
}

#[tokio::test]
async fn last_line_without_newline_is_echoed_as_read() {
    let (out, _, _) = run("list jobs").await;
    assert_eq!(out, "list jobs+-------+\n| jobid |\n+-------+\n");
}

#[tokio::test]
async fn quit_ends_the_session() {
    let (out, outcome, sent) = run("list jobs\nquit\nlist jobs\n").await;
    assert_eq!(outcome.end, SessionEnd::Quit);
    assert_eq!(sent, vec!["list jobs", "quit"]);
    assert!(out.ends_with("quit\n"));

    let (_, outcome, sent) = run(".quit\nlist jobs\n").await;
    assert_eq!(outcome.end, SessionEnd::Quit);
    assert_eq!(sent, vec![".quit"]);

    let (out, outcome, sent) = run("@quit\nlist jobs\n").await;
    assert_eq!(outcome.end, SessionEnd::Quit);
    assert!(sent.is_empty());
    assert_eq!(out, "@quit\n");

    let (_, outcome, _) = run("die\nlist jobs\n").await;
    assert_eq!(outcome.end, SessionEnd::DirectorClosed);
}

#[tokio::test]
async fn restore_tree_prompts() {
    let (out, outcome, _) = run("restore\nmark *\ndone\n").await;
    assert_eq!(out, "restore\ncwd is: /\n$ mark *\n3 files marked.\n$ done\nBootstrap records written\n");
    assert!(!outcome.in_tree);

    let (out, outcome, _) =
        run_with("restore\nmark *\n", ScriptOptions { prompt_echo: true, ..Default::default() }).await;
    assert_eq!(out, "*restore\ncwd is: /\n$ mark *\n3 files marked.\n$ ");
    assert!(outcome.in_tree);

    let (out, _, _) = run_with("run\n2\n", ScriptOptions { prompt_echo: true, ..Default::default() }).await;
    assert_eq!(out, "*run\nSelect Job resource (1-2): 2\nJob queued. JobId=3\n");
}

#[tokio::test]
async fn nested_input_and_quit_inside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.cmds");
    let b = dir.path().join("b.cmds");
    std::fs::write(&a, format!("@echo from a\n@input {}\nlist jobs\n@quit\n@echo never\n", b.display()))
        .expect("write");
    std::fs::write(&b, "@echo from b\n").expect("write");
    let (out, outcome, sent) = run(&format!("@input {}\n@echo back\n@input /nonexistent/x\n", a.display())).await;
    assert_eq!(
        out,
        format!(
            "@input {a}\n@echo from a\nfrom a \n@input {b}\n@echo from b\nfrom b \nlist jobs\n+-------+\n| jobid |\n+-------+\n@quit\n\
             @echo back\nback \n@input /nonexistent/x\nCannot open file /nonexistent/x for input. ERR=No such file or directory\n",
            a = a.display(),
            b = b.display()
        )
    );
    assert_eq!(outcome.end, SessionEnd::Eof);
    assert_eq!(sent, vec!["list jobs"]);
}

#[tokio::test]
async fn output_and_tee_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("log");
    std::fs::write(&f, "old\n").expect("write");
    let fd = f.display();
    let (out, _, _) = run(&format!("@output {fd} w\nlist jobs\n@output\n@echo term\n")).await;
    assert_eq!(out, format!("@output {fd} w\n@echo term\nterm \n"));
    assert_eq!(std::fs::read_to_string(&f).expect("read"), "list jobs\n+-------+\n| jobid |\n+-------+\n@output\n");

    // default mode appends
    let (out, _, _) = run(&format!("@output {fd}\n@echo more\n@output\n")).await;
    assert_eq!(out, format!("@output {fd}\n"));
    assert!(std::fs::read_to_string(&f).expect("read").ends_with("@output\n@echo more\nmore \n@output\n"));

    let t = dir.path().join("tee");
    let td = t.display();
    let (out, _, _) = run(&format!("@tee {td} w\n@echo both\n@tee\n@echo after\n")).await;
    assert_eq!(out, format!("@tee {td} w\n@echo both\nboth \n@tee\n@echo after\nafter \n"));
    assert_eq!(std::fs::read_to_string(&t).expect("read"), "@echo both\nboth \n@tee\n");

    let (out, _, _) = run("@output /nonexistent/dir/x\n").await;
    assert_eq!(
        out,
        "@output /nonexistent/dir/x\nCannot open file /nonexistent/dir/x for output. ERR=No such file or directory\n"
    );
}

#[tokio::test]
async fn separator_splits_lines() {
    let (out, _, sent) = run("@separator !\n@echo a!list jobs! @echo b\n@separator\n@echo c!d\n").await;
    assert_eq!(
        out,
        "@separator !\n@echo a!list jobs! @echo b\na \n+-------+\n| jobid |\n+-------+\nb \n@separator\n@echo c!d\nc!d \n"
    );
    assert_eq!(sent, vec!["list jobs"]);
}

#[tokio::test]
async fn exec_prints_output_and_status() {
    let (out, _, sent) = run("@exec \"printf 'x\\ny\\n'\"\n@exec \"exit 3\"\n@exec \"sleep 5\" 1\n").await;
    assert_eq!(
        out,
        "@exec \"printf 'x\\ny\\n'\"\nx\ny\n\
         @exec \"exit 3\"\nAutochanger error: ERR=Child exited with code 3\n\
         @exec \"sleep 5\" 1\nAutochanger error: ERR=Child died from signal 9\n"
    );
    assert!(sent.is_empty());
}

#[tokio::test]
async fn local_info_commands() {
    let (out, _, sent) = run("@help\n@version\n@time\n@sleep 0\n@frob\n").await;
    assert!(out.contains("  separator  set command separator\n"));
    assert!(out.contains("@version\nVersion: 25.1.1"));
    assert!(out.contains("@frob\n@frob: is an invalid command\n"));
    assert!(sent.is_empty());
}

#[tokio::test]
async fn timeout_ends_the_session() {
    let opts = ScriptOptions { timeout: Some(Duration::from_millis(200)), ..Default::default() };
    let (out, outcome, _) = run_with("slow\nlist jobs\n", opts).await;
    assert_eq!(outcome.end, SessionEnd::TimedOut);
    assert_eq!(out, "slow\nCommand timed out after 0 seconds.\n");
}

#[tokio::test]
async fn root_safety_is_opt_in() {
    let opts = ScriptOptions { refuse_unsafe_as_root: true, ..Default::default() };
    let (out, _, _) = run_with("@output /dev/null\n@echo x\n", opts).await;
    let is_root = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
    };
    if is_root {
        assert_eq!(out, "@output /dev/null\n@output command is not allowed as privileged user.\n@echo x\nx \n");
    } else {
        assert_eq!(out, "@output /dev/null\n");
    }
}

#[tokio::test]
async fn interactive_engine_prompts() {
    let (mut client, _, _) = fake_director().await;
    let mut out = Vec::new();
    {
        let mut e = Engine::new(&mut client, Output::new(&mut out), ScriptOptions::default(), true);
        assert_eq!(e.prompt(), "*");
        assert!(matches!(e.handle_line("run", false).await.expect("run"), Flow::Continue));
        assert_eq!(e.prompt(), "Select Job resource (1-2): ");
        assert!(e.at_sub_prompt());
        e.handle_line("2", false).await.expect("answer");
        assert_eq!(e.prompt(), "*");
        e.handle_line("restore", false).await.expect("restore");
        assert_eq!(e.prompt(), "$ ");
        assert!(e.in_tree());
        e.handle_line("done", false).await.expect("done");
        assert_eq!(e.prompt(), "*");
        assert!(!e.in_tree());
        assert!(!e.take_refresh());
        assert!(matches!(e.handle_line("quit", false).await.expect("quit"), Flow::End(SessionEnd::Quit)));
    }
    // no echo, the question is the prompt (not printed), text without newline gets one
    assert_eq!(
        String::from_utf8(out).expect("utf8"),
        "Job queued. JobId=3\ncwd is: /\nBootstrap records written\n"
    );
}

#[tokio::test]
async fn connection_failure_names_the_director() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let d = DirectorEntry { name: "dir1".into(), address: "127.0.0.1".into(), port, password_key: Some("k".into()), tls: Default::default() };
    let opts = ConnectOptions::new("127.0.0.1", port, "k");
    let err = crate::session::connect(&d, &opts).await.expect_err("must fail");
    // Normally "Connection refused"; another test may briefly reuse the port.
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("Failed to connect to Director dir1 at 127.0.0.1:{port}: ")), "{msg}");
    assert!(!msg.contains('\n'));

    // A peer that hangs up during login: an authentication failure, one line.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        if let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    let d = DirectorEntry { port, ..d };
    let opts = ConnectOptions::new("127.0.0.1", port, "k");
    let msg = crate::session::connect(&d, &opts).await.expect_err("must fail").to_string();
    assert!(msg.starts_with(&format!("Failed to connect to Director dir1 at 127.0.0.1:{port}: authentication failed")), "{msg}");
}

#[tokio::test]
async fn run_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let good = dir.path().join("bconsole.conf");
    std::fs::write(&good, format!("Director {{ Name = d1; Address = 127.0.0.1; Port = {port}; Password = x }}\n"))
        .expect("write");
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "Director { Name = d1\n").expect("write");
    let args = |p: &std::path::Path| crate::ConsoleArgs {
        config: Some(p.to_path_buf()),
        batch: Some(true),
        ..Default::default()
    };
    assert_eq!(crate::run(crate::ConsoleArgs { test_config: true, ..args(&good) }).await, 0);
    assert_eq!(crate::run(crate::ConsoleArgs { list_directors: true, ..args(&good) }).await, 0);
    assert_eq!(crate::run(crate::ConsoleArgs { test_config: true, ..args(&bad) }).await, 1);
    assert_eq!(crate::run(crate::ConsoleArgs { director: Some("nope".into()), ..args(&good) }).await, 1);
    // nothing listens on the port: connection refused
    assert_eq!(crate::run(args(&good)).await, 1);
    // --home with no etc/
    assert_eq!(
        crate::run(crate::ConsoleArgs { home: Some(dir.path().join("nohome")), test_config: true, ..Default::default() })
            .await,
        1
    );
}
