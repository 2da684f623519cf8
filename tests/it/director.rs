//! The director over the real protocol: handshake forms, API modes and their
//! signal sequences, commands on an empty catalog, refusals and hostile input.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_proto::auth::{self, ConsoleProtocol};
use cairn_proto::{Conn, DirectorClient, Packet, ReplyEnd, Signal};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestConfig, TestDirector, ADMIN_PASSWORD, DIR_PASSWORD, LIMITED_PASSWORD};

/// Everything the director sends until (and including) the given end signal.
async fn frames_until(conn: &mut Conn, end: Signal) -> Result<Vec<Packet>> {
    let mut v = Vec::new();
    loop {
        let p = conn.recv_timeout(Duration::from_secs(10)).await?.context("connection closed")?;
        let done = p == Packet::Signal(end);
        v.push(p);
        if done {
            return Ok(v);
        }
    }
}

/// Log in by hand and return the raw connection after the result frames.
async fn raw_login(port: u16, name: &str, password: &str, protocol: ConsoleProtocol) -> Result<(Conn, Vec<String>)> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut c = Conn::from_tcp(stream);
    let hello = match protocol {
        ConsoleProtocol::V2 => format!("Hello {name} calling version 25.1.1\n"),
        ConsoleProtocol::V1 => format!("Hello {name} calling\n"),
    };
    c.send_text(hello).await?;
    auth::cram_as_client(&mut c, &auth::password_key(password), name).await?;
    let n = if protocol == ConsoleProtocol::V2 { 2 } else { 1 };
    let mut banner = Vec::new();
    for _ in 0..n {
        match c.recv_timeout(Duration::from_secs(10)).await? {
            Some(Packet::Data(b)) => banner.push(String::from_utf8_lossy(&b).into_owned()),
            other => bail!("unexpected {other:?}"),
        }
    }
    Ok((c, banner))
}

#[tokio::test]
async fn banners_for_both_console_protocols() -> Result<()> {
    let d = TestDirector::start().await?;
    let (_c, b) = raw_login(d.port, "*UserAgent*", DIR_PASSWORD, ConsoleProtocol::V2).await?;
    assert_eq!(b[0], "1000\u{1e}OK: bareos-dir Version: 25.1.1 (04 March 2026)");
    assert!(b[1].starts_with("1002\u{1e}Cairn "), "{:?}", b[1]);
    assert!(b[1].ends_with("\nYou are connected using the default console"), "{:?}", b[1]);
    let (_c, b) = raw_login(d.port, "admin", ADMIN_PASSWORD, ConsoleProtocol::V2).await?;
    assert!(b[1].ends_with("\nYou are logged in as: admin"));
    let (_c, b) = raw_login(d.port, "*UserAgent*", DIR_PASSWORD, ConsoleProtocol::V1).await?;
    assert_eq!(b[0], "1000 OK: bareos-dir Version: 25.1.1 (04 March 2026) --  Encryption: None\n");
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn refusals_get_a_reply_before_the_close() -> Result<()> {
    let d = TestDirector::start().await?;
    // wrong password
    let stream = TcpStream::connect(("127.0.0.1", d.port)).await?;
    let mut c = Conn::from_tcp(stream);
    c.send_text("Hello *UserAgent* calling version 25.1.1\n").await?;
    let err = auth::cram_as_client(&mut c, &auth::password_key("wrong"), "x").await;
    match err {
        Err(auth::AuthError::Refused(m)) => assert_eq!(m, "1999 Authorization failed."),
        other => bail!("expected refusal, got {other:?}"),
    }
    // unknown console, protocol 2: BNET_TERMINATE
    let stream = TcpStream::connect(("127.0.0.1", d.port)).await?;
    let mut c = Conn::from_tcp(stream);
    c.send_text("Hello nobody calling version 25.1.1\n").await?;
    assert_eq!(c.recv_timeout(Duration::from_secs(5)).await?, Some(Packet::Signal(Signal::Terminate)));
    // unknown console, protocol 1: 1999 You are not authorized.
    let stream = TcpStream::connect(("127.0.0.1", d.port)).await?;
    let mut c = Conn::from_tcp(stream);
    c.send_text("Hello nobody calling\n").await?;
    assert_eq!(c.recv_timeout(Duration::from_secs(5)).await?, Some(Packet::text("1999 You are not authorized.\n")));
    // the client library reports it clearly
    let e = DirectorClient::connect(&d.options(None, "wrong")).await.err().context("login must fail")?;
    assert!(e.to_string().contains("Authorization failed"), "{e}");
    let e = DirectorClient::connect(&d.options(Some("nobody"), "x")).await.err().context("login must fail")?;
    assert!(e.to_string().contains("refused"), "{e}");
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn api_modes_follow_bareos_signal_sequences() -> Result<()> {
    let d = TestDirector::start().await?;
    let (mut c, _) = raw_login(d.port, "*UserAgent*", DIR_PASSWORD, ConsoleProtocol::V2).await?;
    // mode 0: text then EOD
    c.send_text("whoami").await?;
    assert_eq!(frames_until(&mut c, Signal::Eod).await?, vec![Packet::text("root\n"), Packet::Signal(Signal::Eod)]);
    // .api json from mode 0: CMD_OK, JSON, MAIN_PROMPT (pretty JSON)
    c.send_text(".api json").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(
        f,
        vec![
            Packet::Signal(Signal::CmdOk),
            Packet::text("{\n  \"jsonrpc\": \"2.0\",\n  \"id\": null,\n  \"result\": {\n    \"api\": 2\n  }\n}"),
            Packet::Signal(Signal::MainPrompt)
        ]
    );
    c.send_text(".api json compact=yes").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(
        f,
        vec![
            Packet::Signal(Signal::CmdBegin),
            Packet::Signal(Signal::CmdOk),
            Packet::text(r#"{"jsonrpc":"2.0","id":null,"result":{"api":2}}"#),
            Packet::Signal(Signal::MainPrompt)
        ]
    );
    // an invalid command: ERROR_MSG and the error envelope, no CMD_BEGIN (not found)
    c.send_text("invalidcommand").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(
        f,
        vec![
            Packet::Signal(Signal::ErrorMsg),
            Packet::text(r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"failed","data":{"result":{},"messages":{"error":["invalidcommand: is an invalid command.\n"]}}}}"#),
            Packet::Signal(Signal::MainPrompt)
        ]
    );
    c.send_text("list jobs").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(f[2], Packet::text(r#"{"jsonrpc":"2.0","id":null,"result":{"jobs":[]}}"#));
    // back to mode 0 from mode 2: CMD_BEGIN, text, EOD
    c.send_text(".api 0").await?;
    let f = frames_until(&mut c, Signal::Eod).await?;
    assert_eq!(f, vec![Packet::Signal(Signal::CmdBegin), Packet::text("api: 0\n"), Packet::Signal(Signal::Eod)]);
    // mode 1: MAIN_PROMPT before reads, messages signalled and printed
    c.send_text(".api 1").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(f, vec![Packet::text("api: 1\n"), Packet::Signal(Signal::CmdOk), Packet::Signal(Signal::MainPrompt)]);
    c.send_text("nosuch").await?;
    let f = frames_until(&mut c, Signal::MainPrompt).await?;
    assert_eq!(
        f,
        vec![Packet::Signal(Signal::ErrorMsg), Packet::text("nosuch: is an invalid command.\n"), Packet::Signal(Signal::MainPrompt)]
    );
    // quit: the session closes
    c.send_text("quit").await?;
    let f = frames_until(&mut c, Signal::CmdOk).await?;
    assert_eq!(f, vec![Packet::Signal(Signal::CmdBegin), Packet::Signal(Signal::CmdOk)]);
    assert_eq!(c.recv_timeout(Duration::from_secs(5)).await?, None);
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn commands_on_an_empty_catalog() -> Result<()> {
    let d = TestDirector::start().await?;
    let mut c = d.root().await?;
    let r = c.command("version").await?;
    assert!(r.text.starts_with("bareos-dir Version: 25.1.1 (04 March 2026) "), "{}", r.text);
    assert_eq!(r.end, ReplyEnd::Eod);
    let r = c.command("li jobs").await?;
    assert_eq!(r.text, "Automatically selected Catalog: MyCatalog\nUsing Catalog \"MyCatalog\"\nNo results to list.\n");
    let r = c.command("li jobs").await?;
    assert_eq!(r.text, "No results to list.\n", "the catalog is announced once per session");
    let r = c.command("list clients").await?;
    assert!(r.text.contains("| clientid | name       | fileretention | jobretention |"), "{}", r.text);
    assert!(r.text.contains("|        1 | bareos-fd  |     5,184,000 |   15,552,000 |"), "{}", r.text);
    let r = c.command("list pools").await?;
    assert!(r.text.contains("| Scratch     | "), "{}", r.text);
    let r = c.command("LIST VOLUMES").await?;
    assert!(r.text.contains("Pool: Full\nNo results to list.\n"), "{}", r.text);
    let r = c.command("help").await?;
    assert!(r.text.starts_with("  Command            Description\n  =======            ===========\n  add                Add media to a pool\n"));
    assert!(r.text.ends_with("\nWhen at a prompt, entering a period (.) cancels the command.\n\n"));
    let r = c.command("frobnicate now").await?;
    assert_eq!(r.text, "frobnicate: is an invalid command.\n");
    // the session stays usable
    let r = c.command("whoami").await?;
    assert_eq!(r.text, "root\n");
    let r = c.command("status dir").await?;
    assert!(r.text.contains("\nRunning Jobs:\nConsole connected at "), "{}", r.text);
    assert!(r.text.contains("No Terminated Jobs.\n"), "{}", r.text);
    assert!(r.text.ends_with("====\n"), "{}", r.text);

    // JSON shapes clients rely on
    let v = c.json("list jobs").await?;
    assert_eq!(v, serde_json::json!({"jobs": []}));
    let v = c.json("status director").await?;
    for k in ["header", "scheduled", "running", "terminated", "client-connection"] {
        assert!(v.get(k).is_some(), "missing {k} in {v}");
    }
    assert_eq!(v["header"]["version"], "25.1.1");
    let v = c.json("version").await?;
    assert_eq!(v["version"]["version"], "25.1.1");
    assert_eq!(v["version"]["type"], "bareos-director");
    let v = c.json("list jobid=99").await?;
    assert_eq!(v, serde_json::json!({"jobs": {}}));
    let v = c.json(".jobs").await?;
    assert!(v["jobs"].as_array().is_some_and(|a| a.iter().any(|j| j["name"] == "backup-bareos-fd" && j["enabled"] == true)));
    let v = c.json("list clients").await?;
    assert_eq!(v["clients"][0]["name"], "bareos-fd");
    assert_eq!(v["clients"][0]["clientid"], "1");
    let v = c.json(".sql query=\"SELECT COUNT(*) AS n FROM Status\"").await?;
    assert_eq!(v["query"][0]["n"], "26");
    let e = c.json("nosuchcommand").await.err().context("must fail")?;
    assert_eq!(e.to_string(), "failed: nosuchcommand: is an invalid command.\n");
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn show_hides_passwords_from_consoles_without_configure() -> Result<()> {
    let d = TestDirector::start().await?;
    let mut root = d.root().await?;
    let r = root.command("show client=bareos-fd").await?;
    assert!(r.text.starts_with("Client {\n  Name = \"bareos-fd\"\n"), "{}", r.text);
    assert!(r.text.contains(&format!("[md5]{}", auth::password_key("fdpassword"))), "{}", r.text);
    let v = root.json("show client=bareos-fd").await?;
    assert_eq!(v["clients"]["bareos-fd"]["address"], "localhost");
    let e = root.json("show client=nosuch").await.err().context("must fail")?;
    assert!(e.to_string().contains("clients resource nosuch not found."), "{e}");

    // the seed's console (`Command ACL = !delete, *all*`) may do everything but delete
    let mut admin = DirectorClient::connect(&d.options(Some("admin"), ADMIN_PASSWORD)).await?;
    assert_eq!(admin.command("whoami").await?.text, "admin\n");
    assert_eq!(admin.command("delete volume=x").await?.text, "delete: is an invalid command.\n");
    // a console limited to status: show is refused, status works, quit always allowed
    let mut lim = DirectorClient::connect(&d.options(Some("limited"), LIMITED_PASSWORD)).await?;
    assert_eq!(lim.command("show all").await?.text, "show: is an invalid command.\n");
    assert!(lim.command("status dir").await?.text.contains("Running Jobs:"));
    assert_eq!(lim.command("whoami").await?.text, "limited\n");
    assert_eq!(lim.command("help").await?.text, "help: is an invalid command.\n");
    assert!(lim.command("version").await?.text.starts_with("bareos-dir Version: "));
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn reload_keeps_the_old_config_on_error() -> Result<()> {
    let d = TestDirector::start().await?;
    let mut c = d.root().await?;
    d.config.write("client/new-fd.conf", "Client {\n  Name = new-fd\n  Address = 10.0.0.9\n  Password = x\n}\n")?;
    assert_eq!(c.command("reload").await?.text, "reloaded\n");
    let v = c.json(".clients").await?;
    assert!(v.to_string().contains("new-fd"), "{v}");
    let v = c.json("list clients").await?;
    assert!(v.to_string().contains("new-fd"), "reload synchronises the catalog: {v}");
    d.config.write("client/broken.conf", "Client {\n  Name = broken-fd\n  Adress = x\n}\n")?;
    c.command(".api 0").await?;
    let r = c.command("reload").await?;
    assert!(r.text.starts_with("failed to reload\n"), "{}", r.text);
    assert!(r.text.contains("broken.conf:3:"), "error names file and line: {}", r.text);
    let v = c.json(".clients").await?;
    assert!(v.to_string().contains("new-fd") && !v.to_string().contains("broken-fd"));
    d.stop().await;
    Ok(())
}

/// After each hostile connection the director must still log a console in.
async fn still_serves(d: &TestDirector) -> Result<()> {
    let mut c = d.root().await?;
    // Refused connections are logged as security messages, so the console is told
    // it has messages (as Bareos does).
    let t = c.command("whoami").await?.text;
    assert!(t == "root\n" || t == "root\nYou have messages.\n", "{t:?}");
    Ok(())
}

#[tokio::test]
async fn hostile_input_closes_only_that_connection() -> Result<()> {
    let d = TestDirector::start().await?;
    let addr = ("127.0.0.1", d.port);
    // an idle authenticated session stays open throughout
    let mut idle = d.root().await?;

    // oversized length
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&[0x7f, 0xff, 0xff, 0xff, b'x']).await?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    still_serves(&d).await?;

    // garbage handshake
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(b"\x00\x00\x00\x10GET / HTTP/1.1\r\n").await?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert_eq!(buf, vec![0xff, 0xff, 0xff, 0xfc], "a garbage Hello gets BNET_TERMINATE");
    still_serves(&d).await?;

    // truncated frame then close
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&[0, 0, 0, 100, b'H', b'e']).await?;
    drop(s);
    still_serves(&d).await?;

    // malformed packet inside an authenticated session
    let (c, _) = raw_login(d.port, "*UserAgent*", DIR_PASSWORD, ConsoleProtocol::V2).await?;
    drop(c);
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&[0xff, 0xff, 0xff, 0xf0]).await?; // a signal instead of Hello
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert_eq!(buf, vec![0xff, 0xff, 0xff, 0xfc]);
    still_serves(&d).await?;

    // random bytes
    let mut s = TcpStream::connect(addr).await?;
    let junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let _ = s.write_all(&junk).await;
    drop(s);
    still_serves(&d).await?;

    // a TLS ClientHello gets a TLS alert, not a reset
    let mut s = TcpStream::connect(addr).await?;
    let mut hello = vec![0x16, 0x03, 0x01, 0x00, 0x05];
    hello.extend_from_slice(&[0x01, 0x00, 0x00, 0x01, 0x00]);
    s.write_all(&hello).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await??;
    assert_eq!(buf, cairn_proto::conn::TLS_ALERT_HANDSHAKE_FAILURE.to_vec());
    still_serves(&d).await?;

    assert!(idle.command("whoami").await?.text.starts_with("root\n"));
    let m = idle.command("messages").await?.text;
    assert!(m.contains("Invalid connection from 127.0.0.1"), "{m}");
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn many_consoles_at_once() -> Result<()> {
    let d = TestDirector::start().await?;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let opts = if i % 2 == 0 { d.options(None, DIR_PASSWORD) } else { d.options(Some("admin"), ADMIN_PASSWORD) };
        tasks.push(tokio::spawn(async move {
            let mut c = DirectorClient::connect(&opts).await?;
            for _ in 0..5 {
                let v: Value = c.json("list pools").await?;
                anyhow::ensure!(v["pools"].as_array().map(|a| a.len()) == Some(3), "pools: {v}");
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn named_console_may_use_seed_acl_through_profiles() -> Result<()> {
    let cfg = TestConfig::standard()?;
    cfg.write(
        "profile/operator.conf",
        "Profile {\n  Name = operator\n  Command ACL = !.sql, !delete\n  Command ACL = *all*\n  Pool ACL = *all*\n}\n",
    )?;
    cfg.write("console/op.conf", "Console {\n  Name = op\n  Password = oppw\n  Profile = operator\n}\n")?;
    let d = TestDirector::start_with(cfg).await?;
    let mut op = DirectorClient::connect(&d.options(Some("op"), "oppw")).await?;
    assert_eq!(op.command(".sql query=\"SELECT 1\"").await?.text, ".sql: is an invalid command.\n");
    assert!(op.command("list pools").await?.text.contains("| Full "));
    // Resource ACLs apply as well: the profile allows no job.
    assert_eq!(op.command(".jobs").await?.text, "");
    d.stop().await;
    Ok(())
}
