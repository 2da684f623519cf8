//! Finding and loading the console configuration (bconsole.conf / bconsole.d).
//!
//! Path rules (`-c PATH`, `--home`, or the defaults): `cairn_config::locate`
//! takes a file as is, and a directory as a config root holding
//! `bconsole.conf`/`cairn-console.conf` or `bconsole.d`/`cairn-console.d`, or as a
//! `bconsole.d`-style resource directory itself. `--home H` uses `H/etc` as the
//! root, as `cairn up` writes it. Without either: `./bconsole.conf` if present,
//! else the root `/etc/cairn`, else `/etc/bareos`.

use std::path::{Path, PathBuf};

use crate::error::ConsoleError;
use crate::select::{ConsoleEntry, ConsoleSetup, DirectorEntry};

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct LoadedSetup {
    pub setup: ConsoleSetup,
    pub warnings: Vec<String>,
    /// The path that was loaded (file or directory).
    pub path: PathBuf,
}

/// True when `path` holds a console configuration (file, resource dir or root).
fn has_console_config(path: &Path) -> bool {
    cairn_config::locate(path, cairn_config::Component::Console).is_ok_and(|src| !src.files.is_empty())
}

/// The configuration path to use for the given `-c` and `--home` options
/// (the loader itself resolves directories, see [`cairn_config::locate`]).
pub fn config_path(config: Option<&Path>, home: Option<&Path>) -> Result<PathBuf, ConsoleError> {
    if let Some(c) = config {
        return Ok(c.to_path_buf());
    }
    if let Some(h) = home {
        return Ok(h.join("etc"));
    }
    let local = PathBuf::from("bconsole.conf");
    if local.is_file() {
        return Ok(local);
    }
    for root in ["/etc/cairn", "/etc/bareos"] {
        if has_console_config(Path::new(root)) {
            return Ok(PathBuf::from(root));
        }
    }
    Err(ConsoleError::Config(
        "Cannot find a console configuration: tried ./bconsole.conf, /etc/cairn and /etc/bareos (use -c PATH)".into(),
    ))
}

/// Load and check the configuration at `path` (already resolved).
pub fn load(path: &Path) -> Result<LoadedSetup, ConsoleError> {
    let loaded = load_raw(path)?;
    loaded.setup.check(&path.display().to_string())?;
    Ok(loaded)
}

fn load_raw(path: &Path) -> Result<LoadedSetup, ConsoleError> {
    let loaded = cairn_config::load_console(path).map_err(|e| ConsoleError::Config(e.to_string()))?;
    let cfg = &loaded.config;
    let setup = ConsoleSetup {
        directors: cfg
            .directors
            .iter()
            .map(|d| DirectorEntry {
                name: d.name.clone(),
                address: d.address.clone(),
                port: d.port,
                password_key: d.password.as_ref().map(|p| p.0.clone()),
                tls: d.tls.options(),
            })
            .collect(),
        consoles: cfg
            .consoles
            .iter()
            .map(|c| ConsoleEntry {
                name: c.name.clone(),
                password_key: c.password.0.clone(),
                director: c.director.clone(),
                history_file: c.history_file.clone(),
                history_length: c.history_length,
                tls: c.tls.options(),
            })
            .collect(),
    };
    let warnings = loaded.warnings.iter().map(|w| w.to_string()).collect();
    Ok(LoadedSetup { setup, warnings, path: path.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_file_root_and_resource_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let etc = dir.path().join("etc");
        let d = etc.join("bconsole.d");
        std::fs::create_dir_all(d.join("director")).expect("mkdir");
        std::fs::create_dir_all(d.join("console")).expect("mkdir");
        std::fs::write(
            d.join("director/bareos-dir.conf"),
            "Director {\n  Name = bareos-dir\n  Address = localhost\n  Port = 19101\n  Password = \"secret\"\n}\n",
        )
        .expect("write");
        std::fs::write(
            d.join("console/admin.conf"),
            "Console {\n  Name = admin\n  Password = \"pw\"\n  Director = bareos-dir\n  History Length = 50\n}\n",
        )
        .expect("write");
        for p in [config_path(None, Some(dir.path())).expect("home"), etc.clone(), d.clone()] {
            let l = load(&p).expect("load");
            assert_eq!(l.setup.directors.len(), 1, "{}", p.display());
            let dir0 = &l.setup.directors[0];
            assert_eq!((dir0.name.as_str(), dir0.address.as_str(), dir0.port), ("bareos-dir", "localhost", 19101));
            assert_eq!(dir0.password_key.as_deref(), Some(cairn_proto::auth::password_key("secret").as_str()));
            let c = &l.setup.consoles[0];
            assert_eq!((c.name.as_str(), c.director.as_deref(), c.history_length), ("admin", Some("bareos-dir"), 50));
            let o = l.setup.connect_options(0).expect("opts");
            assert_eq!(o.console_name.as_deref(), Some("admin"));
            assert_eq!(o.password_key, cairn_proto::auth::password_key("pw"));
        }
        let f = dir.path().join("single.conf");
        std::fs::write(&f, "Director { Name = d; Address = h; Password = x }\n").expect("write");
        let l = load(&f).expect("load");
        assert_eq!(l.setup.directors[0].port, 9101);
        assert!(l.setup.consoles.is_empty());
    }

    #[test]
    fn bad_configs_fail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("bad.conf");
        std::fs::write(&f, "Director { Name = d; Address = h; Password = x\n").expect("write");
        assert!(load(&f).is_err());
        let empty = dir.path().join("empty.conf");
        std::fs::write(&empty, "# nothing\n").expect("write");
        match load(&empty) {
            Err(ConsoleError::Config(m)) => assert!(m.contains("Director"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(load(&dir.path().join("missing.conf")).is_err());
    }
}
