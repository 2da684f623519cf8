//! File attributes as the file daemon sends them: Bareos lstat from a `stat`,
//! the attributes record (stream 1) encoded from raw path bytes (so non-UTF-8
//! names survive), and the `ls -l`-like line of `estimate listing`.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;

use cairn_proto::msg::file_type;
use cairn_types::lstat::Lstat;

/// The lstat of a file, with the hard-link master's FileIndex and the data stream.
pub fn lstat_of(md: &Metadata, link_fi: i64, data_stream: i64) -> Lstat {
    Lstat {
        dev: md.dev(),
        ino: md.ino(),
        mode: md.mode(),
        nlink: md.nlink(),
        uid: md.uid(),
        gid: md.gid(),
        rdev: md.rdev(),
        size: md.size() as i64,
        blksize: md.blksize() as i64,
        blocks: md.blocks() as i64,
        atime: md.atime(),
        mtime: md.mtime(),
        ctime: md.ctime(),
        link_fi,
        flags: 0,
        data_stream,
    }
}

/// Bareos file type of a `stat` mode (regular files: FT_REG, or FT_REGE when empty).
pub fn file_type_of(mode: u32, size: u64) -> u32 {
    match mode & libc::S_IFMT {
        libc::S_IFREG if size == 0 => file_type::REGE,
        libc::S_IFREG => file_type::REG,
        libc::S_IFDIR => file_type::DIREND,
        libc::S_IFLNK => file_type::LNK,
        libc::S_IFIFO => file_type::FIFO,
        _ => file_type::SPEC,
    }
}

/// An attributes record (stream 1) with raw byte paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRecord {
    pub file_index: i32,
    pub file_type: u32,
    /// Full path; directories end with `/`.
    pub path: Vec<u8>,
    pub lstat: String,
    /// Symlink target, or the hard-link master's path for FT_LNKSAVED.
    pub link: Vec<u8>,
    pub extra: Vec<u8>,
    pub delta_seq: u32,
}

impl AttrRecord {
    /// `<FileIndex> <FileType> <path>\0<lstat>\0<link>\0<extra>\0<delta>\0`
    /// (byte-identical to `cairn_proto::msg::Attributes::encode` for UTF-8 paths).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.path.len() + self.lstat.len() + self.link.len() + 32);
        v.extend_from_slice(format!("{} {} ", self.file_index, self.file_type).as_bytes());
        v.extend_from_slice(&self.path);
        v.push(0);
        v.extend_from_slice(self.lstat.as_bytes());
        v.push(0);
        v.extend_from_slice(&self.link);
        v.push(0);
        v.extend_from_slice(&self.extra);
        v.push(0);
        v.extend_from_slice(self.delta_seq.to_string().as_bytes());
        v.push(0);
        v
    }

    /// Decode; `None` on a malformed record.
    pub fn decode(b: &[u8]) -> Option<AttrRecord> {
        let sp1 = b.iter().position(|c| *c == b' ')?;
        let sp2 = b[sp1 + 1..].iter().position(|c| *c == b' ')? + sp1 + 1;
        let file_index = std::str::from_utf8(&b[..sp1]).ok()?.parse().ok()?;
        let file_type = std::str::from_utf8(&b[sp1 + 1..sp2]).ok()?.parse().ok()?;
        let mut parts = b[sp2 + 1..].split(|c| *c == 0);
        let path = parts.next()?.to_vec();
        let lstat = String::from_utf8_lossy(parts.next()?).into_owned();
        let link = parts.next().map(<[u8]>::to_vec).unwrap_or_default();
        let extra = parts.next().map(<[u8]>::to_vec).unwrap_or_default();
        let delta_seq = parts.next().and_then(|d| std::str::from_utf8(d).ok()?.parse().ok()).unwrap_or(0);
        Some(AttrRecord { file_index, file_type, path, lstat, link, extra, delta_seq })
    }

    pub fn path_os(&self) -> OsString {
        OsString::from_vec(self.path.clone())
    }
}

/// Path bytes of an `OsStr`.
pub fn bytes(p: &OsStr) -> &[u8] {
    p.as_bytes()
}

/// `ls -l` mode string (`drwxr-xr-x`).
pub fn mode_string(mode: u32) -> String {
    let t = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFLNK => 'l',
        libc::S_IFIFO => 'p',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (set, special, i) {
            (true, true, 8) => 't',
            (false, true, 8) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => *c,
            (false, false, _) => '-',
        });
    }
    s
}

/// Caches uid/gid → name look-ups for listings and status.
#[derive(Default)]
pub struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    pub fn user(&mut self, uid: u32) -> String {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
                    .unwrap_or_else(|| uid.to_string())
            })
            .clone()
    }
    pub fn group(&mut self, gid: u32) -> String {
        self.groups
            .entry(gid)
            .or_insert_with(|| {
                nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
                    .ok()
                    .flatten()
                    .map(|g| g.name)
                    .unwrap_or_else(|| gid.to_string())
            })
            .clone()
    }
}

/// One `estimate listing` line as Bareos prints it (`attr_to_ls_output`): mode,
/// link count, owner, group, size, the ctime in local time, the name, and
/// ` -> target` for symlinks. Ends with `\n`.
pub fn ls_line(names: &mut Names, l: &Lstat, ftype: u32, path: &[u8], link: &[u8]) -> String {
    let time = chrono::DateTime::from_timestamp(l.ctime, 0)
        .map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "0000-00-00 00:00:00".into());
    let user: String = names.user(l.uid).chars().take(8).collect();
    let group: String = names.group(l.gid).chars().take(8).collect();
    let mut s = format!(
        "{}  {:>2} {:<8} {:<8}{:>12} {}  {}",
        mode_string(l.mode),
        l.nlink,
        user,
        group,
        l.size,
        time,
        String::from_utf8_lossy(path)
    );
    if ftype == file_type::LNK {
        s.push_str(" -> ");
        s.push_str(&String::from_utf8_lossy(link));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_proto::msg::Attributes;

    #[test]
    fn lstat_of_real_files() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let f = d.path().join("f");
        std::fs::write(&f, b"hello")?;
        let md = std::fs::symlink_metadata(&f)?;
        let l = lstat_of(&md, 0, 2);
        assert_eq!(l.size, 5);
        assert_eq!(l.mode & libc::S_IFMT, libc::S_IFREG);
        assert_eq!(l.mtime, md.mtime());
        assert_eq!(l.ino, md.ino());
        let dec = Lstat::decode(&l.encode());
        assert_eq!(dec, Some(l));
        assert_eq!(file_type_of(l.mode, 5), file_type::REG);
        assert_eq!(file_type_of(l.mode, 0), file_type::REGE);
        let dmd = std::fs::symlink_metadata(d.path())?;
        assert_eq!(file_type_of(dmd.mode(), 0), file_type::DIREND);
        std::os::unix::fs::symlink("f", d.path().join("l"))?;
        let lmd = std::fs::symlink_metadata(d.path().join("l"))?;
        assert_eq!(file_type_of(lmd.mode(), 1), file_type::LNK);
        Ok(())
    }

    #[test]
    fn attribute_encoding_matches_proto() {
        let a = AttrRecord {
            file_index: 7,
            file_type: file_type::LNK,
            path: b"/a b/c".to_vec(),
            lstat: "A B C".into(),
            link: b"target".to_vec(),
            extra: vec![],
            delta_seq: 0,
        };
        let enc = a.encode();
        let p = Attributes {
            file_index: 7,
            file_type: file_type::LNK,
            path: "/a b/c".into(),
            lstat: "A B C".into(),
            link: "target".into(),
            extra: String::new(),
            delta_seq: 0,
        };
        assert_eq!(enc, p.encode());
        assert_eq!(AttrRecord::decode(&enc), Some(a));
        // non-UTF-8 and newline names survive
        let b = AttrRecord { path: b"/x/\xff\nname".to_vec(), ..AttrRecord::decode(&enc).unwrap_or_else(|| unreachable!()) };
        assert_eq!(AttrRecord::decode(&b.encode()).map(|r| r.path), Some(b"/x/\xff\nname".to_vec()));
        assert_eq!(AttrRecord::decode(b"garbage"), None);
    }

    #[test]
    fn mode_strings() {
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
    }

    #[test]
    fn ls_line_format() {
        let mut n = Names::default();
        let l = Lstat { mode: 0o100644, nlink: 1, uid: 0, gid: 0, size: 1234, ctime: 1_700_000_000, ..Default::default() };
        let s = ls_line(&mut n, &l, file_type::REG, b"/path", b"");
        assert!(s.starts_with("-rw-r--r--   1 root     root            1234 "), "{s:?}");
        assert!(s.ends_with("  /path\n"));
    }
}
