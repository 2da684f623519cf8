//! Typed configuration model built from validated resources.

pub mod console;
pub mod dir;
pub mod fd;
pub mod sd;

use std::borrow::Cow;
use std::path::PathBuf;

use cairn_types::MsgType;

use crate::error::{Diagnostic, Pos};
use crate::resource::Directive;
use crate::schema::{DirectiveDef, ResourceDef};
use crate::value::{Value, default_value};

/// A stored password: the 32-char lowercase MD5 hex of the clear text, or the clear text
/// where Bareos keeps it clear (database, NDMP, key encryption key). `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

/// A listen address; `host: None` means all addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    pub host: Option<String>,
    pub port: u16,
}

/// The §2.6 TLS directives of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub enable: bool,
    pub require: bool,
    pub authenticate: bool,
    pub verify_peer: bool,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca_certificate_file: Option<PathBuf>,
    pub ca_certificate_dir: Option<PathBuf>,
    pub certificate_revocation_list: Option<PathBuf>,
    pub dh_file: Option<PathBuf>,
    pub cipher_list: Option<String>,
    pub cipher_suites: Option<String>,
    pub protocol: Option<String>,
    pub allowed_cn: Vec<String>,
}

impl TlsSettings {
    /// The directives Cairn acts on, for the protocol layer's TLS set-up.
    pub fn options(&self) -> cairn_proto::tls::TlsOptions {
        cairn_proto::tls::TlsOptions {
            enable: self.enable,
            require: self.require,
            verify_peer: self.verify_peer,
            certificate: self.certificate.clone(),
            key: self.key.clone(),
            ca_certificate_file: self.ca_certificate_file.clone(),
            ca_certificate_dir: self.ca_certificate_dir.clone(),
            allowed_cn: self.allowed_cn.clone(),
        }
    }
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            enable: true,
            require: true,
            authenticate: false,
            verify_peer: false,
            certificate: None,
            key: None,
            ca_certificate_file: None,
            ca_certificate_dir: None,
            certificate_revocation_list: None,
            dh_file: None,
            cipher_list: None,
            cipher_suites: None,
            protocol: None,
            allowed_cn: Vec::new(),
        }
    }
}

/// Kinds of Messages destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestKind {
    Syslog,
    Mail,
    MailOnError,
    MailOnSuccess,
    File,
    Append,
    Stdout,
    Stderr,
    Director,
    Console,
    Operator,
    Catalog,
}

impl DestKind {
    fn from_directive(name: &str) -> Option<DestKind> {
        Some(match name {
            "Syslog" => DestKind::Syslog,
            "Mail" => DestKind::Mail,
            "MailOnError" => DestKind::MailOnError,
            "MailOnSuccess" => DestKind::MailOnSuccess,
            "File" => DestKind::File,
            "Append" => DestKind::Append,
            "Stdout" => DestKind::Stdout,
            "Stderr" => DestKind::Stderr,
            "Director" => DestKind::Director,
            "Console" => DestKind::Console,
            "Operator" => DestKind::Operator,
            "Catalog" => DestKind::Catalog,
            _ => return None,
        })
    }
}

/// One destination of a Messages resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgDestination {
    pub kind: DestKind,
    /// Address, file or director name (None for Console, Catalog, Stdout, Stderr, plain Syslog).
    pub target: Option<String>,
    /// Types in the order given, `all` expanded (to every type but debug); `false` = excluded.
    pub types: Vec<(MsgType, bool)>,
}

impl MsgDestination {
    /// Whether a message of type `t` goes to this destination (the last matching entry wins).
    pub fn accepts(&self, t: MsgType) -> bool {
        self.types.iter().rev().find(|(m, _)| *m == t).is_some_and(|(_, allowed)| *allowed)
    }
}

/// A Messages resource (director, SD and FD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesRes {
    pub name: String,
    pub description: Option<String>,
    pub mail_command: Option<String>,
    pub operator_command: Option<String>,
    pub timestamp_format: Option<String>,
    pub destinations: Vec<MsgDestination>,
}

/// An ACL: raw entries in order (`!delete`, `*all*`, regexes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    pub entries: Vec<String>,
}

/// The ACLs of a Console, Profile or User.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acls {
    pub job: Acl,
    pub client: Acl,
    pub storage: Acl,
    pub schedule: Acl,
    pub pool: Acl,
    pub command: Acl,
    pub fileset: Acl,
    pub catalog: Acl,
    pub where_: Acl,
    pub plugin_options: Acl,
}

/// Read access to a resource's directives with schema defaults applied.
pub(crate) struct View<'a> {
    pub def: &'static ResourceDef,
    pub dirs: &'a [Directive],
    pub pos: &'a Pos,
}

impl<'a> View<'a> {
    pub fn new(def: &'static ResourceDef, dirs: &'a [Directive], pos: &'a Pos) -> View<'a> {
        View { def, dirs, pos }
    }
    fn dd(&self, name: &str) -> Option<&'static DirectiveDef> {
        self.def.directives().find(|d| d.name == name)
    }
    pub fn own(&self, name: &str) -> Option<&'a Directive> {
        self.dirs.iter().find(|d| d.name == name)
    }
    /// The written value or the schema default.
    pub fn value(&self, name: &str) -> Option<Cow<'a, Value>> {
        if let Some(d) = self.own(name) {
            return Some(Cow::Borrowed(&d.value));
        }
        self.dd(name).and_then(|dd| default_value(dd, self.def.name)).map(Cow::Owned)
    }
    pub fn str(&self, name: &str) -> Option<String> {
        match self.value(name)?.as_ref() {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Password(p) => Some(p.text.clone()),
            _ => None,
        }
    }
    pub fn string(&self, name: &str) -> String {
        self.str(name).unwrap_or_default()
    }
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.str(name).map(PathBuf::from)
    }
    pub fn bool(&self, name: &str) -> bool {
        matches!(self.value(name).as_deref(), Some(Value::Bool(true)))
    }
    pub fn opt_u64(&self, name: &str) -> Option<u64> {
        match self.value(name)?.as_ref() {
            Value::Int(n) => u64::try_from(*n).ok(),
            Value::Duration(n) | Value::Size(n) | Value::Speed(n) => Some(*n),
            _ => None,
        }
    }
    pub fn u64(&self, name: &str) -> u64 {
        self.opt_u64(name).unwrap_or(0)
    }
    pub fn opt_u32(&self, name: &str) -> Option<u32> {
        self.opt_u64(name).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }
    pub fn u32(&self, name: &str) -> u32 {
        self.opt_u32(name).unwrap_or(0)
    }
    pub fn i64(&self, name: &str) -> i64 {
        match self.value(name).as_deref() {
            Some(Value::Int(n)) => *n,
            _ => 0,
        }
    }
    /// A u16 port; out-of-range values become a diagnostic.
    pub fn port(&self, name: &str, diags: &mut Vec<Diagnostic>) -> u16 {
        let n = self.u64(name);
        match u16::try_from(n) {
            Ok(p) => p,
            Err(_) => {
                let pos = self.own(name).map(|d| &d.pos).unwrap_or(self.pos);
                diags.push(Diagnostic::at(pos, format!("Port {n} for directive \"{name}\" is out of range (0 to 65535)")));
                0
            }
        }
    }
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.value(name).as_deref() {
            Some(Value::List(l)) => l.clone(),
            Some(Value::Str(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    pub fn password(&self, name: &str) -> Option<Password> {
        match self.value(name)?.as_ref() {
            Value::Password(p) => Some(Password(p.text.clone())),
            _ => None,
        }
    }
    pub fn acl(&self, name: &str) -> Acl {
        Acl { entries: self.list(name) }
    }
    /// Every occurrence of a repeatable (push) directive, in order.
    pub fn entries(&self, name: &'a str) -> impl Iterator<Item = &'a Directive> + 'a {
        self.dirs.iter().filter(move |d| d.name == name)
    }

    pub fn tls(&self) -> TlsSettings {
        TlsSettings {
            enable: self.bool("TlsEnable"),
            require: self.bool("TlsRequire"),
            authenticate: self.bool("TlsAuthenticate"),
            verify_peer: self.bool("TlsVerifyPeer"),
            certificate: self.path("TlsCertificate"),
            key: self.path("TlsKey"),
            ca_certificate_file: self.path("TlsCaCertificateFile"),
            ca_certificate_dir: self.path("TlsCaCertificateDir"),
            certificate_revocation_list: self.path("TlsCertificateRevocationList"),
            dh_file: self.path("TlsDhFile"),
            cipher_list: self.str("TlsCipherList"),
            cipher_suites: self.str("TlsCipherSuites"),
            protocol: self.str("TlsProtocol"),
            allowed_cn: self.list("TlsAllowedCn"),
        }
    }

    pub fn acls(&self) -> Acls {
        Acls {
            job: self.acl("JobAcl"),
            client: self.acl("ClientAcl"),
            storage: self.acl("StorageAcl"),
            schedule: self.acl("ScheduleAcl"),
            pool: self.acl("PoolAcl"),
            command: self.acl("CommandAcl"),
            fileset: self.acl("FileSetAcl"),
            catalog: self.acl("CatalogAcl"),
            where_: self.acl("WhereAcl"),
            plugin_options: self.acl("PluginOptionsAcl"),
        }
    }

    /// Listen addresses from `Addresses`, or `Address` + `Port` (schema default port).
    pub fn listen(&self, addr: &str, port: &str, addrs: &str) -> Vec<ListenAddr> {
        let default_port = u16::try_from(self.u64(port)).unwrap_or(0);
        if let Some(Value::Addresses(list)) = self.own(addrs).map(|d| &d.value) {
            return list
                .iter()
                .map(|e| ListenAddr { host: e.addr.clone(), port: e.port.unwrap_or(default_port) })
                .collect();
        }
        vec![ListenAddr { host: self.own(addr).and_then(|_| self.str(addr)), port: default_port }]
    }
}

/// Build a Messages resource.
pub(crate) fn messages_res(v: &View) -> MessagesRes {
    let mut destinations = Vec::new();
    for d in v.dirs {
        let (Some(kind), Value::MsgDest(md)) = (DestKind::from_directive(d.name), &d.value) else { continue };
        let mut types = Vec::new();
        for (kw, allowed) in &md.types {
            if kw == "all" {
                types.extend(MsgType::ALL.iter().filter(|t| **t != MsgType::Debug).map(|t| (*t, *allowed)));
            } else if let Some(t) = MsgType::from_keyword(kw) {
                types.push((t, *allowed));
            }
        }
        destinations.push(MsgDestination { kind, target: md.target.clone(), types });
    }
    MessagesRes {
        name: v.string("Name"),
        description: v.str("Description"),
        mail_command: v.str("MailCommand"),
        operator_command: v.str("OperatorCommand"),
        timestamp_format: v.str("TimestampFormat"),
        destinations,
    }
}
