//! File daemon (bareos-fd) resource tables, features.md §2.4.

use super::common::*;
use super::{DataType as T, DirectiveDef, ResourceDef, d};

static CLIENT_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "client name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Port", T::Port, "listen port").def("9102").alias(&["FdPort"]).acted(),
    d("Address", T::Address, "listen address").alias(&["FdAddress"]).acted(),
    d("Addresses", T::Addresses, "listen address block").alias(&["FdAddresses"]).acted(),
    d("SourceAddress", T::Address, "bind address for outgoing connections").alias(&["FdSourceAddress"]),
    d("WorkingDirectory", T::Path, "state files").def("/var/lib/cairn").acted(),
    d("PluginDirectory", T::Path, "FD plugins directory"),
    d("PluginNames", T::PluginNames, "FD plugins to load"),
    d("ScriptsDirectory", T::Path, "scripts directory").def("/usr/lib/bareos/scripts"),
    d("MaximumConcurrentJobs", T::U32, "ignored").def("1000").dep(),
    d("MaximumWorkersPerJob", T::U32, "parallel read threads").def("2"),
    d("Messages", T::Res("Messages"), "daemon messages"),
    d("SdConnectTimeout", T::Duration, "connect to SD timeout").def("30 minutes"),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
    d("MaximumNetworkBufferSize", T::U32, "socket buffer size"),
    d("PkiSignatures", T::Bool, "sign data").def("no"),
    d("PkiEncryption", T::Bool, "encrypt data").def("no"),
    d("PkiKeyPair", T::Path, "PEM key and certificate"),
    d("PkiSigner", T::PathList, "extra signer keys"),
    d("PkiMasterKey", T::PathList, "master public keys"),
    d("PkiCipher", T::Enum(&CIPHER), "data encryption cipher").def("aes128"),
    d("VerId", T::Str, "version suffix"),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("AllowBandwidthBursting", T::Bool, "allow bandwidth bursts").def("no"),
    d("AllowedScriptDir", T::PathList, "restrict runscript commands to these directories"),
    d("AllowedJobCommand", T::StrList, "job commands the director may send"),
    d("AbsoluteJobTimeout", T::U32, "hard job kill timer"),
    d("AlwaysUseLmdb", T::Bool, "always use LMDB for accurate data").def("no").dep(),
    d("LmdbThreshold", T::U32, "file count above which accurate data goes to LMDB"),
    d("SecureEraseCommand", T::Str, "command run instead of a plain unlink"),
    d("LogTimestampFormat", T::Str, "strftime format for log lines").def("%d-%b %H:%M"),
    d("GrpcModule", T::Str, "gRPC plugin bridge binary").def("bareos-grpc-fd-plugin-bridge"),
    d("EnableKtls", T::Bool, "kernel TLS offload").def("no"),
];

static DIRECTOR_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "director allowed to connect").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Password", PW_MD5, "matches the director's Client password").req().acted(),
    d("Address", T::Str, "director address for client-initiated connections").acted(),
    d("Port", T::U32, "director port for client-initiated connections").def("9101").acted(),
    d("ConnectionFromDirectorToClient", T::Bool, "accept director connections").def("yes").acted(),
    d("ConnectionFromClientToDirector", T::Bool, "dial the director and keep the connection").def("no").acted(),
    d("Monitor", T::Bool, "status-only access").def("no"),
    d("MaximumBandwidthPerJob", T::Speed, "bandwidth limit per job"),
    d("AllowedScriptDir", T::PathList, "per-director script directories"),
    d("AllowedJobCommand", T::StrList, "per-director allowed job commands"),
];

pub static CLIENT: ResourceDef = ResourceDef {
    name: "Client",
    aliases: &["FileDaemon"],
    group: "clients",
    datatype: "RES",
    parts: &[CLIENT_ITEMS, TLS],
    only_name_required: false,
};
pub static DIRECTOR: ResourceDef = ResourceDef {
    name: "Director",
    aliases: &[],
    group: "directors",
    datatype: "RES",
    parts: &[DIRECTOR_ITEMS, TLS],
    only_name_required: false,
};

pub static RESOURCES: &[&ResourceDef] = &[&CLIENT, &DIRECTOR, &MESSAGES];
