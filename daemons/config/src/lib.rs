//! Cairn's reader for Bareos-style resource configuration.
//!
//! The pipeline: [`locate`] finds the files (`-c` semantics), the lexer turns them into
//! tokens (expanding `@` includes), the parser builds a generic syntax tree, each directive
//! value is parsed according to the schema tables ([`schema`]) into a [`ResourceSet`],
//! cross-resource checks run (duplicates, JobDefs inheritance, required directives,
//! references), and finally the typed model ([`DirectorConfig`], [`StorageDaemonConfig`],
//! [`FileDaemonConfig`], [`ConsoleConfig`]) is built. Errors carry `file:line:col`.
//!
//! ```
//! let text = r#"
//! Director { Name = bareos-dir; Password = "secret"; Maximum Concurrent Jobs = 10 }
//! Catalog { Name = MyCatalog; dbname = bareos; dbuser = bareos }
//! Messages { Name = Daemon; console = all, !skipped }
//! "#;
//! let loaded = cairn_config::parse_director_str(text, "example.conf").expect("valid config");
//! let dir = &loaded.config.director;
//! assert_eq!(dir.maximum_concurrent_jobs, 10);
//! assert_eq!(dir.password.0, "5ebe2294ecd0e0f08eab7690d2a6ee69");
//! assert_eq!(dir.listen[0].port, 9101);
//! assert_eq!(loaded.config.default_catalog().db_name, "bareos");
//! ```

pub mod error;
pub mod lexer;
pub mod locate;
pub mod model;
pub mod parser;
pub mod print;
pub mod resource;
pub mod schedule;
pub mod schema;
pub mod validate;
pub mod value;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, Diagnostic, Pos, Warning};
pub use locate::{ConfigSource, SourceKind, locate};
pub use model::console::{ConsoleConfig, ConsoleConsoleRes, ConsoleDirectorRes};
pub use model::dir::{
    CatalogRes, ClientRes, ConsoleRes, CounterRes, DirectorConfig, DirectorRes, Exclude, FileEntry, FileOptions,
    FileSetRes, Include, JobRes, PoolRes, ProfileRes, RunScript, RunScriptCommand, RunsWhen, ScheduleRes, StorageRes,
    UserRes,
};
pub use model::fd::{FdClientRes, FdDirectorRes, FileDaemonConfig};
pub use model::sd::{AutochangerRes, DeviceRes, NdmpRes, SdDirectorRes, SdStorageRes, StorageDaemonConfig};
pub use model::{Acl, Acls, DestKind, ListenAddr, MessagesRes, MsgDestination, Password, TlsSettings};
pub use resource::{Directive, Resource, ResourceSet};
pub use schedule::{RunSpec, parse_run, runs_between};
pub use schema::{Component, Support, schema_json};
pub use value::Value;

use lexer::Lexer;
use resource::{WarnSink, compile_resource};

/// A loaded configuration with its warnings and the files that were read.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub config: T,
    pub warnings: Vec<Warning>,
    pub files: Vec<PathBuf>,
}

enum Input<'a> {
    Files(&'a [PathBuf]),
    Text { text: &'a str, name: &'a Path },
}

/// Lex, parse, compile and cross-check; returns the set, warnings, files read and the origin position.
fn load_set(component: Component, input: Input, origin: Pos) -> Result<(ResourceSet, WarnSink, Vec<PathBuf>), ConfigError> {
    let mut lexer = Lexer::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut warns = WarnSink::default();
    let mut resources = Vec::new();
    let mut units: Vec<(Vec<lexer::Token>, PathBuf, usize)> = Vec::new();
    match input {
        Input::Files(files) => {
            for f in files {
                let before = lexer.errors.len();
                let toks = lexer.lex_file(f, None);
                units.push((toks, f.clone(), before));
            }
        }
        Input::Text { text, name } => {
            let toks = lexer.lex_str(text, name);
            units.push((toks, name.to_path_buf(), 0));
        }
    }
    // Files whose lexing failed are not parsed (their token stream is incomplete).
    let mut failed_files: Vec<PathBuf> = Vec::new();
    for e in &lexer.errors {
        failed_files.push(e.file.clone());
    }
    for (toks, file, _) in &units {
        if failed_files.iter().any(|f| f == file) || toks.iter().any(|t| failed_files.iter().any(|f| f == &*t.pos.file)) {
            continue;
        }
        match parser::parse(toks, Pos::start_of(file)) {
            Ok(asts) => {
                for ast in asts {
                    match component.resource(&ast.type_kw) {
                        Some(def) => resources.push(compile_resource(def, &ast, &mut diags, &mut warns)),
                        None => diags.push(Diagnostic::at(&ast.pos, format!("Unknown resource type \"{}\"", ast.type_kw))),
                    }
                }
            }
            Err(d) => diags.push(d),
        }
    }
    let mut all = lexer.errors.clone();
    all.extend(diags);
    if !all.is_empty() {
        return Err(ConfigError::Invalid(all));
    }
    let set = ResourceSet { component, resources };
    let mut diags = Vec::new();
    validate::check_resources(&set, &mut diags);
    validate::check_counts(&set, &origin, &mut diags);
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok((set, warns, lexer.files))
}

fn finish<T>(
    built: Option<T>,
    diags: Vec<Diagnostic>,
    warns: WarnSink,
    files: Vec<PathBuf>,
    origin: &Pos,
) -> Result<Loaded<T>, ConfigError> {
    if !diags.is_empty() {
        return Err(ConfigError::Invalid(diags));
    }
    match built {
        Some(config) => Ok(Loaded { config, warnings: warns.list, files }),
        None => Err(ConfigError::Invalid(vec![Diagnostic::at(origin, "Incomplete configuration")])),
    }
}

fn build_director(set: ResourceSet, warns: WarnSink, files: Vec<PathBuf>, origin: &Pos) -> Result<Loaded<DirectorConfig>, ConfigError> {
    let mut diags = Vec::new();
    let snapshot = set.clone();
    let effective = |r: &Resource| validate::effective_directives(&snapshot, r).0;
    let built = model::dir::build(set, &effective, &mut diags);
    finish(built, diags, warns, files, origin)
}

fn source_origin(src: &ConfigSource) -> Pos {
    Pos::start_of(src.files.first().unwrap_or(&src.path))
}

fn load_files(path: &Path, component: Component) -> Result<(ResourceSet, WarnSink, Vec<PathBuf>, Pos), ConfigError> {
    let src = locate(path, component)?;
    let origin = source_origin(&src);
    let (set, warns, files) = load_set(component, Input::Files(&src.files), origin.clone())?;
    Ok((set, warns, files, origin))
}

/// Load the director configuration from a file, resource directory or config root.
pub fn load_director(path: &Path) -> Result<Loaded<DirectorConfig>, ConfigError> {
    let (set, warns, files, origin) = load_files(path, Component::Director)?;
    build_director(set, warns, files, &origin)
}

/// Load the storage daemon configuration.
pub fn load_storage(path: &Path) -> Result<Loaded<StorageDaemonConfig>, ConfigError> {
    let (set, warns, files, origin) = load_files(path, Component::Storage)?;
    let mut diags = Vec::new();
    let built = model::sd::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

/// Load the file daemon configuration.
pub fn load_filedaemon(path: &Path) -> Result<Loaded<FileDaemonConfig>, ConfigError> {
    let (set, warns, files, origin) = load_files(path, Component::FileDaemon)?;
    let mut diags = Vec::new();
    let built = model::fd::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

/// Load the bconsole configuration.
pub fn load_console(path: &Path) -> Result<Loaded<ConsoleConfig>, ConfigError> {
    let (set, warns, files, origin) = load_files(path, Component::Console)?;
    let mut diags = Vec::new();
    let built = model::console::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

fn load_text(text: &str, name: &str, component: Component) -> Result<(ResourceSet, WarnSink, Vec<PathBuf>, Pos), ConfigError> {
    let path = Path::new(name);
    let origin = Pos::start_of(path);
    let (set, warns, mut files) = load_set(component, Input::Text { text, name: path }, origin.clone())?;
    files.insert(0, path.to_path_buf());
    Ok((set, warns, files, origin))
}

/// Parse a director configuration from text; `name_for_errors` is used as the file name.
pub fn parse_director_str(text: &str, name_for_errors: &str) -> Result<Loaded<DirectorConfig>, ConfigError> {
    let (set, warns, files, origin) = load_text(text, name_for_errors, Component::Director)?;
    build_director(set, warns, files, &origin)
}

/// Parse a storage daemon configuration from text.
pub fn parse_storage_str(text: &str, name_for_errors: &str) -> Result<Loaded<StorageDaemonConfig>, ConfigError> {
    let (set, warns, files, origin) = load_text(text, name_for_errors, Component::Storage)?;
    let mut diags = Vec::new();
    let built = model::sd::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

/// Parse a file daemon configuration from text.
pub fn parse_filedaemon_str(text: &str, name_for_errors: &str) -> Result<Loaded<FileDaemonConfig>, ConfigError> {
    let (set, warns, files, origin) = load_text(text, name_for_errors, Component::FileDaemon)?;
    let mut diags = Vec::new();
    let built = model::fd::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

/// Parse a bconsole configuration from text.
pub fn parse_console_str(text: &str, name_for_errors: &str) -> Result<Loaded<ConsoleConfig>, ConfigError> {
    let (set, warns, files, origin) = load_text(text, name_for_errors, Component::Console)?;
    let mut diags = Vec::new();
    let built = model::console::build(set, &mut diags);
    finish(built, diags, warns, files, &origin)
}

/// Parse any component's configuration into the generic representation only.
pub fn parse_resources_str(text: &str, name_for_errors: &str, component: Component) -> Result<Loaded<ResourceSet>, ConfigError> {
    let (set, warns, files, _) = load_text(text, name_for_errors, component)?;
    Ok(Loaded { config: set, warnings: warns.list, files })
}

/// Load any component's configuration into the generic representation only.
pub fn load_resources(path: &Path, component: Component) -> Result<Loaded<ResourceSet>, ConfigError> {
    let (set, warns, files, _) = load_files(path, component)?;
    Ok(Loaded { config: set, warnings: warns.list, files })
}
