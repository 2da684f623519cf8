//! The console command table: one data row per command, in Bareos's table order
//! (prefix matching picks the first row whose name starts with the typed word, so
//! the order is part of the interface: `l` = `label`, `li` = `list`, `s` = `status`).
//! `help`, `.help`, completion and the Command ACL all read this table.

/// Which handler runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmdId {
    Noop,
    DotActionOnPurge,
    DotApi,
    DotAuthorized,
    DotCatalogs,
    DotClients,
    DotConsoles,
    DotUsers,
    DotDefaults,
    DotFilesets,
    DotHelp,
    DotJobdefs,
    DotJobs,
    DotJobstatus,
    DotLevels,
    DotLocations,
    DotMessages,
    DotMedia,
    DotMediatypes,
    DotMsgs,
    DotPools,
    DotProfiles,
    Quit,
    DotSql,
    DotSchedule,
    DotStatus,
    DotStorages,
    DotTypes,
    DotVolstatus,
    BvfsLsdirs,
    BvfsLsfiles,
    BvfsUpdate,
    BvfsGetJobids,
    BvfsVersions,
    BvfsRestore,
    BvfsCleanup,
    BvfsClearCache,
    Autodisplay,
    Gui,
    Help,
    List,
    Llist,
    Messages,
    Reload,
    Show,
    Status,
    Time,
    Version,
    Whoami,
    Run,
    Wait,
    Cancel,
    Restore,
    Label,
    Update,
    Estimate,
    Enable,
    Disable,
    Rerun,
    Setdebug,
    DotEvents,
    /// Known Bareos command that a later Cairn milestone implements.
    NotYet,
}

/// One command-table row.
#[derive(Debug, Clone, Copy)]
pub struct CommandDef {
    pub name: &'static str,
    pub help: &'static str,
    pub usage: &'static str,
    /// May be used in `RunScript { Console = ... }`.
    pub in_runscript: bool,
    /// Logged when Director `Auditing = yes`.
    pub audit: bool,
    pub id: CmdId,
}

const fn c(
    name: &'static str,
    id: CmdId,
    help: &'static str,
    usage: &'static str,
    in_runscript: bool,
    audit: bool,
) -> CommandDef {
    CommandDef { name, help, usage, in_runscript, audit, id }
}

use CmdId::*;

const LIST_USAGE: &str = "basefiles jobid=<jobid> | backups client=<client-name> [fileset=<fileset-name>] \
[jobstatus=<status>] [level=<level>] [order=<asc|desc>] [limit=<number>] [days=<number>] [hours=<number>] | \
client=<client-name> | clients | copies jobid=<jobid> | files jobid=<jobid> | filesets | \
fileset [filesetid=<filesetid>] | jobs [job=<job-name>] [client=<client-name>] [jobstatus=<status>] \
[jobtype=<type>] [joblevel=<level>] [volume=<volume-name>] [pool=<pool-name>] [days=<number>] \
[hours=<number>] [last] [count] | job=<job-name> | jobid=<jobid> | ujobid=<complete_name> | \
joblog jobid=<jobid> [count] | jobmedia jobid=<jobid> | jobtotals | log [client=<client-name>] [reverse] | \
pools | pool=<pool-name> | poolid=<poolid> | storages | volumes [pool=<pool-name>] [jobid=<jobid>] [all] [count] | \
volume=<volume-name> | mediaid=<mediaid> | nextvol job=<job-name> [days=<number>] | \
[limit=<number> [offset=<number>]]";

/// The table, in Bareos's order.
pub const COMMANDS: &[CommandDef] = &[
    c(".", Noop, "no op", "", true, false),
    c(".actiononpurge", DotActionOnPurge, "List possible actions on purge", "", true, false),
    c(".api", DotApi, "Switch between different api modes", "[ 0 | 1 | 2 | off | on | json ] [compact=<yes|no>]", false, false),
    c(".authorized", DotAuthorized, "Check for authorization", "job=<job-name> | client=<client-name> | storage=<storage-name> | schedule=<schedule-name> | pool=<pool-name> | cmd=<command> | fileset=<fileset-name> | catalog=<catalog>", false, false),
    c(".catalogs", DotCatalogs, "List all catalog resources", "", false, false),
    c(".clients", DotClients, "List all client resources", "[enabled | disabled]", true, false),
    c(".consoles", DotConsoles, "List all console resources", "", true, false),
    c(".users", DotUsers, "List all user resources", "", true, false),
    c(".defaults", DotDefaults, "Get default settings", "job=<job-name> | client=<client-name> | storage=<storage-name> | pool=<pool-name>", false, false),
    c(".filesets", DotFilesets, "List all filesets", "", false, false),
    c(".help", DotHelp, "Print parsable information about a command", "[ all ] [ item=cmd ] [ full ]", false, false),
    c(".jobdefs", DotJobdefs, "List all job defaults resources", "", true, false),
    c(".jobs", DotJobs, "List all job resources", "[type=<jobtype>] | [enabled | disabled]", true, false),
    c(".jobstatus", DotJobstatus, "List jobstatus information", "[ =<jobstatus> ]", true, false),
    c(".levels", DotLevels, "List all backup levels", "", false, false),
    c(".locations", DotLocations, "List all locations", "", true, false),
    c(".messages", DotMessages, "Display pending messages", "", false, false),
    c(".media", DotMedia, "List all medias", "", true, false),
    c(".mediatypes", DotMediatypes, "List all media types", "", true, false),
    c(".msgs", DotMsgs, "List all message resources", "", false, false),
    c(".pools", DotPools, "List all pool resources", "type=<pooltype>", true, false),
    c(".profiles", DotProfiles, "List all profile resources", "", true, false),
    c(".quit", Quit, "Close connection", "", false, false),
    c(".events", DotEvents, "Stream job, job log and trace events as JSON (Cairn)", "[jobid=<jobid>] [joblog=yes|no] [trace=yes|no]", false, false),
    c(".sql", DotSql, "Send an arbitrary SQL command", "query=<sqlquery>", false, true),
    c(".schedule", DotSchedule, "List all schedule resources", "[enabled | disabled]", false, false),
    c(".status", DotStatus, "Report status", "dir ( current | last | header | scheduled | running | terminated ) | storage=<storage> [ header | waitreservation | devices | volumes | spooling | running | terminated ] | client=<client> [ header | terminated | running ]", false, true),
    c(".storages", DotStorages, "List all storage resources", "[enabled | disabled]", true, false),
    c(".types", DotTypes, "List all job types", "", false, false),
    c(".volstatus", DotVolstatus, "List all volume status", "", true, false),
    c(".bvfs_lsdirs", BvfsLsdirs, "List directories using BVFS", "jobid=<jobid> path=<path> | pathid=<pathid> [limit=<limit>] [offset=<offset>]", true, true),
    c(".bvfs_lsfiles", BvfsLsfiles, "List files using BVFS", "jobid=<jobid> path=<path> | pathid=<pathid> [limit=<limit>] [offset=<offset>]", true, true),
    c(".bvfs_update", BvfsUpdate, "Update BVFS cache", "[jobid=<jobid>]", true, true),
    c(".bvfs_get_jobids", BvfsGetJobids, "Get jobids required for a restore", "jobid=<jobid> | ujobid=<unique-jobid> [all]", true, true),
    c(".bvfs_versions", BvfsVersions, "List versions of a file", "jobid=0 client=<client-name> pathid=<path-id> filename=<file-name> [copies] [versions]", true, true),
    c(".bvfs_restore", BvfsRestore, "Mark BVFS files/directories for restore. Stored in handle.", "path=<handle> jobid=<jobid> [fileid=<file-id>] [dirid=<dirid>] [hardlink=<hardlink>]", true, true),
    c(".bvfs_cleanup", BvfsCleanup, "Cleanup BVFS cache for a certain handle", "path=<handle>", true, true),
    c(".bvfs_clear_cache", BvfsClearCache, "Clear BVFS cache", "yes", false, true),
    c("add", NotYet, "Add media to a pool", "pool=<pool-name> storage=<storage-name> jobid=<jobid>", false, true),
    c("autodisplay", Autodisplay, "Autodisplay console messages", "on | off", false, false),
    c("automount", NotYet, "Automount after label", "on | off", false, true),
    c("cancel", Cancel, "Cancel a job", "storage=<storage-name> | jobid=<jobid> | job=<job-name> | ujobid=<unique-jobid> | state=<job_state> | all yes", false, true),
    c("configure", NotYet, "Configure director resources", "add <resourcetype> name=<name> <directive>=<value> ... | export client=<client-name>", false, true),
    c("create", NotYet, "Create DB Pool from resource", "pool=<pool-name>", false, true),
    c("delete", NotYet, "Delete volume, pool or job", "[volume=<vol-name> [yes] | volume pool=<pool-name> [yes] | storage storage=<storage-name> | pool=<pool-name> | jobid=<jobid> | jobid=<jobid1,jobid2,...> | jobid=<jobid1-jobid9>]", true, true),
    c("disable", Disable, "Disable a job/client/schedule", "job=<job-name> client=<client-name> schedule=<schedule-name>", true, true),
    c("enable", Enable, "Enable a job/client/schedule", "job=<job-name> client=<client-name> schedule=<schedule-name>", true, true),
    c("estimate", Estimate, "Performs FileSet estimate, listing gives full listing", "fileset=<fileset-name> client=<client-name> level=<level> accurate=<yes/no> job=<job-name> listing", true, true),
    c("exit", Quit, "Terminate Bconsole session", "", false, false),
    c("export", NotYet, "Export volumes from normal slots to import/export slots", "storage=<storage-name> srcslots=<slot-selection> [ dstslots=<slot-selection> volume=<volume-name> scan ]", true, true),
    c("gui", Gui, "Switch between interactive (gui off) and non-interactive (gui on) mode", "on | off", false, false),
    c("help", Help, "Print help on specific command", "add autodisplay automount cancel configure create delete disable enable estimate exit gui label list llist messages memory mount prune purge quit query restore relabel release reload run status setbandwidth setdebug setip show sqlquery time trace truncate unmount umount update use var version wait", false, false),
    c("import", NotYet, "Import volumes from import/export slots to normal slots", "storage=<storage-name> [ srcslots=<slot-selection> dstslots=<slot-selection> volume=<volume-name> scan ]", true, true),
    c("label", Label, "Label a tape", "storage=<storage-name> volume=<volume-name> pool=<pool-name> slot=<slot> [ drive = <drivenum>] [ barcodes ] [ encrypt ] [ yes ]", false, true),
    c("list", List, "List objects from catalog", LIST_USAGE, true, true),
    c("llist", Llist, "Full or long list like list command", LIST_USAGE, true, true),
    c("messages", Messages, "Display pending messages", "", false, false),
    c("memory", NotYet, "Print current memory usage", "", true, false),
    c("mount", NotYet, "Mount storage", "storage=<storage-name> slot=<num> drive=<drivenum> jobid=<jobid> | job=<job-name> | ujobid=<complete_name>", false, true),
    c("move", NotYet, "Move slots in an autochanger", "storage=<storage-name> srcslots=<slot-selection> dstslots=<slot-selection>", true, true),
    c("prune", NotYet, "Prune records from catalog", "files [client=<client>] [pool=<pool>] [yes] | jobs [client=<client>] [pool=<pool>] [yes] | volume [all] [=volume] [pool=<pool>] [yes] | stats [yes] | directory [=directory] [client=<client>] [recursive] [yes]", true, true),
    c("purge", NotYet, "Purge records from catalog", "[files [job=<job> | jobid=<jobid> | client=<client> | volume=<volume>]] | [jobs [client=<client> | volume=<volume>] | pool=<pool>] [jobstatus=<status>]] | [volume[=<volume>] [storage=<storage>] [pool=<pool> | allpools] [devicetype=<type>] [drive=<drivenum>] [action=<action>]] | [quota [client=<client>]]", true, true),
    c("quit", Quit, "Terminate Bconsole session", "", false, false),
    c("query", NotYet, "Query catalog", "", false, true),
    c("restore", Restore, "Restore files", "where=</path> client=<client-name> storage=<storage-name> bootstrap=<file> restorejob=<job-name> comment=<text> jobid=<jobid> fileset=<fileset-name> replace=<always|never|ifolder|ifnewer> pluginoptions=<plugin-options-string> regexwhere=<regex> fileregex=<regex> restoreclient=<client-name> backupformat=<format> pool=<pool-name> file=<filename> directory=<directory> before=<date> strip_prefix=<prefix> add_prefix=<prefix> add_suffix=<suffix> select=<date> select before current copies done all archive", false, true),
    c("relabel", NotYet, "Relabel a tape", "storage=<storage-name> oldvolume=<old-volume-name> volume=<new-volume-name> pool=<pool-name> [ encrypt ]", false, true),
    c("release", NotYet, "Release storage", "storage=<storage-name> [ drive=<drivenum> ] [ alldrives ]", true, true),
    c("reload", Reload, "Reload conf file", "", true, true),
    c("rerun", Rerun, "Rerun a job", "jobid=<jobid> | since_jobid=<jobid> [ until_jobid=<jobid> ] | days=<nr_days> | hours=<nr_hours> | yes", false, true),
    c("resolve", NotYet, "Resolve a hostname", "client=<client-name> | storage=<storage-name> <host-name>", false, true),
    c("run", Run, "Run a job", "job=<job-name> client=<client-name> fileset=<fileset-name> level=<level> storage=<storage-name> where=<directory-prefix> when=<universal-time-specification> pool=<pool-name> pluginoptions=<plugin-options-string> accurate=<yes|no> comment=<text> spooldata=<yes|no> priority=<number> jobid=<jobid> catalog=<catalog> migrationjob=<job-name> backupclient=<client-name> backupformat=<format> nextpool=<pool-name> since=<universal-time-specification> verifyjob=<job-name> verifylist=<verify-list> migrationjob=<complete_name> yes", false, true),
    c("status", Status, "Report status", "all | dir=<dir-name> | director | scheduler | schedule=<schedule-name> | client=<client-name> | storage=<storage-name> slots | days=<nr_days> | job=<job-name> | subscriptions [clients] [plugins] [all] [anonymize] [client=<client-name>] | configuration", true, true),
    c("setbandwidth", NotYet, "Sets bandwidth", "[ client=<client-name> | storage=<storage-name> | jobid=<jobid> | job=<job-name> | ujobid=<unique-jobid> state=<job_state> | all ] limit=<nn-kbs> [ yes ]", true, true),
    c("setdebug", Setdebug, "Sets debug level", "level=<nn> trace=0/1 timestamp=0/1 client=<client-name> | dir | storage=<storage-name> | all", true, true),
    c("setdevice", NotYet, "Sets device parameter", "storage=<storage-name> device=<device-name> autoselect=<bool>", true, true),
    c("setip", NotYet, "Sets new client address -- if authorized", "", false, true),
    c("show", Show, "Show resource records", "catalog=<catalog-name> | client=<client-name> | console=<console-name> | director=<director-name> | fileset=<fileset-name> | jobdefs=<job-defaults> | job=<job-name> | message=<message-resource-name> | pool=<pool-name> | profile=<profile-name> | schedule=<schedule-name> | storage=<storage-name> | catalog | clients | consoles | director | filesets | jobdefs | jobs | messages | pools | profiles | schedules | storages | disabled [ clients | jobs | schedules ] | all [verbose]", true, true),
    c("sqlquery", NotYet, "Use SQL to query catalog", "", false, true),
    c("time", Time, "Print current time", "", true, false),
    c("trace", NotYet, "Turn on/off trace to file", "on | off", true, true),
    c("truncate", NotYet, "Truncate purged volumes", "volstatus=Purged [storage=<storage>] [pool=<pool>] [volume=<volume>] [drive=<drivenum>] [yes]", true, true),
    c("unmount", NotYet, "Unmount storage", "storage=<storage-name> [ drive=<drivenum> ] jobid=<jobid> | job=<job-name> | ujobid=<complete_name>", false, true),
    c("umount", NotYet, "Umount - for old-time Unix guys, see unmount", "storage=<storage-name> [ drive=<drivenum> ] jobid=<jobid> | job=<job-name> | ujobid=<complete_name>", false, true),
    c("update", Update, "Update volume, pool, slots, job or statistics", "[volume=<volume-name> [volstatus=<status>] [volretention=<time-def>] [actiononpurge=<action>] [pool=<pool-name>] [recycle=<yes/no>] [slot=<number>] [inchanger=<yes/no>]] | [pool=<pool-name> [maxvolbytes=<size>] [maxvolfiles=<nb>] [maxvoljobs=<nb>] [enabled=<yes/no>] [recyclepool=<pool-name>] [actiononpurge=<action>]] | slots [storage=<storage-name>] [scan] | jobid=<jobid> [jobname=<name>] [starttime=<time-def>] [client=<client-name>] [filesetid=<fileset-id>] [jobtype=<job-type>] | stats [days=<number>]", true, true),
    c("use", NotYet, "Use specific catalog", "catalog=<catalog>", false, true),
    c("var", NotYet, "Does variable expansion", "", false, true),
    c("version", Version, "Print Director version", "", true, false),
    c("wait", Wait, "Wait until no jobs are running", "jobname=<name> | jobid=<jobid> | ujobid=<complete_name> | mount [timeout=<number>]", false, false),
    c("whoami", Whoami, "Print the user name associated with this console", "", true, false),
];

/// Find the command a typed word means: the first row (in table order) whose name
/// starts with the word, case-insensitively.
pub fn lookup(word: &str) -> Option<&'static CommandDef> {
    if word.is_empty() {
        return None;
    }
    let w = word.to_ascii_lowercase();
    COMMANDS.iter().find(|c| c.name.starts_with(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matching_follows_table_order() {
        let name = |w: &str| lookup(w).map(|c| c.name);
        assert_eq!(name("s"), Some("status"));
        assert_eq!(name("l"), Some("label"));
        assert_eq!(name("li"), Some("list"));
        assert_eq!(name("ll"), Some("llist"));
        assert_eq!(name("re"), Some("restore"));
        assert_eq!(name(".st"), Some(".status"));
        assert_eq!(name(".pool"), Some(".pools"));
        assert_eq!(name(".client"), Some(".clients"));
        assert_eq!(name("u"), Some("unmount"));
        assert_eq!(name("e"), Some("enable"));
        assert_eq!(name("VERSION"), Some("version"));
        assert_eq!(name("nosuch"), None);
        assert_eq!(name(""), None);
    }

    #[test]
    fn table_has_the_bareos_command_set() {
        let plain = COMMANDS.iter().filter(|c| !c.name.starts_with('.')).count();
        let dots = COMMANDS.iter().filter(|c| c.name.starts_with('.')).count();
        assert_eq!(plain, 51);
        // Bareos's 37 dot commands plus Cairn's `.events`.
        assert_eq!(dots, 38);
        assert!(COMMANDS.iter().any(|c| c.name == ".events"));
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len(), "duplicate command names");
    }
}
