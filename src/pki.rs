//! The private CA `cairn up` makes for a new home: `<home>/etc/tls/ca.pem` (and
//! its key, kept to issue more certificates), plus a certificate and key for the
//! director, the storage daemon and the file daemon, each valid for localhost,
//! 127.0.0.1, ::1 and the host name. The default configuration points every
//! link's TLS directives at these files.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};

fn err(e: rcgen::Error) -> std::io::Error {
    std::io::Error::other(format!("cannot make a TLS certificate: {e}"))
}

fn params(cn: &str, sans: Vec<String>) -> std::io::Result<CertificateParams> {
    let mut p = CertificateParams::new(sans).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    Ok(p)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Write the CA and the daemons' certificates into `dir` unless `ca.pem` exists.
/// `names` are (file stem, common name) pairs.
pub fn write_home_pki(dir: &Path, names: &[(&str, &str)]) -> std::io::Result<()> {
    if dir.join("ca.pem").exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let mut ca_params = params("Cairn private CA", Vec::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca = ca_params.self_signed(&ca_key).map_err(err)?;
    let mut sans = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        let dns_ok = h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !h.is_empty() && dns_ok && !sans.iter().any(|s| s == h) {
            sans.push(h.to_string());
        }
    }
    for (stem, cn) in names {
        let key = KeyPair::generate().map_err(err)?;
        let cert = params(cn, sans.clone())?.signed_by(&key, &ca, &ca_key).map_err(err)?;
        std::fs::write(dir.join(format!("{stem}.pem")), cert.pem())?;
        write_private(&dir.join(format!("{stem}.key")), &key.serialize_pem())?;
    }
    write_private(&dir.join("ca.key"), &ca_key.serialize_pem())?;
    std::fs::write(dir.join("ca.pem"), ca.pem())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_ca_and_certificates_that_load() -> Result<(), Box<dyn std::error::Error>> {
        let t = tempfile::tempdir()?;
        let dir = t.path().join("tls");
        write_home_pki(&dir, &[("dir", "bareos-dir"), ("sd", "bareos-sd")])?;
        for f in ["ca.pem", "ca.key", "dir.pem", "dir.key", "sd.pem", "sd.key"] {
            assert!(dir.join(f).is_file(), "{f}");
        }
        let o = cairn_proto::tls::TlsOptions {
            enable: true,
            certificate: Some(dir.join("dir.pem")),
            key: Some(dir.join("dir.key")),
            ca_certificate_file: Some(dir.join("ca.pem")),
            ..Default::default()
        };
        assert!(o.server()?.is_some());
        assert!(o.client()?.is_some());
        let der = rustls_der(&std::fs::read(dir.join("dir.pem"))?);
        assert_eq!(cairn_proto::tls::subject_cn(&der).as_deref(), Some("bareos-dir"));
        Ok(())
    }

    fn rustls_der(pem: &[u8]) -> Vec<u8> {
        // base64 body of the first PEM block
        let text = String::from_utf8_lossy(pem);
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        decode_b64(&body)
    }

    fn decode_b64(s: &str) -> Vec<u8> {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in s.bytes() {
            let Some(v) = A.iter().position(|a| *a == c) else { continue };
            acc = (acc << 6) | v as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }
}
