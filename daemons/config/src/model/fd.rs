//! Typed file daemon configuration.

use std::path::PathBuf;

use super::{ListenAddr, MessagesRes, Password, TlsSettings, View, messages_res};
use crate::error::Diagnostic;
use crate::resource::ResourceSet;
use crate::schema::Component;

#[derive(Debug, Clone)]
pub struct FileDaemonConfig {
    pub client: FdClientRes,
    pub directors: Vec<FdDirectorRes>,
    pub messages: Vec<MessagesRes>,
    pub resources: ResourceSet,
}

impl FileDaemonConfig {
    pub fn director(&self, name: &str) -> Option<&FdDirectorRes> {
        self.directors.iter().find(|d| d.name == name)
    }
    pub fn messages_res(&self, name: &str) -> Option<&MessagesRes> {
        self.messages.iter().find(|d| d.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct FdClientRes {
    pub name: String,
    pub description: Option<String>,
    /// Default: one entry, host None, port 9102.
    pub listen: Vec<ListenAddr>,
    pub source_address: Option<String>,
    pub working_directory: PathBuf,
    pub plugin_directory: Option<PathBuf>,
    pub plugin_names: Vec<String>,
    pub scripts_directory: Option<PathBuf>,
    pub maximum_workers_per_job: u32,
    pub messages: Option<String>,
    pub sd_connect_timeout: u64,
    pub heartbeat_interval: u64,
    pub maximum_network_buffer_size: Option<u32>,
    pub pki_signatures: bool,
    pub pki_encryption: bool,
    pub pki_key_pair: Option<PathBuf>,
    pub pki_signers: Vec<PathBuf>,
    pub pki_master_keys: Vec<PathBuf>,
    pub pki_cipher: String,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub allow_bandwidth_bursting: bool,
    pub allowed_script_dir: Vec<PathBuf>,
    pub allowed_job_command: Vec<String>,
    pub absolute_job_timeout: Option<u32>,
    pub lmdb_threshold: Option<u32>,
    pub secure_erase_command: Option<String>,
    pub log_timestamp_format: Option<String>,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct FdDirectorRes {
    pub name: String,
    pub description: Option<String>,
    pub password: Password,
    pub address: Option<String>,
    pub port: u16,
    pub connection_from_director_to_client: bool,
    pub connection_from_client_to_director: bool,
    pub monitor: bool,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub allowed_script_dir: Vec<PathBuf>,
    pub allowed_job_command: Vec<String>,
    pub tls: TlsSettings,
}

pub(crate) fn build(set: ResourceSet, diags: &mut Vec<Diagnostic>) -> Option<FileDaemonConfig> {
    let mut client = None;
    let mut directors = Vec::new();
    let mut messages = Vec::new();
    for r in &set.resources {
        let Some(def) = Component::FileDaemon.resource(r.type_name) else { continue };
        let v = View::new(def, &r.directives, &r.pos);
        match r.type_name {
            "Client" => {
                client = Some(FdClientRes {
                    name: v.string("Name"),
                    description: v.str("Description"),
                    listen: v.listen("Address", "Port", "Addresses"),
                    source_address: v.str("SourceAddress"),
                    working_directory: v.path("WorkingDirectory").unwrap_or_else(|| PathBuf::from("/var/lib/cairn")),
                    plugin_directory: v.path("PluginDirectory"),
                    plugin_names: v.list("PluginNames"),
                    scripts_directory: v.path("ScriptsDirectory"),
                    maximum_workers_per_job: v.u32("MaximumWorkersPerJob"),
                    messages: v.str("Messages"),
                    sd_connect_timeout: v.u64("SdConnectTimeout"),
                    heartbeat_interval: v.u64("HeartbeatInterval"),
                    maximum_network_buffer_size: v.opt_u32("MaximumNetworkBufferSize"),
                    pki_signatures: v.bool("PkiSignatures"),
                    pki_encryption: v.bool("PkiEncryption"),
                    pki_key_pair: v.path("PkiKeyPair"),
                    pki_signers: v.list("PkiSigner").into_iter().map(PathBuf::from).collect(),
                    pki_master_keys: v.list("PkiMasterKey").into_iter().map(PathBuf::from).collect(),
                    pki_cipher: v.string("PkiCipher"),
                    maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
                    allow_bandwidth_bursting: v.bool("AllowBandwidthBursting"),
                    allowed_script_dir: v.list("AllowedScriptDir").into_iter().map(PathBuf::from).collect(),
                    allowed_job_command: v.list("AllowedJobCommand"),
                    absolute_job_timeout: v.opt_u32("AbsoluteJobTimeout"),
                    lmdb_threshold: v.opt_u32("LmdbThreshold"),
                    secure_erase_command: v.str("SecureEraseCommand"),
                    log_timestamp_format: v.str("LogTimestampFormat"),
                    tls: v.tls(),
                })
            }
            "Director" => directors.push(FdDirectorRes {
                name: v.string("Name"),
                description: v.str("Description"),
                password: v.password("Password").unwrap_or(Password(String::new())),
                address: v.str("Address"),
                port: v.port("Port", diags),
                connection_from_director_to_client: v.bool("ConnectionFromDirectorToClient"),
                connection_from_client_to_director: v.bool("ConnectionFromClientToDirector"),
                monitor: v.bool("Monitor"),
                maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
                allowed_script_dir: v.list("AllowedScriptDir").into_iter().map(PathBuf::from).collect(),
                allowed_job_command: v.list("AllowedJobCommand"),
                tls: v.tls(),
            }),
            "Messages" => messages.push(messages_res(&v)),
            _ => {}
        }
    }
    Some(FileDaemonConfig { client: client?, directors, messages, resources: set })
}
