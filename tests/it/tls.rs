//! Certificate TLS on every link (issue 6): a backup and restore with TLS
//! everywhere, wrong CA and wrong CN refused, `TLS Require = yes` refusing
//! cleartext with a clear message, and `cairn console` over TLS. Certificates
//! are made at test time with rcgen.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use cairn_proto::daemon::{dial_tls, director_hello};
use cairn_proto::tls::TlsOptions;
use cairn_proto::{ConnectOptions, DirectorClient, ProtoError};
use rcgen::{CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};

use crate::cluster::{run_and_expect, Cluster, ClusterOpts, ClusterTls, DIR_PW};

const T: Duration = Duration::from_secs(10);

/// A private CA and certificates issued by it, written as PEM files.
pub struct Pki {
    pub dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

fn params(cn: &str, sans: Vec<String>) -> Result<CertificateParams> {
    let mut p = CertificateParams::new(sans)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    Ok(p)
}

impl Pki {
    /// A CA named `ca_cn`, its certificate in `<dir>/ca.pem`.
    pub fn new(dir: &Path, ca_cn: &str) -> Result<Pki> {
        std::fs::create_dir_all(dir)?;
        let mut p = params(ca_cn, Vec::new())?;
        p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate()?;
        let ca = p.self_signed(&ca_key)?;
        std::fs::write(dir.join("ca.pem"), ca.pem())?;
        Ok(Pki { dir: dir.to_path_buf(), ca, ca_key })
    }

    /// Issue `<dir>/<file>.pem` and `.key` with common name `cn` (valid for
    /// localhost and 127.0.0.1).
    pub fn issue(&self, file: &str, cn: &str) -> Result<()> {
        let p = params(cn, vec!["localhost".into(), "127.0.0.1".into()])?;
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.ca, &self.ca_key)?;
        std::fs::write(self.dir.join(format!("{file}.pem")), cert.pem())?;
        std::fs::write(self.dir.join(format!("{file}.key")), key.serialize_pem())?;
        Ok(())
    }

    /// The standard set for a cluster: dir, sd, fd.
    pub fn cluster(dir: &Path) -> Result<Pki> {
        let pki = Pki::new(dir, "Cairn Test CA")?;
        pki.issue("dir", "test-dir")?;
        pki.issue("sd", "test-sd")?;
        pki.issue("fd", "test-fd")?;
        Ok(pki)
    }
}

fn tls_cluster_opts(certs: &Path, include: String) -> ClusterOpts {
    ClusterOpts {
        include,
        tls: Some(ClusterTls { certs: certs.to_path_buf(), dir_require: true, sd_allowed_cn: Vec::new() }),
        ..Default::default()
    }
}

fn client_opts(ca: &Path, cert: Option<(&Path, &str)>, allowed_cn: &[&str]) -> TlsOptions {
    TlsOptions {
        enable: true,
        ca_certificate_file: Some(ca.to_path_buf()),
        certificate: cert.map(|(d, n)| d.join(format!("{n}.pem"))),
        key: cert.map(|(d, n)| d.join(format!("{n}.key"))),
        allowed_cn: allowed_cn.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn backup_and_restore_with_tls_on_every_link() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let certs = tmp.path().join("certs");
    Pki::cluster(&certs)?;
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("sub"))?;
    std::fs::write(data.join("a.txt"), b"over TLS\n")?;
    std::fs::write(data.join("sub/b.bin"), vec![7u8; 300_000])?;
    let cl = Cluster::start(tls_cluster_opts(&certs, format!("    File = \"{}\"", data.display()))).await?;
    // console ↔ director over TLS
    let mut c = cl.console().await?;
    // director ↔ FD, director ↔ SD and FD ↔ SD over TLS (the SD and FD require it)
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let where_ = cl.path("restored");
    run_and_expect(&mut c, &format!("restore jobid={id} all done yes where={}", where_.display()), &["T"]).await?;
    let back = where_.join(data.strip_prefix("/")?);
    assert_eq!(std::fs::read(back.join("a.txt"))?, b"over TLS\n");
    assert_eq!(std::fs::read(back.join("sub/b.bin"))?.len(), 300_000);
    let st = c.command(".api 0").await.and(c.command("status storage=File").await)?.text;
    assert!(st.contains("test-sd"), "{st}");
    let st = c.command("status client=test-fd").await?.text;
    assert!(st.contains("test-fd"), "{st}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn require_refuses_cleartext_with_a_message_and_wrong_ca_or_cn_is_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let certs = tmp.path().join("certs");
    let pki = Pki::cluster(&certs)?;
    pki.issue("intruder", "intruder-fd")?;
    let other = Pki::new(&tmp.path().join("other"), "Some Other CA")?;
    other.issue("fd", "test-fd")?;
    let mut opts = tls_cluster_opts(&certs, String::new());
    if let Some(t) = opts.tls.as_mut() {
        t.sd_allowed_cn = vec!["test-dir".into(), "test-fd".into()];
    }
    let cl = Cluster::start(opts).await?;
    let ca = certs.join("ca.pem");
    let hello = director_hello("test-dir");
    let key = cairn_proto::auth::password_key("sdpw");

    // TLS Require = yes: a cleartext console is refused with a clear message
    let mut o = ConnectOptions::new("127.0.0.1", cl.port, cairn_proto::auth::password_key(DIR_PW));
    o.connect_timeout = T;
    let err = DirectorClient::connect(&o).await.err().context("cleartext console accepted")?.to_string();
    assert!(err.contains("requires TLS") && err.contains("TLS Require = yes"), "{err}");
    // ... and so is a cleartext director on the SD
    let err = dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", Some("3000 OK Hello"), T, None)
        .await
        .err()
        .context("cleartext accepted by the SD")?
        .to_string();
    assert!(err.contains("requires TLS"), "{err}");
    // ... and on the FD
    let fd_key = cairn_proto::auth::password_key("fdpw");
    let err = dial_tls("127.0.0.1", cl.fd_port, &hello, &fd_key, "R_DIRECTOR::test-dir", Some("2000 OK Hello"), T, None)
        .await
        .err()
        .context("cleartext accepted by the FD")?
        .to_string();
    assert!(err.contains("file daemon requires TLS"), "{err}");

    // the right CA and a certificate with an allowed CN: accepted
    let good = client_opts(&ca, Some((&certs, "dir")), &[]).client()?.context("tls")?;
    let (c, _) =
        dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", Some("3000 OK Hello"), T, Some(&good))
            .await?;
    c.close().await;

    // wrong CA: the SD's certificate is not trusted
    let wrong_ca = client_opts(&other.dir.join("ca.pem"), None, &[]).client()?.context("tls")?;
    let err = dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", None, T, Some(&wrong_ca))
        .await
        .err()
        .context("wrong CA accepted")?;
    let text = err.to_string();
    assert!(matches!(err, ProtoError::Tls(_)), "{text}");
    assert!(text.contains("TLS handshake") && text.contains("not signed by a trusted CA"), "{text}");

    // wrong CA the other way: a client certificate from another CA, the SD verifies peers
    let foreign = client_opts(&ca, Some((&other.dir, "fd")), &[]).client()?.context("tls")?;
    let r = dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", Some("3000 OK Hello"), T, Some(&foreign))
        .await;
    assert!(r.is_err(), "a certificate from another CA was accepted");

    // wrong CN (server side): a certificate of the right CA whose CN is not in TLS Allowed CN
    let intruder = client_opts(&ca, Some((&certs, "intruder")), &[]).client()?.context("tls")?;
    let r = dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", Some("3000 OK Hello"), T, Some(&intruder))
        .await;
    assert!(r.is_err(), "a CN outside TLS Allowed CN was accepted");

    // wrong CN (client side): the SD's CN is not the one this client allows
    let picky = client_opts(&ca, Some((&certs, "dir")), &["some-other-sd"]).client()?.context("tls")?;
    let err = dial_tls("127.0.0.1", cl.sd_port, &hello, &key, "R_DIRECTOR::test-dir", None, T, Some(&picky))
        .await
        .err()
        .context("wrong CN accepted")?
        .to_string();
    assert!(err.contains("\"test-sd\"") && err.contains("not in TLS Allowed CN (some-other-sd)"), "{err}");

    // the cluster still works after all that
    let mut c = cl.console().await?;
    let v = c.command("version").await?;
    assert!(v.text.contains("25.1.1"), "{}", v.text);
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn cleartext_still_connects_where_tls_is_not_required() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let certs = tmp.path().join("certs");
    Pki::cluster(&certs)?;
    let mut opts = tls_cluster_opts(&certs, String::new());
    if let Some(t) = opts.tls.as_mut() {
        t.dir_require = false;
    }
    let cl = Cluster::start(opts).await?;
    // cleartext (like python-bareos without TLS)
    let mut o = ConnectOptions::new("127.0.0.1", cl.port, cairn_proto::auth::password_key(DIR_PW));
    o.connect_timeout = T;
    let plain = DirectorClient::connect(&o).await?;
    assert!(plain.banner().ok_line.contains("1000 OK"), "{:?}", plain.banner());
    plain.close().await;
    // and TLS on the same port
    let mut c = cl.console().await?;
    assert!(c.command("version").await?.text.contains("25.1.1"));
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn cairn_console_connects_over_tls() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let certs = tmp.path().join("certs");
    Pki::cluster(&certs)?;
    let cl = Cluster::start(tls_cluster_opts(&certs, String::new())).await?;
    let conf = tmp.path().join("bconsole.conf");
    let run = |conf: PathBuf| async move {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["console", "-c"])
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            stdin.write_all(b"version\nquit\n").await?;
        }
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await??;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        anyhow::Ok((out.status.success(), text))
    };
    std::fs::write(
        &conf,
        format!(
            "Director {{\n  Name = test-dir\n  Address = 127.0.0.1\n  Port = {}\n  Password = \"{DIR_PW}\"\n  TLS Enable = yes\n  TLS CA Certificate File = \"{}\"\n}}\n",
            cl.port,
            certs.join("ca.pem").display()
        ),
    )?;
    let (ok, text) = run(conf.clone()).await?;
    assert!(ok, "{text}");
    assert!(text.contains("1000 OK: test-dir"), "{text}");
    // without TLS the director (TLS Require = yes) refuses, and says why
    std::fs::write(
        &conf,
        format!("Director {{\n  Name = test-dir\n  Address = 127.0.0.1\n  Port = {}\n  Password = \"{DIR_PW}\"\n}}\n", cl.port),
    )?;
    let (ok, text) = run(conf.clone()).await?;
    assert!(!ok, "{text}");
    assert!(text.contains("requires TLS"), "{text}");
    cl.stop().await;
    Ok(())
}

/// Three free consecutive ports (director, FD = +1, SD = +2), as `cairn up` uses.
fn free_port_triple() -> Result<u16> {
    for _ in 0..50 {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        let p = l.local_addr()?.port();
        drop(l);
        if p < 60000
            && (1..=2).all(|i| std::net::TcpListener::bind(("127.0.0.1", p + i)).is_ok())
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
        {
            return Ok(p);
        }
    }
    anyhow::bail!("no free port triple")
}

#[tokio::test]
async fn cairn_up_makes_a_ca_and_runs_every_link_over_tls() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let home = tmp.path().join("home");
    let port = free_port_triple()?;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["up", "--console", "--port", &port.to_string(), "--home"])
        .arg(&home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin
            .write_all(b"status storage=File\nstatus client=bareos-fd\nrun job=backup-bareos-fd level=Full yes\nwait\nlist jobs\nquit\n")
            .await?;
    }
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output()).await??;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    let tls = home.join("etc/tls");
    for f in ["ca.pem", "ca.key", "dir.pem", "dir.key", "sd.pem", "sd.key", "fd.pem", "fd.key"] {
        assert!(tls.join(f).is_file(), "{f} missing\n{text}");
    }
    assert!(text.contains("1000 OK: bareos-dir"), "{text}");
    assert!(!text.contains("requires TLS") && !text.contains("TLS handshake"), "{text}");
    assert!(text.contains("| T "), "the backup did not end OK:\n{text}");
    if std::env::var("CAIRN_SHOW_LOG").is_ok() {
        eprintln!("{text}");
    }
    Ok(())
}
