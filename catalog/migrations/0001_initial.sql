-- Cairn catalog, schema 2250 (Bareos-compatible column names).
-- SQLite dialect: surrogate keys are INTEGER PRIMARY KEY AUTOINCREMENT,
-- timestamps are TEXT 'YYYY-MM-DD HH:MM:SS' (local time), JobTDate is Unix seconds.
-- Applied once, inside a transaction, by cairn-catalog's migration runner.

CREATE TABLE Path (
    PathId            INTEGER PRIMARY KEY AUTOINCREMENT,
    Path              TEXT    NOT NULL
);
CREATE UNIQUE INDEX path_name_idx ON Path (Path);

-- FileIndex 0 marks a deleted file (accurate / virtual full); Name '' is a directory entry.
CREATE TABLE File (
    FileId            INTEGER PRIMARY KEY AUTOINCREMENT,
    FileIndex         INTEGER NOT NULL DEFAULT 0,
    JobId             INTEGER NOT NULL,
    PathId            INTEGER NOT NULL,
    DeltaSeq          INTEGER NOT NULL DEFAULT 0,
    MarkId            INTEGER NOT NULL DEFAULT 0,
    Fhinfo            INTEGER NOT NULL DEFAULT 0,
    Fhnode            INTEGER NOT NULL DEFAULT 0,
    LStat             TEXT    NOT NULL,
    Md5               TEXT    NOT NULL,
    Name              TEXT    NOT NULL
);
CREATE INDEX file_jpfid_idx ON File (JobId, PathId, Name);
CREATE INDEX file_pjidpart_idx ON File (PathId, JobId) WHERE FileIndex = 0 AND Name = '';

CREATE TABLE RestoreObject (
    RestoreObjectId   INTEGER PRIMARY KEY AUTOINCREMENT,
    ObjectName        TEXT    NOT NULL,
    RestoreObject     BLOB    NOT NULL,
    PluginName        TEXT    NOT NULL,
    ObjectLength      INTEGER DEFAULT 0,
    ObjectFullLength  INTEGER DEFAULT 0,
    ObjectIndex       INTEGER DEFAULT 0,
    ObjectType        INTEGER DEFAULT 0,
    FileIndex         INTEGER DEFAULT 0,
    JobId             INTEGER,
    ObjectCompression INTEGER DEFAULT 0
);
CREATE INDEX restore_jobid_idx ON RestoreObject (JobId);

CREATE TABLE Job (
    JobId             INTEGER PRIMARY KEY AUTOINCREMENT,
    Job               TEXT    NOT NULL,
    Name              TEXT    NOT NULL,
    Type              CHAR(1) NOT NULL,
    Level             CHAR(1) NOT NULL,
    ClientId          INTEGER DEFAULT 0,
    JobStatus         CHAR(1) NOT NULL,
    SchedTime         TEXT,
    StartTime         TEXT,
    EndTime           TEXT,
    RealEndTime       TEXT,
    JobTDate          INTEGER DEFAULT 0,
    VolSessionId      INTEGER DEFAULT 0,
    VolSessionTime    INTEGER DEFAULT 0,
    JobFiles          INTEGER DEFAULT 0,
    JobBytes          INTEGER DEFAULT 0,
    ReadBytes         INTEGER DEFAULT 0,
    JobErrors         INTEGER DEFAULT 0,
    JobMissingFiles   INTEGER DEFAULT 0,
    PoolId            INTEGER DEFAULT 0,
    FileSetId         INTEGER DEFAULT 0,
    PriorJobId        INTEGER DEFAULT 0,
    PurgedFiles       INTEGER DEFAULT 0,
    HasBase           INTEGER DEFAULT 0,
    HasCache          INTEGER DEFAULT 0,
    Reviewed          INTEGER DEFAULT 0,
    Comment           TEXT
);
CREATE INDEX job_name_idx ON Job (Name);

-- Long-term job history: same columns as Job (filled by `update stats`).
CREATE TABLE JobHisto (
    JobId             INTEGER NOT NULL,
    Job               TEXT    NOT NULL,
    Name              TEXT    NOT NULL,
    Type              CHAR(1) NOT NULL,
    Level             CHAR(1) NOT NULL,
    ClientId          INTEGER DEFAULT 0,
    JobStatus         CHAR(1) NOT NULL,
    SchedTime         TEXT,
    StartTime         TEXT,
    EndTime           TEXT,
    RealEndTime       TEXT,
    JobTDate          INTEGER DEFAULT 0,
    VolSessionId      INTEGER DEFAULT 0,
    VolSessionTime    INTEGER DEFAULT 0,
    JobFiles          INTEGER DEFAULT 0,
    JobBytes          INTEGER DEFAULT 0,
    ReadBytes         INTEGER DEFAULT 0,
    JobErrors         INTEGER DEFAULT 0,
    JobMissingFiles   INTEGER DEFAULT 0,
    PoolId            INTEGER DEFAULT 0,
    FileSetId         INTEGER DEFAULT 0,
    PriorJobId        INTEGER DEFAULT 0,
    PurgedFiles       INTEGER DEFAULT 0,
    HasBase           INTEGER DEFAULT 0,
    HasCache          INTEGER DEFAULT 0,
    Reviewed          INTEGER DEFAULT 0,
    Comment           TEXT
);
CREATE INDEX jobhisto_idx ON JobHisto (StartTime);

CREATE TABLE Location (
    LocationId        INTEGER PRIMARY KEY AUTOINCREMENT,
    Location          TEXT    NOT NULL,
    Cost              INTEGER DEFAULT 0,
    Enabled           INTEGER
);

CREATE TABLE FileSet (
    FileSetId         INTEGER PRIMARY KEY AUTOINCREMENT,
    FileSet           TEXT    NOT NULL,
    FileSetText       TEXT    DEFAULT '',
    Md5               TEXT    NOT NULL,
    CreateTime        TEXT    NOT NULL
);
CREATE INDEX fileset_name_idx ON FileSet (FileSet);

CREATE TABLE JobMedia (
    JobMediaId        INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId             INTEGER NOT NULL,
    MediaId           INTEGER NOT NULL,
    FirstIndex        INTEGER DEFAULT 0,
    LastIndex         INTEGER DEFAULT 0,
    StartFile         INTEGER DEFAULT 0,
    EndFile           INTEGER DEFAULT 0,
    StartBlock        INTEGER DEFAULT 0,
    EndBlock          INTEGER DEFAULT 0,
    JobBytes          INTEGER DEFAULT 0,
    VolIndex          INTEGER DEFAULT 0
);
CREATE INDEX job_media_job_id_media_id_idx ON JobMedia (JobId, MediaId);
CREATE INDEX job_media_media_id_job_id_idx ON JobMedia (MediaId, JobId);

CREATE TABLE Media (
    MediaId           INTEGER PRIMARY KEY AUTOINCREMENT,
    VolumeName        TEXT    NOT NULL,
    Slot              INTEGER DEFAULT 0,
    PoolId            INTEGER DEFAULT 0,
    MediaType         TEXT    NOT NULL,
    MediaTypeId       INTEGER DEFAULT 0,
    LabelType         INTEGER DEFAULT 0,
    FirstWritten      TEXT,
    LastWritten       TEXT,
    LabelDate         TEXT,
    VolJobs           INTEGER DEFAULT 0,
    VolFiles          INTEGER DEFAULT 0,
    VolBlocks         INTEGER DEFAULT 0,
    VolMounts         INTEGER DEFAULT 0,
    VolBytes          INTEGER DEFAULT 0,
    VolErrors         INTEGER DEFAULT 0,
    VolWrites         INTEGER DEFAULT 0,
    VolCapacityBytes  INTEGER DEFAULT 0,
    VolStatus         TEXT    NOT NULL
        CHECK (VolStatus IN ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                             'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                             'Scratch')),
    Enabled           INTEGER DEFAULT 1,
    Recycle           INTEGER DEFAULT 0,
    ActionOnPurge     INTEGER DEFAULT 0,
    VolRetention      INTEGER DEFAULT 0,
    VolUseDuration    INTEGER DEFAULT 0,
    MaxVolJobs        INTEGER DEFAULT 0,
    MaxVolFiles       INTEGER DEFAULT 0,
    MaxVolBytes       INTEGER DEFAULT 0,
    InChanger         INTEGER DEFAULT 0,
    StorageId         INTEGER DEFAULT 0,
    DeviceId          INTEGER DEFAULT 0,
    MediaAddressing   INTEGER DEFAULT 0,
    VolReadTime       INTEGER DEFAULT 0,
    VolWriteTime      INTEGER DEFAULT 0,
    EndFile           INTEGER DEFAULT 0,
    EndBlock          INTEGER DEFAULT 0,
    LocationId        INTEGER DEFAULT 0,
    RecycleCount      INTEGER DEFAULT 0,
    MinBlockSize      INTEGER DEFAULT 0,
    MaxBlockSize      INTEGER DEFAULT 0,
    InitialWrite      TEXT,
    ScratchPoolId     INTEGER DEFAULT 0,
    RecyclePoolId     INTEGER DEFAULT 0,
    EncryptionKey     TEXT,
    Comment           TEXT
);
CREATE UNIQUE INDEX media_volumename_id ON Media (VolumeName);
CREATE INDEX media_poolid_idx ON Media (PoolId);

CREATE TABLE MediaType (
    MediaTypeId       INTEGER PRIMARY KEY AUTOINCREMENT,
    MediaType         TEXT    NOT NULL,
    ReadOnly          INTEGER DEFAULT 0
);

CREATE TABLE Storage (
    StorageId         INTEGER PRIMARY KEY AUTOINCREMENT,
    Name              TEXT    NOT NULL,
    AutoChanger       INTEGER DEFAULT 0
);

CREATE TABLE Device (
    DeviceId                   INTEGER PRIMARY KEY AUTOINCREMENT,
    Name                       TEXT    NOT NULL,
    MediaTypeId                INTEGER NOT NULL,
    StorageId                  INTEGER NOT NULL,
    DevMounts                  INTEGER NOT NULL DEFAULT 0,
    DevReadBytes               INTEGER NOT NULL DEFAULT 0,
    DevWriteBytes              INTEGER NOT NULL DEFAULT 0,
    DevReadBytesSinceCleaning  INTEGER NOT NULL DEFAULT 0,
    DevWriteBytesSinceCleaning INTEGER NOT NULL DEFAULT 0,
    DevReadTime                INTEGER NOT NULL DEFAULT 0,
    DevWriteTime               INTEGER NOT NULL DEFAULT 0,
    DevReadTimeSinceCleaning   INTEGER NOT NULL DEFAULT 0,
    DevWriteTimeSinceCleaning  INTEGER NOT NULL DEFAULT 0,
    CleaningDate               TEXT,
    CleaningPeriod             INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE Pool (
    PoolId             INTEGER PRIMARY KEY AUTOINCREMENT,
    Name               TEXT    NOT NULL,
    NumVols            INTEGER DEFAULT 0,
    MaxVols            INTEGER DEFAULT 0,
    UseOnce            INTEGER DEFAULT 0,
    UseCatalog         INTEGER DEFAULT 0,
    AcceptAnyVolume    INTEGER DEFAULT 0,
    VolRetention       INTEGER DEFAULT 0,
    VolUseDuration     INTEGER DEFAULT 0,
    MaxVolJobs         INTEGER DEFAULT 0,
    MaxVolFiles        INTEGER DEFAULT 0,
    MaxVolBytes        INTEGER DEFAULT 0,
    AutoPrune          INTEGER DEFAULT 0,
    Recycle            INTEGER DEFAULT 0,
    ActionOnPurge      INTEGER DEFAULT 0,
    PoolType           TEXT
        CHECK (PoolType IN ('Backup', 'Copy', 'Cloned', 'Archive', 'Migration', 'Scratch')),
    LabelType          INTEGER DEFAULT 0,
    LabelFormat        TEXT    NOT NULL,
    Enabled            INTEGER DEFAULT 1,
    ScratchPoolId      INTEGER DEFAULT 0,
    RecyclePoolId      INTEGER DEFAULT 0,
    NextPoolId         INTEGER DEFAULT 0,
    MinBlockSize       INTEGER DEFAULT 0,
    MaxBlockSize       INTEGER DEFAULT 0,
    MigrationHighBytes INTEGER DEFAULT 0,
    MigrationLowBytes  INTEGER DEFAULT 0,
    MigrationTime      INTEGER DEFAULT 0
);
CREATE INDEX pool_name_idx ON Pool (Name);

CREATE TABLE Client (
    ClientId          INTEGER PRIMARY KEY AUTOINCREMENT,
    Name              TEXT    NOT NULL,
    UName             TEXT    NOT NULL,
    AutoPrune         INTEGER DEFAULT 0,
    FileRetention     INTEGER DEFAULT 0,
    JobRetention      INTEGER DEFAULT 0
);
CREATE UNIQUE INDEX client_name_idx ON Client (Name);

CREATE TABLE Log (
    LogId             INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId             INTEGER NOT NULL,
    Time              TEXT,
    LogText           TEXT    NOT NULL
);
CREATE INDEX log_name_idx ON Log (JobId);

CREATE TABLE LocationLog (
    LocLogId          INTEGER PRIMARY KEY AUTOINCREMENT,
    Date              TEXT,
    Comment           TEXT    NOT NULL,
    MediaId           INTEGER DEFAULT 0,
    LocationId        INTEGER DEFAULT 0,
    NewVolStatus      TEXT    NOT NULL
        CHECK (NewVolStatus IN ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                                'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                                'Scratch')),
    NewEnabled        INTEGER
);

CREATE TABLE Counters (
    Counter           TEXT    NOT NULL PRIMARY KEY,
    MinValue          INTEGER DEFAULT 0,
    MaxValue          INTEGER DEFAULT 0,
    CurrentValue      INTEGER DEFAULT 0,
    WrapCounter       TEXT    NOT NULL
);

CREATE TABLE BaseFiles (
    BaseId            INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId             INTEGER NOT NULL,
    FileId            INTEGER NOT NULL,
    FileIndex         INTEGER,
    BaseJobId         INTEGER
);
CREATE INDEX basefiles_jobid_idx ON BaseFiles (JobId);

CREATE TABLE PathHierarchy (
    PathId            INTEGER NOT NULL PRIMARY KEY,
    PPathId           INTEGER NOT NULL
);
CREATE INDEX pathhierarchy_ppathid ON PathHierarchy (PPathId);

CREATE TABLE PathVisibility (
    PathId            INTEGER NOT NULL,
    JobId             INTEGER NOT NULL,
    Size              INTEGER DEFAULT 0,
    Files             INTEGER DEFAULT 0,
    PRIMARY KEY (JobId, PathId)
);

CREATE TABLE Version (
    VersionId         INTEGER NOT NULL
);

CREATE TABLE Status (
    JobStatus         CHAR(1) NOT NULL PRIMARY KEY,
    JobStatusLong     TEXT,
    Severity          INTEGER
);

CREATE TABLE Quota (
    ClientId          INTEGER NOT NULL PRIMARY KEY,
    GraceTime         INTEGER DEFAULT 0,
    QuotaLimit        INTEGER DEFAULT 0
);

CREATE TABLE NDMPLevelMap (
    ClientId          INTEGER NOT NULL,
    FilesetId         INTEGER NOT NULL DEFAULT 0,
    FileSystem        TEXT    NOT NULL,
    DumpLevel         INTEGER NOT NULL,
    PRIMARY KEY (ClientId, FilesetId, FileSystem)
);

CREATE TABLE NDMPJobEnvironment (
    JobId             INTEGER NOT NULL,
    FileIndex         INTEGER NOT NULL,
    EnvName           TEXT    NOT NULL,
    EnvValue          TEXT    NOT NULL,
    PRIMARY KEY (JobId, FileIndex, EnvName)
);

CREATE TABLE DeviceStats (
    DeviceId          INTEGER DEFAULT 0,
    SampleTime        TEXT    NOT NULL,
    ReadTime          INTEGER NOT NULL DEFAULT 0,
    WriteTime         INTEGER NOT NULL DEFAULT 0,
    ReadBytes         INTEGER DEFAULT 0,
    WriteBytes        INTEGER DEFAULT 0,
    SpoolSize         INTEGER DEFAULT 0,
    NumWaiting        INTEGER DEFAULT 0,
    NumWriters        INTEGER DEFAULT 0,
    MediaId           INTEGER NOT NULL,
    VolCatBytes       INTEGER DEFAULT 0,
    VolCatFiles       INTEGER DEFAULT 0,
    VolCatBlocks      INTEGER DEFAULT 0
);

CREATE TABLE JobStats (
    DeviceId          INTEGER DEFAULT 0,
    SampleTime        TEXT    NOT NULL,
    JobId             INTEGER NOT NULL,
    JobFiles          INTEGER DEFAULT 0,
    JobBytes          INTEGER DEFAULT 0
);

CREATE TABLE TapeAlerts (
    DeviceId          INTEGER DEFAULT 0,
    SampleTime        TEXT    NOT NULL,
    AlertFlags        INTEGER DEFAULT 0
);

-- The 26 job status codes with the catalog's long texts and severities.
INSERT INTO Status (JobStatus, JobStatusLong, Severity) VALUES
    ('C', 'Created, not yet running', 15),
    ('R', 'Running', 15),
    ('B', 'Blocked', 15),
    ('T', 'Completed successfully', 10),
    ('E', 'Terminated with errors', 25),
    ('e', 'Non-fatal error', 20),
    ('f', 'Fatal error', 100),
    ('D', 'Verify found differences', 15),
    ('A', 'Canceled by user', 90),
    ('I', 'Incomplete job', 15),
    ('L', 'Committing data', 15),
    ('W', 'Terminated with warnings', 20),
    ('l', 'Doing data despooling', 15),
    ('q', 'Queued waiting for device', 15),
    ('F', 'Waiting for Client', 15),
    ('S', 'Waiting for Storage daemon', 15),
    ('m', 'Waiting for new media', 15),
    ('M', 'Waiting for media mount', 15),
    ('s', 'Waiting for storage resource', 15),
    ('j', 'Waiting for job resource', 15),
    ('c', 'Waiting for client resource', 15),
    ('d', 'Waiting on maximum jobs', 15),
    ('t', 'Waiting on start time', 15),
    ('p', 'Waiting on higher priority jobs', 15),
    ('a', 'SD despooling attributes', 15),
    ('i', 'Doing batch insert file records', 15);

INSERT INTO Version (VersionId) VALUES (2250);
