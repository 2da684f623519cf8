//! Volume and session labels and their payload encoding.
//!
//! A label payload is UTF-8 text: the line `cairn-label 1`, then one `key=value` line
//! per field (`\` and newline in values are escaped as `\\` and `\n`). Readers ignore
//! keys they do not know, so a field can be added without a new format version;
//! removing or changing the meaning of a key needs one.

use cairn_types::{JobId, JobLevel, JobStatus, JobType};

use crate::format::{CURRENT_FORMAT_VERSION, LABEL_MAX_LEN_V1, LABEL_TEXT_MAGIC_V1};

/// Identifies one job's data on a volume: Bareos's VolSessionId / VolSessionTime pair
/// (a per-storage-daemon counter and the storage daemon's start time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SessionKey {
    /// VolSessionId.
    pub id: u32,
    /// VolSessionTime.
    pub time: u32,
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.id, self.time)
    }
}

/// The volume label: the first record of every volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeLabel {
    pub volume_name: String,
    pub pool_name: String,
    /// Pool type (`Backup`, `Archive`, `Scratch`, ...).
    pub pool_type: String,
    pub media_type: String,
    /// When the volume was labelled, seconds since the Unix epoch.
    pub label_time: i64,
    /// The program that wrote the label, `Cairn x.y.z`. Set by
    /// [`crate::VolumeWriter::create`].
    pub writer: String,
    /// The format version of the volume. Set by [`crate::VolumeWriter::create`].
    pub format_version: u16,
}

impl VolumeLabel {
    /// A label for this Cairn version and format version.
    pub fn new(
        volume_name: impl Into<String>,
        pool_name: impl Into<String>,
        pool_type: impl Into<String>,
        media_type: impl Into<String>,
        label_time: i64,
    ) -> Self {
        VolumeLabel {
            volume_name: volume_name.into(),
            pool_name: pool_name.into(),
            pool_type: pool_type.into(),
            media_type: media_type.into(),
            label_time,
            writer: writer_program(),
            format_version: CURRENT_FORMAT_VERSION,
        }
    }
}

/// `Cairn x.y.z`.
pub fn writer_program() -> String {
    format!("Cairn {}", cairn_types::CAIRN_VERSION)
}

/// The start-of-session label a job writes before its first record on a volume (also
/// on each further volume the job continues on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLabel {
    pub session: SessionKey,
    pub job_id: JobId,
    /// The unique job name (`backup-client.2026-01-02_03.04.05_06`).
    pub job: String,
    /// The Job resource name.
    pub job_name: String,
    pub client: String,
    pub fileset: String,
    pub pool_name: String,
    pub level: JobLevel,
    pub job_type: JobType,
    /// Seconds since the Unix epoch.
    pub start_time: i64,
}

/// The end-of-session label a job writes after its last record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEndLabel {
    pub job_id: JobId,
    /// Seconds since the Unix epoch.
    pub end_time: i64,
    /// Files the job wrote (JobFiles).
    pub files: u64,
    /// Bytes the job wrote (JobBytes).
    pub bytes: u64,
    /// Errors the job counted (JobErrors).
    pub errors: u64,
    pub status: JobStatus,
}

/// A decoded label, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Label {
    Volume(VolumeLabel, u32),
    SessionStart(SessionLabel),
    SessionEnd(SessionEndLabel),
}

struct Enc(String);

impl Enc {
    fn new(kind: &str) -> Self {
        let mut e = Enc(String::with_capacity(256));
        e.0.push_str(LABEL_TEXT_MAGIC_V1);
        e.0.push('\n');
        e.kv("kind", kind);
        e
    }
    fn kv(&mut self, key: &str, value: &str) {
        self.0.push_str(key);
        self.0.push('=');
        for c in value.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                c => self.0.push(c),
            }
        }
        self.0.push('\n');
    }
    fn num(&mut self, key: &str, value: impl std::fmt::Display) {
        self.kv(key, &value.to_string());
    }
    fn finish(self) -> Result<Vec<u8>, usize> {
        if self.0.len() > LABEL_MAX_LEN_V1 {
            Err(self.0.len())
        } else {
            Ok(self.0.into_bytes())
        }
    }
}

pub(crate) fn encode_volume(l: &VolumeLabel, block_size: u32) -> Result<Vec<u8>, usize> {
    let mut e = Enc::new("volume");
    e.kv("volume", &l.volume_name);
    e.kv("pool", &l.pool_name);
    e.kv("pool_type", &l.pool_type);
    e.kv("media_type", &l.media_type);
    e.num("label_time", l.label_time);
    e.kv("writer", &l.writer);
    e.num("format", l.format_version);
    e.num("block_size", block_size);
    e.finish()
}

pub(crate) fn encode_session(l: &SessionLabel) -> Result<Vec<u8>, usize> {
    let mut e = Enc::new("session_start");
    e.num("session_id", l.session.id);
    e.num("session_time", l.session.time);
    e.num("job_id", l.job_id);
    e.kv("job", &l.job);
    e.kv("job_name", &l.job_name);
    e.kv("client", &l.client);
    e.kv("fileset", &l.fileset);
    e.kv("pool", &l.pool_name);
    e.kv("level", &l.level.code().to_string());
    e.kv("type", &l.job_type.code().to_string());
    e.num("start_time", l.start_time);
    e.finish()
}

pub(crate) fn encode_session_end(
    l: &SessionEndLabel,
    session: SessionKey,
) -> Result<Vec<u8>, usize> {
    let mut e = Enc::new("session_end");
    e.num("session_id", session.id);
    e.num("session_time", session.time);
    e.num("job_id", l.job_id);
    e.num("end_time", l.end_time);
    e.num("files", l.files);
    e.num("bytes", l.bytes);
    e.num("errors", l.errors);
    e.kv("status", &l.status.code().to_string());
    e.finish()
}

struct Dec(Vec<(String, String)>);

impl Dec {
    fn parse(payload: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(payload).map_err(|_| "label is not UTF-8".to_string())?;
        let mut lines = text.split('\n');
        match lines.next() {
            Some(LABEL_TEXT_MAGIC_V1) => {}
            Some(other) => return Err(format!("unknown label text format {other:?}")),
            None => return Err("empty label".into()),
        }
        let mut fields = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("label line without '=': {line:?}"))?;
            let mut value = String::with_capacity(v.len());
            let mut chars = v.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('\\') => value.push('\\'),
                        _ => return Err(format!("bad escape in label field {k}")),
                    }
                } else {
                    value.push(c);
                }
            }
            fields.push((k.to_string(), value));
        }
        Ok(Dec(fields))
    }
    fn str(&self, key: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("label field {key} missing"))
    }
    fn num<T: std::str::FromStr>(&self, key: &str) -> Result<T, String> {
        let v = self.str(key)?;
        v.parse()
            .map_err(|_| format!("label field {key}: not a number: {v:?}"))
    }
    fn code<T>(&self, key: &str, from: impl Fn(char) -> Option<T>) -> Result<T, String> {
        let v = self.str(key)?;
        let mut cs = v.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => {
                from(c).ok_or_else(|| format!("label field {key}: unknown code {v:?}"))
            }
            _ => Err(format!("label field {key}: not a one-letter code: {v:?}")),
        }
    }
    fn session(&self) -> Result<SessionKey, String> {
        Ok(SessionKey {
            id: self.num("session_id")?,
            time: self.num("session_time")?,
        })
    }
}

/// Decode a label payload; `code` is the record's FileIndex (label code).
pub(crate) fn decode(code: i32, payload: &[u8]) -> Result<Label, String> {
    use crate::format::{EOS_LABEL_V1, SOS_LABEL_V1, VOL_LABEL_V1};
    let d = Dec::parse(payload)?;
    let kind = d.str("kind")?;
    let expected = match code {
        VOL_LABEL_V1 => "volume",
        SOS_LABEL_V1 => "session_start",
        EOS_LABEL_V1 => "session_end",
        other => return Err(format!("unknown label code {other}")),
    };
    if kind != expected {
        return Err(format!("label code {code} holds a {kind:?} label"));
    }
    Ok(match code {
        VOL_LABEL_V1 => Label::Volume(
            VolumeLabel {
                volume_name: d.str("volume")?,
                pool_name: d.str("pool")?,
                pool_type: d.str("pool_type")?,
                media_type: d.str("media_type")?,
                label_time: d.num("label_time")?,
                writer: d.str("writer")?,
                format_version: d.num("format")?,
            },
            d.num("block_size")?,
        ),
        SOS_LABEL_V1 => Label::SessionStart(SessionLabel {
            session: d.session()?,
            job_id: JobId(d.num("job_id")?),
            job: d.str("job")?,
            job_name: d.str("job_name")?,
            client: d.str("client")?,
            fileset: d.str("fileset")?,
            pool_name: d.str("pool")?,
            level: d.code("level", JobLevel::from_code)?,
            job_type: d.code("type", JobType::from_code)?,
            start_time: d.num("start_time")?,
        }),
        _ => Label::SessionEnd(SessionEndLabel {
            job_id: JobId(d.num("job_id")?),
            end_time: d.num("end_time")?,
            files: d.num("files")?,
            bytes: d.num("bytes")?,
            errors: d.num("errors")?,
            status: d.code("status", JobStatus::from_code)?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{EOS_LABEL_V1, SOS_LABEL_V1, VOL_LABEL_V1};

    #[test]
    fn labels_round_trip_with_escapes() {
        let v = VolumeLabel::new("Vol\\0001", "Full\npool", "Backup", "File", 1_700_000_000);
        let p = encode_volume(&v, 65536).unwrap_or_default();
        assert_eq!(decode(VOL_LABEL_V1, &p), Ok(Label::Volume(v, 65536)));

        let s = SessionLabel {
            session: SessionKey { id: 4, time: 99 },
            job_id: JobId(12),
            job: "j.2026".into(),
            job_name: "j".into(),
            client: "c".into(),
            fileset: "fs = x".into(),
            pool_name: "Full".into(),
            level: JobLevel::None,
            job_type: JobType::Backup,
            start_time: -5,
        };
        let p = encode_session(&s).unwrap_or_default();
        assert_eq!(decode(SOS_LABEL_V1, &p), Ok(Label::SessionStart(s)));

        let e = SessionEndLabel {
            job_id: JobId(12),
            end_time: 7,
            files: 1,
            bytes: 2,
            errors: 3,
            status: JobStatus::Terminated,
        };
        let p = encode_session_end(&e, SessionKey { id: 4, time: 99 }).unwrap_or_default();
        assert_eq!(decode(EOS_LABEL_V1, &p), Ok(Label::SessionEnd(e)));
        assert!(decode(SOS_LABEL_V1, &p).is_err());
    }

    #[test]
    fn oversized_label_is_refused() {
        let v = VolumeLabel::new("x".repeat(LABEL_MAX_LEN_V1), "p", "Backup", "File", 0);
        assert!(encode_volume(&v, 65536).is_err());
    }
}
