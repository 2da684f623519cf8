//! Manual check: a fake Director on 127.0.0.1 and `cairn_console::run` against it.
//! `cargo run -p cairn-console --example fake_session` (stdin: a script or a terminal).
use cairn_proto::{Conn, Packet, Signal, auth};

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut conn = Conn::from_tcp(s);
                let _ = conn.recv().await;
                if auth::cram_as_server(&mut conn, &auth::password_key("x"), "fake-dir").await.is_err() {
                    return;
                }
                let _ = conn.send_text("1000\u{1e}OK: fake-dir Version: 25.1.1 (04 March 2026)").await;
                let _ = conn.send_text("1002\u{1e}You are connected using the default console").await;
                while let Ok(Some(Packet::Data(b))) = conn.recv().await {
                    let cmd = String::from_utf8_lossy(&b).into_owned();
                    let (text, sig) = match cmd.as_str() {
                        ".help all" => ("list\nllist\nrun\nrestore\nstatus\nquit\n".to_string(), Signal::Eod),
                        ".help" => ("run Run a job -- job=<job-name> client=<client-name> level=<level> yes\n".to_string(), Signal::Eod),
                        ".jobs" => ("BackupClient1\nBackupCatalog\n".to_string(), Signal::Eod),
                        "run" => ("Select Job resource (1-2): ".to_string(), Signal::SubPrompt),
                        "quit" => return,
                        c => (format!("you said: {c}\n"), Signal::Eod),
                    };
                    let _ = conn.send_text(text).await;
                    let _ = conn.send_signal(sig).await;
                }
            });
        }
    });
    let dir = std::env::temp_dir().join(format!("fake-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let conf = dir.join("bconsole.conf");
    std::fs::write(&conf, format!("Director {{ Name = fake; Address = 127.0.0.1; Port = {port}; Password = x }}\n"))
        .expect("write");
    let code = cairn_console::run(cairn_console::ConsoleArgs { config: Some(conf), ..Default::default() }).await;
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(code);
}
