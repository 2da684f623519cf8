//! Certificate TLS for every link (PROTOCOL.md §3): rustls over TCP.
//!
//! As in Bareos ≥ 18.2 the connecting side starts TLS immediately (ClientHello
//! first, Hello and CRAM-MD5 inside the tunnel); the accepting side tells TLS
//! from cleartext by the first byte (`0x16`), so cleartext peers (python-bareos
//! without TLS) still work where `TLS Require = no`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;

use crate::conn::{self, Conn};

/// Errors of TLS set-up and handshakes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot read TLS file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("TLS handshake with {peer} failed: {reason}")]
    Handshake { peer: String, reason: String },
    #[error("TLS peer {peer} presented certificate CN {cn:?}, not in TLS Allowed CN ({allowed})")]
    CnNotAllowed { peer: String, cn: String, allowed: String },
    #[error("TLS peer {peer} presented no certificate but TLS Allowed CN is set")]
    NoPeerCertificate { peer: String },
}

/// The TLS directives of one resource, as far as Cairn acts on them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    pub enable: bool,
    pub require: bool,
    pub verify_peer: bool,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca_certificate_file: Option<PathBuf>,
    pub ca_certificate_dir: Option<PathBuf>,
    pub allowed_cn: Vec<String>,
}

impl TlsOptions {
    /// Certificate TLS is in use when enabled and some certificate material is
    /// configured (Bareos would fall back to TLS-PSK otherwise; Cairn stays cleartext).
    pub fn active(&self) -> bool {
        self.enable && (self.certificate.is_some() || self.ca_certificate_file.is_some() || self.ca_certificate_dir.is_some())
    }

    /// Build the accepting side, `None` when TLS is not active or no own
    /// certificate is configured (a listener cannot do TLS without one).
    pub fn server(&self) -> Result<Option<Arc<TlsServer>>, TlsError> {
        if !self.active() || (self.certificate.is_none() && self.key.is_none()) {
            return Ok(None);
        }
        TlsServer::new(self).map(|s| Some(Arc::new(s)))
    }

    /// Build the connecting side, `None` when TLS is not active.
    pub fn client(&self) -> Result<Option<Arc<TlsClient>>, TlsError> {
        if !self.active() {
            return Ok(None);
        }
        TlsClient::new(self).map(|c| Some(Arc::new(c)))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_err = |reason: String| TlsError::File { path: path.to_path_buf(), reason };
    let data = std::fs::read(path).map_err(|e| file_err(e.to_string()))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(file_err("no certificate in file".into()));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let data = std::fs::read(path).map_err(|e| TlsError::File { path: path.to_path_buf(), reason: e.to_string() })?;
    PrivateKeyDer::from_pem_slice(&data)
        .map_err(|e| TlsError::File { path: path.to_path_buf(), reason: format!("no usable private key: {e}") })
}

fn roots(o: &TlsOptions) -> Result<Option<RootCertStore>, TlsError> {
    let mut store = RootCertStore::empty();
    let mut any = false;
    if let Some(f) = &o.ca_certificate_file {
        for c in load_certs(f)? {
            store.add(c).map_err(|e| TlsError::File { path: f.clone(), reason: format!("bad CA certificate: {e}") })?;
            any = true;
        }
    }
    if let Some(d) = &o.ca_certificate_dir {
        let rd = std::fs::read_dir(d).map_err(|e| TlsError::File { path: d.clone(), reason: e.to_string() })?;
        for ent in rd.flatten() {
            let p = ent.path();
            if !p.is_file() {
                continue;
            }
            // Skip files that are no certificates (hash links of non-PEM, keys ...).
            if let Ok(cs) = load_certs(&p) {
                for c in cs {
                    if store.add(c).is_ok() {
                        any = true;
                    }
                }
            }
        }
    }
    Ok(any.then_some(store))
}

fn own_identity(o: &TlsOptions) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TlsError> {
    match (&o.certificate, &o.key) {
        (Some(c), Some(k)) => Ok(Some((load_certs(c)?, load_key(k)?))),
        (Some(_), None) => Err(TlsError::Config("TLS Certificate is set but TLS Key is not".into())),
        (None, Some(_)) => Err(TlsError::Config("TLS Key is set but TLS Certificate is not".into())),
        (None, None) => Ok(None),
    }
}

/// The accepting side of TLS links.
pub struct TlsServer {
    acceptor: tokio_rustls::TlsAcceptor,
    /// Refuse cleartext peers.
    pub require: bool,
    allowed_cn: Vec<String>,
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer").field("require", &self.require).finish_non_exhaustive()
    }
}

impl TlsServer {
    pub fn new(o: &TlsOptions) -> Result<TlsServer, TlsError> {
        let Some((certs, key)) = own_identity(o)? else {
            return Err(TlsError::Config("TLS is enabled but TLS Certificate and TLS Key are not set".into()));
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = if o.verify_peer || !o.allowed_cn.is_empty() {
            let Some(store) = roots(o)? else {
                return Err(TlsError::Config(
                    "TLS Verify Peer / TLS Allowed CN need TLS CA Certificate File or Dir".into(),
                ));
            };
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider())
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(v)
        } else {
            builder.with_no_client_auth()
        };
        let cfg = builder.with_single_cert(certs, key).map_err(|e| TlsError::Config(format!("TLS Key: {e}")))?;
        Ok(TlsServer {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(cfg)),
            require: o.require,
            allowed_cn: o.allowed_cn.clone(),
        })
    }

    /// Run the server handshake on a stream whose first byte is a ClientHello.
    pub async fn accept(&self, stream: TcpStream, peer: &str, timeout: Duration) -> Result<Conn, TlsError> {
        let _ = stream.set_nodelay(true);
        let hs = |reason: String| TlsError::Handshake { peer: peer.to_string(), reason };
        let tls = tokio::time::timeout(timeout, self.acceptor.accept(stream))
            .await
            .map_err(|_| hs(format!("timed out after {timeout:?}")))?
            .map_err(|e| hs(e.to_string()))?;
        let (_, session) = tls.get_ref();
        check_cn(session.peer_certificates(), &self.allowed_cn, peer)?;
        Ok(Conn::new(Box::new(tls), peer.to_string()))
    }
}

/// The connecting side of TLS links.
pub struct TlsClient {
    connector: tokio_rustls::TlsConnector,
    allowed_cn: Vec<String>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

impl TlsClient {
    pub fn new(o: &TlsOptions) -> Result<TlsClient, TlsError> {
        let Some(store) = roots(o)? else {
            return Err(TlsError::Config(
                "TLS is enabled but no TLS CA Certificate File or Dir is set to verify the peer".into(),
            ));
        };
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let verifier = Arc::new(ChainVerifier { inner, check_name: o.verify_peer && o.allowed_cn.is_empty() });
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let cfg = match own_identity(o)? {
            Some((certs, key)) => {
                builder.with_client_auth_cert(certs, key).map_err(|e| TlsError::Config(format!("TLS Key: {e}")))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(TlsClient { connector: tokio_rustls::TlsConnector::from(Arc::new(cfg)), allowed_cn: o.allowed_cn.clone() })
    }

    /// Run the client handshake on a fresh TCP stream to `host`.
    pub async fn connect(&self, stream: TcpStream, host: &str, timeout: Duration) -> Result<Conn, TlsError> {
        let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| host.to_string());
        let _ = stream.set_nodelay(true);
        let hs = |reason: String| TlsError::Handshake { peer: peer.clone(), reason };
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
            .map_err(|e| hs(format!("bad server name {host:?}: {e}")))?;
        let tls = tokio::time::timeout(timeout, self.connector.connect(name, stream))
            .await
            .map_err(|_| hs(format!("timed out after {timeout:?}")))?
            .map_err(|e| hs(handshake_reason(&e)))?;
        let (_, session) = tls.get_ref();
        check_cn(session.peer_certificates(), &self.allowed_cn, &peer)?;
        Ok(Conn::new(Box::new(tls), peer))
    }
}

fn handshake_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    if s.contains("UnknownIssuer") {
        format!("{s} (the peer's certificate is not signed by a trusted CA: check TLS CA Certificate File)")
    } else {
        s
    }
}

/// Verifies the chain against the configured CAs; the host name only when asked
/// (Bareos checks names through TLS Allowed CN, not against the address dialed).
#[derive(Debug)]
struct ChainVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. }))
                if !self.check_name =>
            {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn check_cn(certs: Option<&[CertificateDer<'_>]>, allowed: &[String], peer: &str) -> Result<(), TlsError> {
    if allowed.is_empty() {
        return Ok(());
    }
    let Some(ee) = certs.and_then(|c| c.first()) else {
        return Err(TlsError::NoPeerCertificate { peer: peer.to_string() });
    };
    let cn = subject_cn(ee.as_ref()).unwrap_or_default();
    if allowed.iter().any(|a| a == &cn) {
        Ok(())
    } else {
        Err(TlsError::CnNotAllowed { peer: peer.to_string(), cn, allowed: allowed.join(", ") })
    }
}

/// One DER TLV: (tag, content, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The subject common name of a DER certificate.
pub fn subject_cn(cert: &[u8]) -> Option<String> {
    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    let (_, certificate, _) = der(cert)?;
    let (_, tbs, _) = der(certificate)?;
    let mut rest = tbs;
    // [0] version (optional), serial, signature, issuer, validity, subject
    let (tag, _, r) = der(rest)?;
    if tag == 0xa0 {
        rest = r;
        let (_, _, r) = der(rest)?; // serial
        rest = r;
    } else {
        rest = r; // that was the serial
    }
    for _ in 0..3 {
        let (_, _, r) = der(rest)?;
        rest = r;
    }
    let (_, mut subject, _) = der(rest)?;
    while !subject.is_empty() {
        let (_, set, r) = der(subject)?;
        subject = r;
        let mut set = set;
        while !set.is_empty() {
            let (_, atv, r) = der(set)?;
            set = r;
            let (_, oid, r) = der(atv)?;
            if oid == OID_CN {
                let (_, value, _) = der(r)?;
                return Some(String::from_utf8_lossy(value).into_owned());
            }
        }
    }
    None
}

/// What the accepting side made of a new connection.
pub enum Accepted {
    /// A TLS or permitted cleartext connection; the flag tells which.
    Conn { conn: Conn, tls: bool },
    /// Refused (and already answered/closed); the text says why, for the log.
    Refused(String),
}

/// The text sent to a cleartext peer when `TLS Require = yes`.
pub fn require_message(daemon: &str) -> String {
    format!(
        "2999 Authorization failed: {daemon} requires TLS (TLS Require = yes) and this connection is cleartext; \
         enable TLS with a certificate in the client's configuration\n"
    )
}

/// Classify a fresh connection by its first byte: TLS handshake when `tls` is
/// configured, an alert when it is not (PROTOCOL.md §3.4), a refusal with a clear
/// message for cleartext when `TLS Require = yes`, else plain framing.
pub async fn accept(
    stream: TcpStream,
    peer: &str,
    tls: Option<&TlsServer>,
    daemon: &str,
    timeout: Duration,
) -> std::io::Result<Accepted> {
    let is_tls = match tokio::time::timeout(timeout, conn::looks_like_tls(&stream)).await {
        Ok(r) => r?,
        Err(_) => return Ok(Accepted::Refused(format!("no Hello within {timeout:?}"))),
    };
    match (is_tls, tls) {
        (true, Some(t)) => match t.accept(stream, peer, timeout).await {
            Ok(conn) => Ok(Accepted::Conn { conn, tls: true }),
            Err(e) => Ok(Accepted::Refused(e.to_string())),
        },
        (true, None) => {
            let _ = conn::refuse_tls(stream, Duration::from_secs(5)).await;
            Ok(Accepted::Refused(format!("TLS ClientHello on a cleartext {daemon}: answered with an alert")))
        }
        (false, Some(t)) if t.require => {
            let mut c = Conn::from_tcp(stream);
            // Read the Hello first so the peer is waiting for an answer, then refuse.
            let _ = c.recv_timeout(timeout).await;
            let _ = c.send_text(require_message(daemon)).await;
            let _ = c.send_signal(crate::Signal::Terminate).await;
            c.close().await;
            Ok(Accepted::Refused(format!("cleartext connection refused: {daemon} has TLS Require = yes")))
        }
        (false, _) => Ok(Accepted::Conn { conn: Conn::from_tcp(stream), tls: false }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_cn_survives_garbage() {
        assert_eq!(subject_cn(&[]), None);
        assert_eq!(subject_cn(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(subject_cn(&[0x30, 0x03, 0x30, 0x01, 0x02]), None);
        assert_eq!(subject_cn(&[0x30, 0x80]), None);
    }

    #[test]
    fn inactive_without_material_and_clear_errors_for_missing_files() {
        let o = TlsOptions { enable: true, ..Default::default() };
        assert!(!o.active());
        assert!(matches!(o.server(), Ok(None)));
        assert!(matches!(o.client(), Ok(None)));
        let o = TlsOptions {
            enable: true,
            ca_certificate_file: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let e = o.client().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("cannot read TLS file /nonexistent/ca.pem"), "{e}");
        let o = TlsOptions { enable: false, certificate: Some("/x".into()), ..Default::default() };
        assert!(!o.active());
    }
}
