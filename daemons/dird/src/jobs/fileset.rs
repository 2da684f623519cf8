//! FileSets as sent to the file daemon: director-side `File = "|command"` and
//! `File = "<file"` entries are expanded here (the command runs, the file is
//! read on the director); client-side forms stay for the FD.

use cairn_config::{FileEntry, FileSetRes};

/// Expand director-side entries into plain paths.
pub fn resolve(fs: &FileSetRes) -> Result<FileSetRes, String> {
    let mut out = fs.clone();
    for inc in &mut out.includes {
        inc.files = expand(&inc.files)?;
    }
    for exc in &mut out.excludes {
        exc.files = expand(&exc.files)?;
    }
    Ok(out)
}

fn expand(files: &[FileEntry]) -> Result<Vec<FileEntry>, String> {
    let mut v = Vec::new();
    for f in files {
        match f {
            FileEntry::DirectorCommand(cmd) => {
                let o = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .output()
                    .map_err(|e| format!("cannot run \"{cmd}\": {e}"))?;
                if !o.status.success() {
                    return Err(format!("\"{cmd}\" exited with {}", o.status));
                }
                for line in String::from_utf8_lossy(&o.stdout).lines() {
                    let l = line.trim();
                    if !l.is_empty() {
                        v.push(FileEntry::Path(l.to_string()));
                    }
                }
            }
            FileEntry::DirectorFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read \"{path}\": {e}"))?;
                for line in text.lines() {
                    let l = line.trim();
                    if !l.is_empty() && !l.starts_with('#') {
                        v.push(FileEntry::Path(l.to_string()));
                    }
                }
            }
            other => v.push(other.clone()),
        }
    }
    Ok(v)
}
