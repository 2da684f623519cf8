//! Storage daemon (bareos-sd) resource tables, features.md §2.3.

use super::common::*;
use super::{DataType as T, DirectiveDef, ResourceDef, d};

static STORAGE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "storage daemon name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Port", T::Port, "listen port").def("9103").alias(&["SdPort"]).acted(),
    d("Address", T::Address, "listen address").alias(&["SdAddress"]).acted(),
    d("Addresses", T::Addresses, "listen address block").alias(&["SdAddresses"]).acted(),
    d("SourceAddress", T::Address, "bind address for outgoing connections").alias(&["SdSourceAddress"]),
    d("WorkingDirectory", T::Path, "state files").def("/var/lib/cairn").acted(),
    d("BackendDirectory", T::PathList, "where device backends are loaded from").def("/usr/lib/bareos/backends"),
    d("JustInTimeReservation", T::Bool, "reserve a device only when data arrives").def("yes"),
    d("PluginDirectory", T::Path, "SD plugins directory"),
    d("PluginNames", T::PluginNames, "SD plugins to load"),
    d("ScriptsDirectory", T::Path, "scripts directory").def("/usr/lib/bareos/scripts"),
    d("MaximumConcurrentJobs", T::U32, "ignored").def("1000").dep(),
    d("Messages", T::Res("Messages"), "daemon messages"),
    d("SdConnectTimeout", T::Duration, "SD-SD connect timeout").def("30 minutes"),
    d("FdConnectTimeout", T::Duration, "passive client connect timeout").def("30 minutes"),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
    d("CheckpointInterval", T::Duration, "metadata checkpoint interval during backup").def("0"),
    d("MaximumNetworkBufferSize", T::U32, "socket buffer size"),
    d("ClientConnectWait", T::Duration, "how long to wait for the FD to connect").def("30 minutes"),
    d("VerId", T::Str, "version suffix"),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("AllowBandwidthBursting", T::Bool, "allow bandwidth bursts").def("no"),
    d("NdmpEnable", T::Bool, "enable the NDMP tape agent").def("no"),
    d("NdmpSnooping", T::Bool, "NDMP debugging").def("no"),
    d("NdmpLogLevel", T::U32, "NDMP debug level").def("4"),
    d("NdmpAddress", T::Address, "NDMP listen address"),
    d("NdmpAddresses", T::Addresses, "NDMP listen address block"),
    d("NdmpPort", T::Port, "NDMP listen port").def("10000"),
    d("AutoXFlateOnReplication", T::Bool, "apply autoxflate on copy/migrate").def("no"),
    d("AbsoluteJobTimeout", T::U32, "hard job kill timer"),
    d("CollectDeviceStatistics", T::Bool, "device statistics").def("no").dep(),
    d("CollectJobStatistics", T::Bool, "job statistics").def("no").dep(),
    d("StatisticsCollectInterval", T::U32, "statistics interval").def("0").dep(),
    d("DeviceReserveByMediaType", T::Bool, "reserve any device with a matching media type").def("no"),
    d("FileDeviceConcurrentRead", T::Bool, "concurrent reads of one file volume").def("no"),
    d("SecureEraseCommand", T::Str, "command run instead of a plain unlink"),
    d("LogTimestampFormat", T::Str, "strftime format for log lines").def("%d-%b %H:%M"),
    d("EnableKtls", T::Bool, "kernel TLS offload").def("no"),
];

static DIRECTOR_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "director allowed to connect").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Password", PW_AUTO, "matches the director's Storage password").req().acted(),
    d("Monitor", T::Bool, "status-only access").def("no"),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("KeyEncryptionKey", PW_CLEAR, "SCSI crypto key wrapping key"),
];

static DEVICE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "device name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("MediaType", T::Str, "media type; must match the director").req(),
    d("DeviceType", T::Str, "file, tape, fifo, dplcompat, dedupable ..."),
    d("ArchiveDevice", T::Str, "directory, device node or fifo").req(),
    d("DeviceOptions", T::Str, "backend-specific options"),
    d("DiagnosticDevice", T::Str, "diagnostic device"),
    d("HardwareEndOfFile", T::Bit, "tape capability").def("yes"),
    d("HardwareEndOfMedium", T::Bit, "tape capability").def("yes"),
    d("BackwardSpaceRecord", T::Bit, "tape capability").def("yes"),
    d("BackwardSpaceFile", T::Bit, "tape capability").def("yes"),
    d("BsfAtEom", T::Bit, "tape capability").def("no"),
    d("TwoEof", T::Bit, "tape capability").def("no"),
    d("ForwardSpaceRecord", T::Bit, "tape capability").def("yes"),
    d("ForwardSpaceFile", T::Bit, "tape capability").def("yes"),
    d("FastForwardSpaceFile", T::Bit, "tape capability").def("yes"),
    d("RemovableMedia", T::Bit, "removable media").def("yes"),
    d("RandomAccess", T::Bit, "disk-like device").def("no"),
    d("AutomaticMount", T::Bit, "read the label on open").def("no"),
    d("LabelMedia", T::Bit, "allow automatic labelling").def("no"),
    d("AlwaysOpen", T::Bit, "keep the device open").def("yes"),
    d("Autochanger", T::Bit, "device belongs to an autochanger").def("no"),
    d("CloseOnPoll", T::Bit, "tape capability").def("no"),
    d("BlockPositioning", T::Bit, "tape capability").def("yes"),
    d("UseMtiocget", T::Bit, "tape capability").def("yes"),
    d("CheckLabels", T::Bit, "check ANSI/IBM labels").def("no").dep(),
    d("RequiresMount", T::Bit, "needs mount/unmount commands").def("no"),
    d("OfflineOnUnmount", T::Bit, "tape capability").def("no"),
    d("BlockChecksum", T::Bit, "CRC per block").def("yes"),
    d("AccessMode", T::Enum(&ACCESSMODE), "readonly, writeonly or readwrite").def("readwrite"),
    d("AutoSelect", T::Bool, "may be auto-selected from its autochanger").def("yes"),
    d("ChangerDevice", T::Str, "changer control device"),
    d("ChangerCommand", T::Str, "changer script"),
    d("AlertCommand", T::Str, "tape alert script"),
    d("MaximumChangerWait", T::Duration, "changer operation timeout").def("5 minutes"),
    d("MaximumOpenWait", T::Duration, "open retry time").def("5 minutes"),
    d("MaximumOpenVolumes", T::U32, "parallel open volumes").def("1"),
    d("MaximumNetworkBufferSize", T::U32, "socket buffer size").dep(),
    d("VolumePollInterval", T::Duration, "poll for operator mount").def("5 minutes"),
    d("MaximumRewindWait", T::Duration, "rewind timeout").def("5 minutes"),
    d("LabelBlockSize", T::U32, "block size of the label block").def("64512"),
    d("MinimumBlockSize", T::U32, "minimum block size"),
    d("MaximumBlockSize", T::Size32, "maximum block size").def("1048576"),
    d("MaximumFileSize", T::Size64, "file mark spacing on the volume").def("1000000000"),
    d("VolumeCapacity", T::Size64, "assumed volume capacity"),
    d("MaximumConcurrentJobs", T::U32, "jobs per device").def("1"),
    d("SpoolDirectory", T::Path, "data spool directory"),
    d("MaximumSpoolSize", T::Size64, "total spool limit"),
    d("MaximumJobSpoolSize", T::Size64, "per-job spool limit"),
    d("DriveIndex", T::U16, "drive number in the changer"),
    d("MountPoint", T::Str, "mount point"),
    d("MountCommand", T::Str, "mount command"),
    d("UnmountCommand", T::Str, "unmount command"),
    d("LabelType", T::Enum(&LABEL), "ANSI/IBM labels").dep(),
    d("NoRewindOnClose", T::Bool, "tape capability").def("yes"),
    d("DriveTapeAlertEnabled", T::Bool, "tape alerts"),
    d("DriveCryptoEnabled", T::Bool, "SCSI crypto"),
    d("QueryCryptoStatus", T::Bool, "SCSI crypto status"),
    d("AutoDeflate", T::Enum(&IODIRECTION), "compress in this direction"),
    d("AutoDeflateAlgorithm", T::Enum(&CMPRSALGO), "compression algorithm"),
    d("AutoDeflateLevel", T::U16, "compression level").def("6"),
    d("AutoInflate", T::Enum(&IODIRECTION), "decompress in this direction"),
    d("CollectStatistics", T::Bool, "device statistics").def("yes"),
    d("EofOnErrorIsEot", T::Bool, "tape capability"),
    d("Count", T::U32, "number of devices to create from this template").def("1"),
];

static AUTOCHANGER_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "changer name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Device", T::ResList("Device"), "member devices").req(),
    d("ChangerDevice", T::Str, "changer device node").req(),
    d("ChangerCommand", T::Str, "changer script").req(),
];

static NDMP_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "NDMP tape agent credentials").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Username", T::Str, "NDMP user").req(),
    d("Password", PW_CLEAR, "NDMP password (clear)").req(),
    d("AuthType", T::Enum(&AUTHTYPE), "authentication type").def("None"),
    d("LogLevel", T::U32, "NDMP debug level").def("4"),
];

const fn res(
    name: &'static str,
    group: &'static str,
    parts: &'static [&'static [DirectiveDef]],
) -> ResourceDef {
    ResourceDef { name, aliases: &[], group, datatype: "RES", parts, only_name_required: false }
}

pub static STORAGE: ResourceDef = res("Storage", "storages", &[STORAGE_ITEMS, TLS]);
pub static DIRECTOR: ResourceDef = res("Director", "directors", &[DIRECTOR_ITEMS, TLS]);
pub static DEVICE: ResourceDef = res("Device", "devices", &[DEVICE_ITEMS]);
pub static AUTOCHANGER: ResourceDef = res("Autochanger", "autochangers", &[AUTOCHANGER_ITEMS]);
pub static NDMP: ResourceDef = res("Ndmp", "ndmp", &[NDMP_ITEMS]);

pub static RESOURCES: &[&ResourceDef] = &[&STORAGE, &DIRECTOR, &DEVICE, &AUTOCHANGER, &MESSAGES, &NDMP];
