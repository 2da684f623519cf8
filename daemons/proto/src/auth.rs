//! Authentication primitives: the shared key (hex MD5 of a password), HMAC-MD5,
//! Bareos's base64 variant, challenges, Hello lines and the CRAM-MD5 exchange in
//! both directions. See `PROTOCOL.md` §2.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

use crate::conn::Conn;
use crate::packet::Packet;
use crate::ProtoError;

/// Name python-bareos and bconsole use for the default (root) console.
pub const DEFAULT_CONSOLE_NAME: &str = "*UserAgent*";
/// Frame the accepting side sends when the CRAM answer is right.
pub const AUTH_OK: &str = "1000 OK auth\n";
/// Frame the accepting side sends when the CRAM answer is wrong.
pub const AUTH_FAILED: &str = "1999 Authorization failed.\n";
/// Frame a director sends to an unknown console using the old Hello.
pub const NOT_AUTHORIZED: &str = "1999 You are not authorized.\n";

/// The shared secret for a clear-text password: its lowercase hex MD5 (32 ASCII bytes).
pub fn password_key(clear: &str) -> String {
    md5_hex(clear.as_bytes())
}

/// Lowercase hex MD5 of arbitrary bytes.
pub fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// RFC 2104 HMAC-MD5.
pub fn hmac_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
    // HMAC accepts keys of any length; new_from_slice cannot fail for HMAC.
    let mut mac = match <Hmac<Md5> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC accepts keys of every length")
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Bareos's `BinToBase64`. `compatible = true` is plain RFC 4648 without padding;
/// `false` is Bareos's default variant (bytes sign-extended into the register, last
/// group right-aligned).
pub fn bareos_base64(input: &[u8], compatible: bool) -> String {
    let mut out = String::with_capacity(input.len() * 4 / 3 + 2);
    let mut reg: u32 = 0;
    let mut rem: u32 = 0;
    for &b in input {
        let x = if compatible || b < 0x80 { b as u32 } else { 0xFFFF_FF00 | b as u32 };
        reg = (reg << 8) | x;
        rem += 8;
        while rem >= 6 {
            out.push(ALPHABET[((reg >> (rem - 6)) & 63) as usize] as char);
            rem -= 6;
        }
    }
    if rem > 0 {
        let mask = (1u32 << rem) - 1;
        let idx = if compatible { (reg & mask) << (6 - rem) } else { reg & mask };
        out.push(ALPHABET[(idx & 63) as usize] as char);
    }
    out
}

/// A fresh challenge token `<random.time@name>`; the angle brackets are part of the
/// HMAC input.
pub fn make_challenge(name: &str) -> String {
    let r: u64 = rand::random::<u32>() as u64 + 1_000_000_000;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("<{r}.{t}@{}>", bash_spaces(name))
}

/// The CRAM answer to `challenge` with `key`.
pub fn cram_answer(key: &str, challenge: &str, compatible: bool) -> String {
    bareos_base64(&hmac_md5(key.as_bytes(), challenge.as_bytes()), compatible)
}

/// Check an answer against both encodings, ignoring one trailing NUL and newlines.
pub fn verify_answer(key: &str, challenge: &str, answer: &[u8]) -> bool {
    let mut a = answer;
    while let Some((&last, rest)) = a.split_last() {
        if last == 0 || last == b'\n' || last == b'\r' {
            a = rest;
        } else {
            break;
        }
    }
    let mac = hmac_md5(key.as_bytes(), challenge.as_bytes());
    let bareos = bareos_base64(&mac, false);
    let standard = bareos_base64(&mac, true);
    constant_time_eq(a, bareos.as_bytes()) | constant_time_eq(a, standard.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Replace spaces by 0x01 ("bashed" names inside space-separated protocol lines).
pub fn bash_spaces(s: &str) -> String {
    s.replace(' ', "\u{1}")
}

/// Undo [`bash_spaces`].
pub fn unbash_spaces(s: &str) -> String {
    s.replace('\u{1}', " ")
}

/// A parsed `auth cram-md5 <token> ssl=N` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CramChallenge {
    pub token: String,
    /// `cram-md5c`: answer in standard base64.
    pub compatible: bool,
    /// The peer's legacy TLS policy (0 none, 1 allowed, 2 required).
    pub ssl: u32,
}

/// Parse a challenge frame. The token is everything between the method word and
/// ` ssl=` (python-bareos 25.1.1 may put spaces in it); extra tokens are tolerated.
pub fn parse_challenge(payload: &[u8]) -> Option<CramChallenge> {
    let text = String::from_utf8_lossy(payload);
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    let (compatible, rest) = if let Some(r) = text.strip_prefix("auth cram-md5c ") {
        (true, r)
    } else if let Some(r) = text.strip_prefix("auth cram-md5 ") {
        (false, r)
    } else {
        return None;
    };
    let (token, ssl) = match rest.rfind(" ssl=") {
        Some(i) => {
            let digits: String = rest[i + 5..].chars().take_while(|c| c.is_ascii_digit()).collect();
            (&rest[..i], digits.parse().unwrap_or(0))
        }
        None => (rest, 0),
    };
    if token.is_empty() {
        return None;
    }
    Some(CramChallenge { token: token.to_string(), compatible, ssl })
}

/// Console protocol generation, decided from the Hello line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleProtocol {
    /// `Hello <name> calling` (bconsole < 18.2, python-bareos protocol 1).
    V1,
    /// `Hello <name> calling version x.y.z` with x.y >= 18.2.
    V2,
}

/// What a first frame on the director port asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// A console (default `*UserAgent*` or a named one).
    Console { name: String, protocol: ConsoleProtocol, version: Option<String> },
    /// A client-initiated file daemon connection (`Hello Client <name> ...`).
    Client { name: String, fd_protocol: Option<u32>, version: Option<String> },
    /// Another director/daemon (`Hello Director <name> calling ...`).
    Director { name: String, version: Option<String> },
}

/// Parse the first frame on a director port (PROTOCOL.md §2.2, §5.1).
pub fn parse_hello(payload: &[u8]) -> Result<Hello, ProtoError> {
    if payload.len() < 15 || payload.len() > 400 {
        return Err(ProtoError::BadHello(format!("Hello frame of {} bytes", payload.len())));
    }
    let text = String::from_utf8_lossy(payload);
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    let rest = text
        .strip_prefix("Hello ")
        .ok_or_else(|| ProtoError::BadHello(text.chars().take(40).collect()))?;
    let version_attr = |s: &str| -> Option<String> {
        s.find("Version=\"").and_then(|i| {
            let v = &s[i + 9..];
            v.find('"').map(|j| v[..j].to_string())
        })
    };
    if let Some(r) = rest.strip_prefix("Client ") {
        let name = r.split(' ').next().unwrap_or_default();
        let fd_protocol = r
            .split(' ')
            .find_map(|t| t.strip_prefix("FdProtocolVersion="))
            .and_then(|v| v.parse().ok());
        return Ok(Hello::Client { name: unbash_spaces(name), fd_protocol, version: version_attr(r) });
    }
    if let Some(r) = rest.strip_prefix("Director ") {
        let name = r.split(' ').next().unwrap_or_default();
        return Ok(Hello::Director { name: unbash_spaces(name), version: version_attr(r) });
    }
    let idx = rest
        .rfind(" calling")
        .ok_or_else(|| ProtoError::BadHello(text.chars().take(40).collect()))?;
    let name = unbash_spaces(&rest[..idx]);
    if name.is_empty() || name.len() > 127 {
        return Err(ProtoError::BadHello("console name empty or longer than 127 bytes".into()));
    }
    let after = rest[idx + " calling".len()..].trim();
    let version = after
        .strip_prefix("version ")
        .map(|v| v.split_whitespace().next().unwrap_or_default().to_string());
    let protocol = match &version {
        Some(v) => {
            let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let major = it.next().unwrap_or(0);
            let minor = it.next().unwrap_or(0);
            if major * 100 + minor >= 1802 { ConsoleProtocol::V2 } else { ConsoleProtocol::V1 }
        }
        None => ConsoleProtocol::V1,
    };
    Ok(Hello::Console { name, protocol, version })
}

/// Errors of the CRAM exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("peer sent a wrong password answer")]
    WrongAnswer,
    #[error("peer refused our password answer: {0}")]
    Refused(String),
    #[error("peer sent an unexpected frame during authentication: {0}")]
    Unexpected(String),
    #[error("connection closed during authentication")]
    Closed,
    #[error(transparent)]
    Proto(#[from] Box<ProtoError>),
}

impl From<ProtoError> for AuthError {
    fn from(e: ProtoError) -> Self {
        AuthError::Proto(Box::new(e))
    }
}

/// Accepting side: challenge the peer, check its answer, then answer the peer's
/// challenge (PROTOCOL.md §2.4 steps 2–7). `own_name` goes into our challenge.
/// On a wrong answer `1999 Authorization failed.` has been sent before returning.
pub async fn cram_as_server(conn: &mut Conn, key: &str, own_name: &str) -> Result<(), AuthError> {
    let chal = make_challenge(own_name);
    conn.send_text(format!("auth cram-md5 {chal} ssl=0\n")).await?;
    let answer = match conn.recv().await? {
        Some(Packet::Data(b)) => b,
        Some(Packet::Signal(s)) => return Err(AuthError::Unexpected(s.name().into())),
        None => return Err(AuthError::Closed),
    };
    if !verify_answer(key, &chal, &answer) {
        conn.send_text(AUTH_FAILED).await?;
        return Err(AuthError::WrongAnswer);
    }
    conn.send_text(AUTH_OK).await?;
    let their = match conn.recv().await? {
        Some(Packet::Data(b)) => b,
        Some(Packet::Signal(s)) => return Err(AuthError::Unexpected(s.name().into())),
        None => return Err(AuthError::Closed),
    };
    let ch = parse_challenge(&their)
        .ok_or_else(|| AuthError::Unexpected(String::from_utf8_lossy(&their).chars().take(60).collect()))?;
    let mut resp = cram_answer(key, &ch.token, ch.compatible).into_bytes();
    resp.push(0);
    conn.send(Packet::Data(resp.into())).await?;
    match conn.recv().await? {
        Some(Packet::Data(b)) if b.starts_with(b"1000 OK auth") => Ok(()),
        Some(p) => Err(AuthError::Refused(p.as_text())),
        None => Err(AuthError::Closed),
    }
}

/// Connecting side: answer the peer's challenge, then challenge it back.
pub async fn cram_as_client(conn: &mut Conn, key: &str, own_name: &str) -> Result<(), AuthError> {
    let first = match conn.recv().await? {
        Some(Packet::Data(b)) => b,
        Some(Packet::Signal(s)) => return Err(AuthError::Refused(s.name().into())),
        None => return Err(AuthError::Closed),
    };
    let ch = match parse_challenge(&first) {
        Some(c) => c,
        None => return Err(AuthError::Refused(String::from_utf8_lossy(&first).trim_end().to_string())),
    };
    conn.send_text(cram_answer(key, &ch.token, ch.compatible)).await?;
    match conn.recv().await? {
        Some(Packet::Data(b)) if b.starts_with(b"1000 OK auth") => {}
        Some(p) => return Err(AuthError::Refused(p.as_text().trim_end().to_string())),
        None => return Err(AuthError::Closed),
    }
    let chal = make_challenge(own_name);
    conn.send_text(format!("auth cram-md5 {chal} ssl=0\n")).await?;
    let answer = match conn.recv().await? {
        Some(Packet::Data(b)) => b,
        Some(Packet::Signal(s)) => return Err(AuthError::Unexpected(s.name().into())),
        None => return Err(AuthError::Closed),
    };
    if !verify_answer(key, &chal, &answer) {
        conn.send_text(AUTH_FAILED).await?;
        return Err(AuthError::WrongAnswer);
    }
    conn.send_text(AUTH_OK).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
    }

    #[test]
    fn key_is_hex_md5() {
        assert_eq!(password_key("secret"), "5ebe2294ecd0e0f08eab7690d2a6ee69");
        assert_eq!(password_key("adminpw"), "70e76a15da00e6301ade718cc9416f79");
    }

    #[test]
    fn base64_small_cases() {
        assert_eq!(bareos_base64(&[0x01], false), "AB");
        assert_eq!(bareos_base64(&[0x01], true), "AQ");
        assert_eq!(bareos_base64(&[0xff], false), "/D");
        assert_eq!(bareos_base64(&[0xff], true), "/w");
        assert_eq!(bareos_base64(&[0xc0, 0x64, 0x52, 0xe1, 0x93], false), "wGRS45D");
        assert_eq!(bareos_base64(&[0xc0, 0x64, 0x52, 0xe1, 0x93], true), "wGRS4ZM");
    }

    #[test]
    fn worked_example_from_protocol_md() {
        let key = password_key("secret");
        let chal = "<1234567890.1700000000@R_DIRECTOR::bareos-dir>";
        let mac = hmac_md5(key.as_bytes(), chal.as_bytes());
        assert_eq!(mac.to_vec(), unhex("c06452e19309c10ed3d212dd6f13d648"));
        assert_eq!(cram_answer(&key, chal, false), "wGRS45MJwQ/T0h/dbx/WSA");
        assert_eq!(cram_answer(&key, chal, true), "wGRS4ZMJwQ7T0hLdbxPWSA");
        let chal2 = "<4242424242.1700000001@*UserAgent*>";
        assert_eq!(hmac_md5(key.as_bytes(), chal2.as_bytes()).to_vec(), unhex("1c49d144ad3876e2c523289c3b3590f0"));
        assert_eq!(cram_answer(&key, chal2, false), "HE/RR604d+/FIy+cOz+Q8A");
        assert_eq!(cram_answer(&key, chal2, true), "HEnRRK04duLFIyicOzWQ8A");
        let chal3 = "<577090037.1795836639@R_DIRECTOR::bareos-dir>";
        assert_eq!(cram_answer(&key, chal3, false), "eUxXaA/dI++g++kmI9YJoC");
        assert!(verify_answer(&key, chal3, b"eUxXaA/dI++g++kmI9YJoC"));
        assert!(verify_answer(&key, chal3, b"eUxXaArdIuOg+ukmINYJog"));
        assert!(verify_answer(&key, chal3, b"eUxXaA/dI++g++kmI9YJoC\0"));
        assert!(!verify_answer(&key, chal3, b"eUxXaA/dI++g++kmI9YJoD"));
        // the director's answer in the verified transcript (§2.7)
        assert_eq!(
            cram_answer(&key, "<5942859575.1795836639@*UserAgent*>", false),
            "b+h+dn+TI4EoF+/OF++aTA"
        );
    }

    #[test]
    fn named_console_transcript() {
        let key = password_key("adminpw");
        assert_eq!(cram_answer(&key, "<271041745.1795836640@R_DIRECTOR::bareos-dir>", false), "EV/V1S+NT5ly+j4348RgrD");
        assert_eq!(cram_answer(&key, "<3795742288.1795836640@admin>", false), "P5+AG7+BP3/5T/+cn5+/1A");
    }

    #[test]
    fn hello_forms() -> Result<(), ProtoError> {
        assert_eq!(
            parse_hello(b"Hello *UserAgent* calling version 25.1.1\n")?,
            Hello::Console { name: "*UserAgent*".into(), protocol: ConsoleProtocol::V2, version: Some("25.1.1".into()) }
        );
        assert_eq!(
            parse_hello(b"Hello admin calling\n")?,
            Hello::Console { name: "admin".into(), protocol: ConsoleProtocol::V1, version: None }
        );
        assert_eq!(
            parse_hello(b"Hello admin notls calling version 25.1.1\n")?,
            Hello::Console { name: "admin notls".into(), protocol: ConsoleProtocol::V2, version: Some("25.1.1".into()) }
        );
        assert_eq!(
            parse_hello(b"Hello admin\x01x calling version 26.0.0 Version=\"26.0.0\"\n")?,
            Hello::Console { name: "admin x".into(), protocol: ConsoleProtocol::V2, version: Some("26.0.0".into()) }
        );
        assert!(matches!(
            parse_hello(b"Hello old calling version 17.2.7\n")?,
            Hello::Console { protocol: ConsoleProtocol::V1, .. }
        ));
        assert_eq!(
            parse_hello(b"Hello Client laptop-fd FdProtocolVersion=54 calling Version=\"25.1.1\"\n")?,
            Hello::Client { name: "laptop-fd".into(), fd_protocol: Some(54), version: Some("25.1.1".into()) }
        );
        assert!(parse_hello(b"GET / HTTP/1.1\r\nHost: x\r\n").is_err());
        assert!(parse_hello(b"Hello").is_err());
        Ok(())
    }

    #[test]
    fn challenge_parsing_is_lenient() {
        let c = parse_challenge(b"auth cram-md5 <1.2@admin notls> ssl=0\n");
        assert_eq!(c, Some(CramChallenge { token: "<1.2@admin notls>".into(), compatible: false, ssl: 0 }));
        let c = parse_challenge(b"auth cram-md5c <1.2@x> ssl=2 qualified-name=R_CONSOLE::x\n");
        assert_eq!(c, Some(CramChallenge { token: "<1.2@x>".into(), compatible: true, ssl: 2 }));
        assert_eq!(parse_challenge(b"1999 You are not authorized.\n"), None);
    }
}
