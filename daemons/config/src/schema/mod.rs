//! The configuration schema as data: one table per daemon and resource.
//!
//! Every directive of every resource is described by a [`DirectiveDef`]: canonical name,
//! aliases, datatype, default (in config syntax), required/deprecated flags, a short
//! description and whether Cairn acts on it yet ([`Support`]). Edit the tables in
//! `dir.rs`, `sd.rs`, `fd.rs`, `console.rs` and `common.rs`.

mod common;
mod console;
mod dir;
mod fd;
mod sd;

use serde_json::{Map, Value as Json, json};

use crate::parser::norm_key;

/// The daemon (or console) a configuration belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Director,
    Storage,
    FileDaemon,
    Console,
}

impl Component {
    /// The Bareos component name (`bareos-dir`, `bareos-sd`, `bareos-fd`, `bconsole`).
    pub fn bareos_name(self) -> &'static str {
        match self {
            Component::Director => "bareos-dir",
            Component::Storage => "bareos-sd",
            Component::FileDaemon => "bareos-fd",
            Component::Console => "bconsole",
        }
    }
    /// Cairn's own file/directory base name (`cairn-dir`, `cairn-sd`, `cairn-fd`, `cairn-console`).
    pub fn cairn_name(self) -> &'static str {
        match self {
            Component::Director => "cairn-dir",
            Component::Storage => "cairn-sd",
            Component::FileDaemon => "cairn-fd",
            Component::Console => "cairn-console",
        }
    }
    /// The resource types this component's configuration may contain.
    pub fn resources(self) -> &'static [&'static ResourceDef] {
        match self {
            Component::Director => dir::RESOURCES,
            Component::Storage => sd::RESOURCES,
            Component::FileDaemon => fd::RESOURCES,
            Component::Console => console::RESOURCES,
        }
    }
    /// Look a resource type up by keyword (case-insensitive, spaces ignored, aliases accepted).
    pub fn resource(self, keyword: &str) -> Option<&'static ResourceDef> {
        let k = norm_key(keyword);
        self.resources()
            .iter()
            .copied()
            .find(|r| norm_key(r.name) == k || r.aliases.iter().any(|a| norm_key(a) == k))
    }
}

/// Whether Cairn acts on a directive or only accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Acted,
    Parsed,
}

/// How a password is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PwKind {
    /// MD5 hex of the clear text.
    Md5,
    /// MD5 for daemons, clear text for Catalog (database) passwords.
    Auto,
    /// Kept as written (NDMP, KeyEncryptionKey).
    Clear,
}

/// Shape of a Messages destination directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestForm {
    /// `dest = address = types`
    Target,
    /// `dest = types`
    TypesOnly,
    /// `dest = types` or `dest = facility = types` (Syslog)
    OptTarget,
}

/// The RunScript shortcut directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    RunBeforeJob,
    RunAfterJob,
    RunAfterFailedJob,
    ClientRunBeforeJob,
    ClientRunAfterJob,
}

/// A keyword set.
#[derive(Debug)]
pub struct EnumDef {
    /// Bareos-like datatype name (`JOBTYPE`, `POOLTYPE`, ...).
    pub name: &'static str,
    /// Canonical spellings; matched case-insensitively.
    pub values: &'static [&'static str],
}

impl EnumDef {
    /// The canonical spelling of `word`, if it is in the set.
    pub fn canonical(&self, word: &str) -> Option<&'static str> {
        self.values.iter().copied().find(|v| v.eq_ignore_ascii_case(word))
    }
}

/// Directive datatypes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum DataType {
    Name,
    Str,
    Path,
    /// Comma list, repeated directives accumulate.
    StrList,
    /// Comma list of paths.
    PathList,
    /// Comma list of names (not checked as references).
    NameList,
    /// Plugin names: space, comma or colon separated.
    PluginNames,
    /// One string per occurrence, occurrences accumulate.
    StrRepeat,
    Res(&'static str),
    ResList(&'static str),
    U32,
    I32,
    U16,
    U64,
    Bool,
    /// Device capability flag (yes/no, on/off).
    Bit,
    Duration,
    Size32,
    Size64,
    Speed,
    Password(PwKind),
    Address,
    Port,
    Addresses,
    Acl,
    Enum(&'static EnumDef),
    MsgDest(DestForm),
    RunScriptShort(Shortcut),
    /// `Command =` / `Console =` inside a RunScript block (each occurrence is one entry).
    RunScriptCmd,
    /// Schedule `Run =` line, stored raw.
    Run,
    /// FileSet `File =` entry.
    FileEntry,
    /// Regular expressions (validated), occurrences accumulate.
    RegexList,
    Block(&'static ResourceDef),
}

impl DataType {
    /// Bareos-like datatype name used by `--xs`.
    pub fn bareos_name(&self) -> &'static str {
        match self {
            DataType::Name => "NAME",
            DataType::Str => "STRING",
            DataType::Path => "DIRECTORY",
            DataType::StrList => "STRING_LIST",
            DataType::PathList => "DIRECTORY_LIST",
            DataType::NameList | DataType::StrRepeat => "ALIST_STR",
            DataType::PluginNames => "PLUGIN_NAMES",
            DataType::Res(_) => "RES",
            DataType::ResList(_) => "ALIST_RES",
            DataType::U32 => "PINT32",
            DataType::I32 => "INT32",
            DataType::U16 => "PINT16",
            DataType::U64 => "INT64",
            DataType::Bool => "BOOLEAN",
            DataType::Bit => "BIT",
            DataType::Duration => "TIME",
            DataType::Size32 => "SIZE32",
            DataType::Size64 => "SIZE64",
            DataType::Speed => "SPEED",
            DataType::Password(PwKind::Md5) => "MD5PASSWORD",
            DataType::Password(PwKind::Auto) => "AUTOPASSWORD",
            DataType::Password(PwKind::Clear) => "CLEARPASSWORD",
            DataType::Address => "ADDRESSES_ADDRESS",
            DataType::Port => "ADDRESSES_PORT",
            DataType::Addresses => "ADDRESSES",
            DataType::Acl => "ACL",
            DataType::Enum(e) => e.name,
            DataType::MsgDest(_) => "MSGS",
            DataType::RunScriptShort(_) => "RUNSCRIPT_SHORT",
            DataType::RunScriptCmd => "RUNSCRIPT_CMD",
            DataType::Run => "RUN",
            DataType::FileEntry => "FNAME",
            DataType::RegexList => "REGEX",
            DataType::Block(b) => b.datatype,
        }
    }

    /// How repeated occurrences combine.
    pub fn accumulate(&self) -> Accumulate {
        match self {
            DataType::StrList
            | DataType::PathList
            | DataType::NameList
            | DataType::PluginNames
            | DataType::StrRepeat
            | DataType::ResList(_)
            | DataType::Acl
            | DataType::Run
            | DataType::FileEntry
            | DataType::RegexList => Accumulate::Merge,
            DataType::Block(_) | DataType::MsgDest(_) | DataType::RunScriptShort(_) | DataType::RunScriptCmd => {
                Accumulate::Push
            }
            _ => Accumulate::Replace,
        }
    }
}

/// How repeated occurrences of a directive combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accumulate {
    /// The last occurrence wins.
    Replace,
    /// List values are appended to the first occurrence.
    Merge,
    /// Every occurrence is kept as its own entry (blocks, message destinations, scripts).
    Push,
}

/// One directive of a resource.
#[derive(Debug, Clone, Copy)]
pub struct DirectiveDef {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub ty: DataType,
    /// Default in config syntax (parsed like a value when needed).
    pub default: Option<&'static str>,
    pub required: bool,
    pub deprecated: bool,
    pub support: Support,
    pub description: &'static str,
}

/// Start a directive definition (not required, not deprecated, `Parsed`).
pub const fn d(name: &'static str, ty: DataType, description: &'static str) -> DirectiveDef {
    DirectiveDef {
        name,
        aliases: &[],
        ty,
        default: None,
        required: false,
        deprecated: false,
        support: Support::Parsed,
        description,
    }
}

impl DirectiveDef {
    pub const fn req(self) -> Self {
        DirectiveDef { required: true, ..self }
    }
    pub const fn acted(self) -> Self {
        DirectiveDef { support: Support::Acted, ..self }
    }
    pub const fn dep(self) -> Self {
        DirectiveDef { deprecated: true, ..self }
    }
    pub const fn def(self, default: &'static str) -> Self {
        DirectiveDef { default: Some(default), ..self }
    }
    pub const fn alias(self, aliases: &'static [&'static str]) -> Self {
        DirectiveDef { aliases, ..self }
    }
    /// True when `key` (normalised) names this directive or one of its aliases.
    pub fn matches(&self, normalised: &str) -> bool {
        norm_key(self.name) == normalised || self.aliases.iter().any(|a| norm_key(a) == normalised)
    }
}

/// A resource type (or a nested block type such as FileSet `Include`).
#[derive(Debug)]
pub struct ResourceDef {
    /// Canonical name (`Job`, `FileSet`, ...).
    pub name: &'static str,
    /// Other accepted type keywords.
    pub aliases: &'static [&'static str],
    /// Plural lower-case group used by `show` JSON (`jobs`, `filesets`).
    pub group: &'static str,
    /// Datatype name when used as a nested block.
    pub datatype: &'static str,
    /// Directive tables (concatenated).
    pub parts: &'static [&'static [DirectiveDef]],
    /// JobDefs: only `Name` is required.
    pub only_name_required: bool,
}

impl ResourceDef {
    /// Every directive, in table order.
    pub fn directives(&self) -> impl Iterator<Item = &'static DirectiveDef> + use<> {
        let parts: &'static [&'static [DirectiveDef]] = self.parts;
        parts.iter().flat_map(|p| p.iter())
    }
    /// Find a directive by keyword (case-insensitive, spaces ignored, aliases accepted).
    pub fn directive(&self, keyword: &str) -> Option<&'static DirectiveDef> {
        let k = norm_key(keyword);
        self.directives().find(|d| d.matches(&k))
    }
    /// Whether the directive is required in this resource type.
    pub fn is_required(&self, d: &DirectiveDef) -> bool {
        if self.only_name_required { d.name == "Name" } else { d.required }
    }
}

fn directive_json(res: &ResourceDef, d: &DirectiveDef) -> Json {
    let mut m = Map::new();
    m.insert("datatype".into(), json!(d.ty.bareos_name()));
    m.insert("code".into(), json!(0));
    m.insert("equals".into(), json!(!matches!(d.ty, DataType::Block(_))));
    if res.is_required(d) {
        m.insert("required".into(), json!(true));
    }
    if let Some(def) = d.default {
        m.insert("default_value".into(), json!(def));
    }
    if d.deprecated {
        m.insert("deprecated".into(), json!(true));
    }
    match d.ty {
        DataType::Res(t) | DataType::ResList(t) => {
            m.insert("resource".into(), json!(t));
        }
        DataType::Enum(e) => {
            m.insert("values".into(), json!(e.values));
        }
        _ => {}
    }
    m.insert("description".into(), json!(d.description));
    m.insert(
        "cairn_support".into(),
        json!(match d.support {
            Support::Acted => "acted",
            Support::Parsed => "parsed",
        }),
    );
    Json::Object(m)
}

fn resource_json(res: &ResourceDef) -> Json {
    let mut m = Map::new();
    for d in res.directives() {
        m.insert(d.name.to_string(), directive_json(res, d));
        for a in d.aliases {
            let mut alias = directive_json(res, d);
            if let Json::Object(o) = &mut alias {
                o.insert("alias".into(), json!(true));
            }
            m.insert((*a).to_string(), alias);
        }
    }
    Json::Object(m)
}

fn collect_datatypes(res: &ResourceDef, out: &mut Map<String, Json>) {
    for d in res.directives() {
        let name = d.ty.bareos_name();
        if out.contains_key(name) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("number".into(), json!(out.len() + 1));
        entry.insert("name".into(), json!(name));
        match d.ty {
            DataType::Block(b) => {
                entry.insert("values".into(), resource_json(b));
                out.insert(name.to_string(), Json::Object(entry));
                collect_datatypes(b, out);
            }
            DataType::Enum(e) => {
                entry.insert("values".into(), json!(e.values));
                out.insert(name.to_string(), Json::Object(entry));
            }
            _ => {
                out.insert(name.to_string(), Json::Object(entry));
            }
        }
    }
}

/// The schema in the shape of Bareos's `--xs` output, with a `cairn_support` flag per directive.
pub fn schema_json(component: Component) -> Json {
    let mut resources = Map::new();
    let mut datatypes = Map::new();
    for r in component.resources() {
        resources.insert(r.name.to_string(), resource_json(r));
        collect_datatypes(r, &mut datatypes);
    }
    let mut daemon = Map::new();
    daemon.insert(component.bareos_name().to_string(), Json::Object(resources));
    json!({
        "format-version": 2,
        "component": component.bareos_name(),
        "resource": Json::Object(daemon),
        "datatype": Json::Object(datatypes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let job = Component::Director.resource("job");
        assert!(job.is_some());
        let job = job.map(|j| j.directive("Maximum Concurrent Jobs").map(|d| d.name));
        assert_eq!(job, Some(Some("MaximumConcurrentJobs")));
        let cat = Component::Director.resource("Catalog").and_then(|c| c.directive("user")).map(|d| d.name);
        assert_eq!(cat, Some("DbUser"));
        assert!(Component::FileDaemon.resource("FileDaemon").is_some());
    }

    #[test]
    fn no_duplicate_directive_names() {
        for c in [Component::Director, Component::Storage, Component::FileDaemon, Component::Console] {
            for r in c.resources() {
                let mut seen = std::collections::HashSet::new();
                for d in r.directives() {
                    assert!(seen.insert(norm_key(d.name)), "{} {}", r.name, d.name);
                    for a in d.aliases {
                        assert!(seen.insert(norm_key(a)), "{} {}", r.name, a);
                    }
                }
            }
        }
    }
}
