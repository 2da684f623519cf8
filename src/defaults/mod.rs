//! The embedded default configuration `cairn up` writes into a new home: the
//! equivalent of Bareos's stock configuration (director, storage daemon, file
//! daemon and console), with random passwords and every path under the home.

use std::path::Path;

/// Files of the default configuration, relative to `<home>/etc`, with
/// placeholders `@HOME@`, `@DIR_PASSWORD@`, `@FD_PASSWORD@`, `@SD_PASSWORD@`,
/// `@MON_PASSWORD@`, `@DIR_PORT@`, `@FD_PORT@`, `@SD_PORT@`, `@ADMIN_PASSWORD@`.
pub const FILES: &[(&str, &str)] = &[
    ("bareos-dir.d/director/bareos-dir.conf", include_str!("dir/director.conf")),
    ("bareos-dir.d/catalog/MyCatalog.conf", include_str!("dir/catalog.conf")),
    ("bareos-dir.d/client/bareos-fd.conf", include_str!("dir/client.conf")),
    ("bareos-dir.d/console/bareos-mon.conf", include_str!("dir/console-mon.conf")),
    ("bareos-dir.d/console/admin.conf", include_str!("dir/console-admin.conf")),
    ("bareos-dir.d/fileset/SelfTest.conf", include_str!("dir/fileset-selftest.conf")),
    ("bareos-dir.d/fileset/Catalog.conf", include_str!("dir/fileset-catalog.conf")),
    ("bareos-dir.d/job/backup-bareos-fd.conf", include_str!("dir/job-backup.conf")),
    ("bareos-dir.d/job/BackupCatalog.conf", include_str!("dir/job-catalog.conf")),
    ("bareos-dir.d/job/RestoreFiles.conf", include_str!("dir/job-restore.conf")),
    ("bareos-dir.d/jobdefs/DefaultJob.conf", include_str!("dir/jobdefs.conf")),
    ("bareos-dir.d/messages/Daemon.conf", include_str!("dir/messages-daemon.conf")),
    ("bareos-dir.d/messages/Standard.conf", include_str!("dir/messages-standard.conf")),
    ("bareos-dir.d/pool/Full.conf", include_str!("dir/pool-full.conf")),
    ("bareos-dir.d/pool/Differential.conf", include_str!("dir/pool-diff.conf")),
    ("bareos-dir.d/pool/Incremental.conf", include_str!("dir/pool-incr.conf")),
    ("bareos-dir.d/pool/Scratch.conf", include_str!("dir/pool-scratch.conf")),
    ("bareos-dir.d/profile/operator.conf", include_str!("dir/profile-operator.conf")),
    ("bareos-dir.d/schedule/WeeklyCycle.conf", include_str!("dir/schedule-weekly.conf")),
    ("bareos-dir.d/schedule/WeeklyCycleAfterBackup.conf", include_str!("dir/schedule-after.conf")),
    ("bareos-dir.d/storage/File.conf", include_str!("dir/storage.conf")),
    ("bareos-sd.d/storage/bareos-sd.conf", include_str!("sd/storage.conf")),
    ("bareos-sd.d/director/bareos-dir.conf", include_str!("sd/director.conf")),
    ("bareos-sd.d/device/FileStorage.conf", include_str!("sd/device.conf")),
    ("bareos-sd.d/messages/Standard.conf", include_str!("sd/messages.conf")),
    ("bareos-fd.d/client/myself.conf", include_str!("fd/client.conf")),
    ("bareos-fd.d/director/bareos-dir.conf", include_str!("fd/director.conf")),
    ("bareos-fd.d/messages/Standard.conf", include_str!("fd/messages.conf")),
    ("bconsole.conf", include_str!("bconsole.conf")),
];

/// Values substituted into the templates.
pub struct Values {
    pub home: String,
    pub dir_password: String,
    pub fd_password: String,
    pub sd_password: String,
    pub mon_password: String,
    pub admin_password: String,
    pub dir_port: u16,
    pub fd_port: u16,
    pub sd_port: u16,
}

/// Fill one template.
pub fn render(template: &str, v: &Values) -> String {
    template
        .replace("@HOME@", &v.home)
        .replace("@DIR_PASSWORD@", &v.dir_password)
        .replace("@FD_PASSWORD@", &v.fd_password)
        .replace("@SD_PASSWORD@", &v.sd_password)
        .replace("@MON_PASSWORD@", &v.mon_password)
        .replace("@ADMIN_PASSWORD@", &v.admin_password)
        .replace("@DIR_PORT@", &v.dir_port.to_string())
        .replace("@FD_PORT@", &v.fd_port.to_string())
        .replace("@SD_PORT@", &v.sd_port.to_string())
}

/// Write the configuration under `<home>/etc` (only files that do not exist yet).
pub fn write_config(home: &Path, v: &Values) -> std::io::Result<()> {
    let etc = home.join("etc");
    for (rel, template) in FILES {
        let path = etc.join(rel);
        if path.exists() {
            continue;
        }
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, render(template, v))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    // The private CA and the daemons' certificates the TLS directives point at.
    crate::pki::write_home_pki(&etc.join("tls"), &[("dir", "bareos-dir"), ("sd", "bareos-sd"), ("fd", "bareos-fd")])?;
    for d in ["var", "var/storage", "var/log", "var/restores"] {
        std::fs::create_dir_all(home.join(d))?;
    }
    Ok(())
}
