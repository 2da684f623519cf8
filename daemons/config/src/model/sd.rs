//! Typed storage daemon configuration.

use std::path::PathBuf;

use super::{ListenAddr, MessagesRes, Password, TlsSettings, View, messages_res};
use crate::error::Diagnostic;
use crate::resource::ResourceSet;
use crate::schema::Component;

#[derive(Debug, Clone)]
pub struct StorageDaemonConfig {
    pub storage: SdStorageRes,
    pub directors: Vec<SdDirectorRes>,
    /// Devices after `Count` expansion.
    pub devices: Vec<DeviceRes>,
    /// Explicit autochangers plus the implicit ones created by `Count`.
    pub autochangers: Vec<AutochangerRes>,
    pub messages: Vec<MessagesRes>,
    pub ndmp: Vec<NdmpRes>,
    pub resources: ResourceSet,
}

impl StorageDaemonConfig {
    pub fn director(&self, name: &str) -> Option<&SdDirectorRes> {
        self.directors.iter().find(|d| d.name == name)
    }
    pub fn device(&self, name: &str) -> Option<&DeviceRes> {
        self.devices.iter().find(|d| d.name == name)
    }
    pub fn autochanger(&self, name: &str) -> Option<&AutochangerRes> {
        self.autochangers.iter().find(|d| d.name == name)
    }
    pub fn messages_res(&self, name: &str) -> Option<&MessagesRes> {
        self.messages.iter().find(|d| d.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct SdStorageRes {
    pub name: String,
    pub description: Option<String>,
    /// Default: one entry, host None, port 9103.
    pub listen: Vec<ListenAddr>,
    pub source_address: Option<String>,
    pub working_directory: PathBuf,
    pub backend_directory: Vec<PathBuf>,
    pub just_in_time_reservation: bool,
    pub plugin_directory: Option<PathBuf>,
    pub plugin_names: Vec<String>,
    pub scripts_directory: Option<PathBuf>,
    pub messages: Option<String>,
    pub sd_connect_timeout: u64,
    pub fd_connect_timeout: u64,
    pub heartbeat_interval: u64,
    pub checkpoint_interval: u64,
    pub maximum_network_buffer_size: Option<u32>,
    pub client_connect_wait: u64,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub allow_bandwidth_bursting: bool,
    pub auto_xflate_on_replication: bool,
    pub absolute_job_timeout: Option<u32>,
    pub device_reserve_by_media_type: bool,
    pub file_device_concurrent_read: bool,
    pub log_timestamp_format: Option<String>,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct SdDirectorRes {
    pub name: String,
    pub description: Option<String>,
    pub password: Password,
    pub monitor: bool,
    pub maximum_bandwidth_per_job: Option<u64>,
    pub key_encryption_key: Option<Password>,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct DeviceRes {
    pub name: String,
    pub description: Option<String>,
    pub media_type: String,
    pub device_type: Option<String>,
    pub archive_device: String,
    pub device_options: Option<String>,
    pub label_media: bool,
    pub random_access: bool,
    pub automatic_mount: bool,
    pub removable_media: bool,
    pub always_open: bool,
    pub autochanger: bool,
    pub requires_mount: bool,
    pub access_mode: String,
    pub auto_select: bool,
    pub changer_device: Option<String>,
    pub changer_command: Option<String>,
    pub alert_command: Option<String>,
    pub maximum_changer_wait: u64,
    pub maximum_open_wait: u64,
    pub maximum_open_volumes: u32,
    pub volume_poll_interval: u64,
    pub maximum_rewind_wait: u64,
    pub label_block_size: u32,
    pub minimum_block_size: Option<u32>,
    pub maximum_block_size: u32,
    pub maximum_file_size: u64,
    pub volume_capacity: Option<u64>,
    pub maximum_concurrent_jobs: u32,
    pub spool_directory: Option<PathBuf>,
    pub maximum_spool_size: Option<u64>,
    pub maximum_job_spool_size: Option<u64>,
    pub drive_index: u16,
    pub mount_point: Option<String>,
    pub mount_command: Option<String>,
    pub unmount_command: Option<String>,
    pub auto_deflate: Option<String>,
    pub auto_deflate_algorithm: Option<String>,
    pub auto_deflate_level: u16,
    pub auto_inflate: Option<String>,
    pub collect_statistics: bool,
    /// `Count` as written (1 = single device).
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutochangerRes {
    pub name: String,
    pub description: Option<String>,
    pub devices: Vec<String>,
    pub changer_device: String,
    pub changer_command: String,
    /// True for the autochanger created by a Device's `Count`.
    pub implicit: bool,
}

#[derive(Debug, Clone)]
pub struct NdmpRes {
    pub name: String,
    pub description: Option<String>,
    pub username: String,
    /// Kept in clear text.
    pub password: Password,
    pub auth_type: String,
    pub log_level: u32,
}

fn device_res(v: &View) -> DeviceRes {
    DeviceRes {
        name: v.string("Name"),
        description: v.str("Description"),
        media_type: v.string("MediaType"),
        device_type: v.str("DeviceType"),
        archive_device: v.string("ArchiveDevice"),
        device_options: v.str("DeviceOptions"),
        label_media: v.bool("LabelMedia"),
        random_access: v.bool("RandomAccess"),
        automatic_mount: v.bool("AutomaticMount"),
        removable_media: v.bool("RemovableMedia"),
        always_open: v.bool("AlwaysOpen"),
        autochanger: v.bool("Autochanger"),
        requires_mount: v.bool("RequiresMount"),
        access_mode: v.string("AccessMode"),
        auto_select: v.bool("AutoSelect"),
        changer_device: v.str("ChangerDevice"),
        changer_command: v.str("ChangerCommand"),
        alert_command: v.str("AlertCommand"),
        maximum_changer_wait: v.u64("MaximumChangerWait"),
        maximum_open_wait: v.u64("MaximumOpenWait"),
        maximum_open_volumes: v.u32("MaximumOpenVolumes"),
        volume_poll_interval: v.u64("VolumePollInterval"),
        maximum_rewind_wait: v.u64("MaximumRewindWait"),
        label_block_size: v.u32("LabelBlockSize"),
        minimum_block_size: v.opt_u32("MinimumBlockSize"),
        maximum_block_size: v.u32("MaximumBlockSize"),
        maximum_file_size: v.u64("MaximumFileSize"),
        volume_capacity: v.opt_u64("VolumeCapacity"),
        maximum_concurrent_jobs: v.u32("MaximumConcurrentJobs"),
        spool_directory: v.path("SpoolDirectory"),
        maximum_spool_size: v.opt_u64("MaximumSpoolSize"),
        maximum_job_spool_size: v.opt_u64("MaximumJobSpoolSize"),
        drive_index: u16::try_from(v.u64("DriveIndex")).unwrap_or(0),
        mount_point: v.str("MountPoint"),
        mount_command: v.str("MountCommand"),
        unmount_command: v.str("UnmountCommand"),
        auto_deflate: v.str("AutoDeflate"),
        auto_deflate_algorithm: v.str("AutoDeflateAlgorithm"),
        auto_deflate_level: u16::try_from(v.u64("AutoDeflateLevel")).unwrap_or(6),
        auto_inflate: v.str("AutoInflate"),
        collect_statistics: v.bool("CollectStatistics"),
        count: v.u32("Count"),
    }
}

pub(crate) fn build(set: ResourceSet, diags: &mut Vec<Diagnostic>) -> Option<StorageDaemonConfig> {
    let mut storage = None;
    let mut directors = Vec::new();
    let mut devices = Vec::new();
    let mut autochangers = Vec::new();
    let mut messages = Vec::new();
    let mut ndmp = Vec::new();
    for r in &set.resources {
        let Some(def) = Component::Storage.resource(r.type_name) else { continue };
        let v = View::new(def, &r.directives, &r.pos);
        match r.type_name {
            "Storage" => {
                storage = Some(SdStorageRes {
                    name: v.string("Name"),
                    description: v.str("Description"),
                    listen: v.listen("Address", "Port", "Addresses"),
                    source_address: v.str("SourceAddress"),
                    working_directory: v.path("WorkingDirectory").unwrap_or_else(|| PathBuf::from("/var/lib/cairn")),
                    backend_directory: v.list("BackendDirectory").into_iter().map(PathBuf::from).collect(),
                    just_in_time_reservation: v.bool("JustInTimeReservation"),
                    plugin_directory: v.path("PluginDirectory"),
                    plugin_names: v.list("PluginNames"),
                    scripts_directory: v.path("ScriptsDirectory"),
                    messages: v.str("Messages"),
                    sd_connect_timeout: v.u64("SdConnectTimeout"),
                    fd_connect_timeout: v.u64("FdConnectTimeout"),
                    heartbeat_interval: v.u64("HeartbeatInterval"),
                    checkpoint_interval: v.u64("CheckpointInterval"),
                    maximum_network_buffer_size: v.opt_u32("MaximumNetworkBufferSize"),
                    client_connect_wait: v.u64("ClientConnectWait"),
                    maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
                    allow_bandwidth_bursting: v.bool("AllowBandwidthBursting"),
                    auto_xflate_on_replication: v.bool("AutoXFlateOnReplication"),
                    absolute_job_timeout: v.opt_u32("AbsoluteJobTimeout"),
                    device_reserve_by_media_type: v.bool("DeviceReserveByMediaType"),
                    file_device_concurrent_read: v.bool("FileDeviceConcurrentRead"),
                    log_timestamp_format: v.str("LogTimestampFormat"),
                    tls: v.tls(),
                })
            }
            "Director" => directors.push(SdDirectorRes {
                name: v.string("Name"),
                description: v.str("Description"),
                password: v.password("Password").unwrap_or(Password(String::new())),
                monitor: v.bool("Monitor"),
                maximum_bandwidth_per_job: v.opt_u64("MaximumBandwidthPerJob"),
                key_encryption_key: v.password("KeyEncryptionKey"),
                tls: v.tls(),
            }),
            "Device" => {
                let dev = device_res(&v);
                if dev.count > 1 {
                    if dev.count >= 10000 {
                        let pos = v.own("Count").map(|d| &d.pos).unwrap_or(&r.pos);
                        diags.push(Diagnostic::at(pos, format!("Device \"{}\": Count must be below 10000", dev.name)));
                        continue;
                    }
                    // Name0000 (not auto-selectable) .. NameNNNN, plus an implicit autochanger named like the template.
                    let mut members = Vec::new();
                    for i in 0..=dev.count {
                        let mut d = dev.clone();
                        d.name = format!("{}{:04}", dev.name, i);
                        d.autochanger = true;
                        d.count = 1;
                        if i == 0 {
                            d.auto_select = false;
                        }
                        members.push(d.name.clone());
                        devices.push(d);
                    }
                    autochangers.push(AutochangerRes {
                        name: dev.name.clone(),
                        description: dev.description.clone(),
                        devices: members,
                        changer_device: "/dev/null".into(),
                        changer_command: String::new(),
                        implicit: true,
                    });
                } else {
                    devices.push(dev);
                }
            }
            "Autochanger" => autochangers.push(AutochangerRes {
                name: v.string("Name"),
                description: v.str("Description"),
                devices: v.list("Device"),
                changer_device: v.string("ChangerDevice"),
                changer_command: v.string("ChangerCommand"),
                implicit: false,
            }),
            "Messages" => messages.push(messages_res(&v)),
            "Ndmp" => ndmp.push(NdmpRes {
                name: v.string("Name"),
                description: v.str("Description"),
                username: v.string("Username"),
                password: v.password("Password").unwrap_or(Password(String::new())),
                auth_type: v.string("AuthType"),
                log_level: v.u32("LogLevel"),
            }),
            _ => {}
        }
    }
    // Devices that belong to explicit autochangers are marked as such.
    for ac in autochangers.iter().filter(|a| !a.implicit) {
        for d in devices.iter_mut().filter(|d| ac.devices.contains(&d.name)) {
            d.autochanger = true;
        }
    }
    Some(StorageDaemonConfig { storage: storage?, directors, devices, autochangers, messages, ndmp, resources: set })
}
