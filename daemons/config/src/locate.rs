//! Finding the configuration files of a component, like Bareos's `-c PATH`.

use std::path::{Path, PathBuf};

use crate::error::ConfigError;
use crate::schema::Component;

/// How the configuration was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceKind {
    /// A single configuration file.
    File,
    /// A resource directory (`<component>.d`) read as `*/*.conf`.
    ResourceDir,
}

/// The files making up one component's configuration, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub component: Component,
    pub kind: SourceKind,
    /// The file or resource directory that was chosen.
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
}

/// `dir/*/*.conf`, sorted.
fn resource_dir_files(dir: &Path) -> Vec<PathBuf> {
    let pattern = format!("{}/*/*.conf", glob::Pattern::escape(&dir.to_string_lossy()));
    let mut files: Vec<PathBuf> = match glob::glob(&pattern) {
        Ok(paths) => paths.filter_map(Result::ok).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Locate a component's configuration. `path` may be a config file, a resource directory
/// (`.../bareos-dir.d`) or a config root holding `<component>.conf` or `<component>.d`
/// (Bareos names first, then Cairn's; a single file is preferred over the `.d` directory).
pub fn locate(path: &Path, component: Component) -> Result<ConfigSource, ConfigError> {
    let meta = std::fs::metadata(path).map_err(|e| ConfigError::Io { path: path.to_path_buf(), source: e })?;
    if meta.is_file() {
        return Ok(ConfigSource {
            component,
            kind: SourceKind::File,
            path: path.to_path_buf(),
            files: vec![path.to_path_buf()],
        });
    }
    let bases = [component.bareos_name(), component.cairn_name()];
    for b in bases {
        let f = path.join(format!("{b}.conf"));
        if f.is_file() {
            return Ok(ConfigSource { component, kind: SourceKind::File, path: f.clone(), files: vec![f] });
        }
    }
    for b in bases {
        let d = path.join(format!("{b}.d"));
        if d.is_dir() {
            let files = resource_dir_files(&d);
            return Ok(ConfigSource { component, kind: SourceKind::ResourceDir, path: d, files });
        }
    }
    let files = resource_dir_files(path);
    if !files.is_empty() {
        return Ok(ConfigSource { component, kind: SourceKind::ResourceDir, path: path.to_path_buf(), files });
    }
    Err(ConfigError::NotFound { path: path.to_path_buf(), component: component.bareos_name() })
}
