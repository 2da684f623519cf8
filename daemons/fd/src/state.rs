//! Shared state of a running file daemon.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use cairn_config::{FileDaemonConfig, Warning};

use crate::job::Registry;

/// What every connection of the file daemon shares.
#[derive(Debug)]
pub struct FdState {
    config: RwLock<Arc<FileDaemonConfig>>,
    pub warnings: Vec<Warning>,
    pub config_path: PathBuf,
    pub jobs: Registry,
    /// Unix time the daemon started.
    pub started: i64,
    /// Run-time debug level and trace file (`setdebug`).
    pub debug: Arc<cairn_runtime::trace::DebugHandle>,
}

impl FdState {
    pub fn new(config: FileDaemonConfig, warnings: Vec<Warning>, config_path: PathBuf) -> FdState {
        let debug = cairn_runtime::trace::DebugHandle::register(
            cairn_runtime::trace::DaemonKind::File,
            &config.client.name,
            &config.client.working_directory,
            0,
        );
        FdState {
            debug,
            config: RwLock::new(Arc::new(config)),
            warnings,
            config_path,
            jobs: Registry::default(),
            started: chrono::Utc::now().timestamp(),
        }
    }
    /// The configuration in force.
    pub fn config(&self) -> Arc<FileDaemonConfig> {
        match self.config.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}
