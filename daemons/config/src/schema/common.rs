//! Tables shared by several daemons: TLS block, Messages resource, ACL directives, keyword sets.

use super::{DataType as T, DestForm, DirectiveDef, EnumDef, PwKind, ResourceDef, d};

pub(super) const PW_MD5: T = T::Password(PwKind::Md5);
pub(super) const PW_AUTO: T = T::Password(PwKind::Auto);
pub(super) const PW_CLEAR: T = T::Password(PwKind::Clear);

pub static JOBTYPE: EnumDef = EnumDef {
    name: "JOB_TYPE",
    values: &["Backup", "Restore", "Verify", "Admin", "Migrate", "Copy", "Consolidate", "Archive"],
};
pub static LEVEL: EnumDef = EnumDef {
    name: "BACKUP_LEVEL",
    values: &[
        "Full", "Incremental", "Differential", "Since", "VirtualFull", "Base", "InitCatalog", "Catalog",
        "VolumeToCatalog", "DiskToCatalog", "Data",
    ],
};
pub static REPLACE: EnumDef = EnumDef { name: "REPLACE", values: &["Always", "IfNewer", "IfOlder", "Never"] };
pub static MIGTYPE: EnumDef = EnumDef {
    name: "MIGRATION_TYPE",
    values: &[
        "SmallestVolume", "OldestVolume", "PoolOccupancy", "PoolTime", "PoolUncopiedJobs", "Client", "Volume", "Job",
        "SqlQuery",
    ],
};
pub static JOB_PROTOCOL: EnumDef =
    EnumDef { name: "PROTOCOL_TYPE", values: &["Native", "NDMP_BAREOS", "NDMP_NATIVE", "NDMP"] };
pub static AUTH_PROTOCOL: EnumDef =
    EnumDef { name: "AUTH_PROTOCOL_TYPE", values: &["Native", "NDMPv2", "NDMPv3", "NDMPv4"] };
pub static AUTHTYPE: EnumDef = EnumDef { name: "AUTH_TYPE", values: &["None", "Clear", "MD5"] };
pub static POOLTYPE: EnumDef = EnumDef {
    name: "POOLTYPE",
    values: &["Backup", "Copy", "Cloned", "Archive", "Migration", "Scratch"],
};
pub static ACTIONONPURGE: EnumDef = EnumDef { name: "ACTION_ON_PURGE", values: &["None", "Truncate"] };
pub static LABEL: EnumDef = EnumDef { name: "LABEL", values: &["ANSI", "IBM", "Bareos"] };
pub static RUNSWHEN: EnumDef =
    EnumDef { name: "RUNSCRIPT_WHEN", values: &["Never", "Before", "After", "Always", "AfterVSS"] };
pub static IODIRECTION: EnumDef = EnumDef { name: "IO_DIRECTION", values: &["in", "out", "both"] };
pub static CMPRSALGO: EnumDef =
    EnumDef { name: "COMPRESSION_ALGORITHM", values: &["gzip", "lzo", "lzfast", "lz4", "lz4hc"] };
pub static ACCESSMODE: EnumDef =
    EnumDef { name: "IO_DIRECTION_ACCESS", values: &["readonly", "writeonly", "readwrite"] };
pub static CIPHER: EnumDef = EnumDef {
    name: "ENCRYPTION_CIPHER",
    values: &[
        "aes128", "aes192", "aes256", "camellia128", "camellia192", "camellia256", "aes128hmacsha1", "aes256hmacsha1",
        "blowfish",
    ],
};
pub static SIGNATURE: EnumDef =
    EnumDef { name: "SIGNATURE", values: &["MD5", "SHA1", "SHA256", "SHA512", "XXH128"] };
pub static COMPRESSION: EnumDef = EnumDef {
    name: "COMPRESSION",
    values: &[
        "GZIP", "GZIP1", "GZIP2", "GZIP3", "GZIP4", "GZIP5", "GZIP6", "GZIP7", "GZIP8", "GZIP9", "LZO", "LZFAST", "LZ4",
        "LZ4HC",
    ],
};
pub static SHADOWING: EnumDef = EnumDef {
    name: "SHADOWING",
    values: &["none", "localwarn", "localremove", "globalwarn", "globalremove"],
};

/// The 14 TLS directives (§2.6).
pub static TLS: &[DirectiveDef] = &[
    d("TlsAuthenticate", T::Bool, "use TLS only for authentication, then clear text").def("no").dep(),
    d("TlsEnable", T::Bool, "enable TLS (PSK when no certificates are configured)").def("yes").acted(),
    d("TlsRequire", T::Bool, "refuse clear-text peers").def("yes").acted(),
    d("TlsCipherList", T::Str, "cipher list for TLS 1.2 and older"),
    d("TlsCipherSuites", T::Str, "cipher suites for TLS 1.3"),
    d("TlsDhFile", T::Path, "Diffie-Hellman parameter file"),
    d("TlsProtocol", T::Str, "OpenSSL-style protocol restriction string"),
    d("TlsVerifyPeer", T::Bool, "verify the peer certificate").def("no").acted(),
    d("TlsCaCertificateFile", T::Path, "file of trusted CA certificates").acted(),
    d("TlsCaCertificateDir", T::Path, "directory of trusted CA certificates").acted(),
    d("TlsCertificateRevocationList", T::Path, "certificate revocation list"),
    d("TlsCertificate", T::Path, "own certificate (PEM)").acted(),
    d("TlsKey", T::Path, "own private key (PEM)").acted(),
    d("TlsAllowedCn", T::StrList, "peer common names allowed to connect").acted(),
];

/// Messages resource directives (shared by director, SD and FD).
pub static MESSAGES_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "messages resource name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("MailCommand", T::Str, "command used to send Mail* destinations"),
    d("OperatorCommand", T::Str, "command used to send Operator messages"),
    d("TimestampFormat", T::Str, "strftime format for message time stamps"),
    d("Syslog", T::MsgDest(DestForm::OptTarget), "send messages to syslog"),
    d("Mail", T::MsgDest(DestForm::Target), "mail the job's messages at job end"),
    d("MailOnError", T::MsgDest(DestForm::Target), "mail only when the job failed"),
    d("MailOnSuccess", T::MsgDest(DestForm::Target), "mail only when the job succeeded"),
    d("File", T::MsgDest(DestForm::Target), "write messages to a file (overwrite)").acted(),
    d("Append", T::MsgDest(DestForm::Target), "append messages to a file").acted(),
    d("Stdout", T::MsgDest(DestForm::TypesOnly), "write messages to standard output").acted(),
    d("Stderr", T::MsgDest(DestForm::TypesOnly), "write messages to standard error").acted(),
    d("Director", T::MsgDest(DestForm::Target), "forward messages to a director").acted(),
    d("Console", T::MsgDest(DestForm::TypesOnly), "queue messages for the console").acted(),
    d("Operator", T::MsgDest(DestForm::Target), "mail messages immediately to the operator"),
    d("Catalog", T::MsgDest(DestForm::TypesOnly), "store messages in the catalog Log table").acted(),
];

pub static MESSAGES: ResourceDef = ResourceDef {
    name: "Messages",
    aliases: &[],
    group: "messages",
    datatype: "RES",
    parts: &[MESSAGES_ITEMS],
    only_name_required: false,
};

/// ACL directives of Console, Profile and User.
pub static ACLS: &[DirectiveDef] = &[
    d("JobAcl", T::Acl, "allowed Job names (regex list, ! = deny, *all*)"),
    d("ClientAcl", T::Acl, "allowed Client names"),
    d("StorageAcl", T::Acl, "allowed Storage names"),
    d("ScheduleAcl", T::Acl, "allowed Schedule names"),
    d("PoolAcl", T::Acl, "allowed Pool names"),
    d("CommandAcl", T::Acl, "allowed console commands").acted(),
    d("FileSetAcl", T::Acl, "allowed FileSet names"),
    d("CatalogAcl", T::Acl, "allowed Catalog names"),
    d("WhereAcl", T::Acl, "allowed restore target paths"),
    d("PluginOptionsAcl", T::Acl, "allowed plugin option strings"),
];
