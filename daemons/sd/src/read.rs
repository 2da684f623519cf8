//! Restores: read the records a bootstrap selects and send them to the file daemon.
//!
//! Each bootstrap entry is read in order: its volume is opened from the reserved
//! device's directory, positioned at the entry's first `VolBlock`, and read up to
//! its last block. A record is sent when its session (VolSessionId/VolSessionTime)
//! and FileIndex are selected. Consecutive volume records of the same session,
//! FileIndex and stream (the payload frames of one FD record, possibly continued on
//! the next volume) are sent as one record with §5.4 framing: the header frame
//! `<FileIndex> <Stream> 0`, one payload frame per volume record, `BNET_EOD`. A
//! record split by a full volume is joined back into the frame the FD sent. After
//! the last record a second `BNET_EOD` ends the data. Every volume is checked
//! before `3000 OK data`: a missing or foreign volume fails the job with a fatal
//! `Jmsg` and `3903 Error read data: …` to the FD.

use std::collections::HashSet;
use std::fs::File;
use std::time::{Duration, Instant};

use cairn_proto::msg::{RecordHeader as WireHeader, stream};
use cairn_proto::{Conn, Packet, Signal};
use cairn_volume::{Header, SessionKey, VolumeReader};

use crate::SdError;
use crate::append::{Probe, print_name, probe, volume_path};
use crate::bsr::Bootstrap;
use crate::devices::Reserved;
use crate::job::JobIo;
use crate::state::lock;

type GroupKey = (SessionKey, i32, i32);

struct Sender<'a> {
    fd: &'a mut Conn,
    group: Option<GroupKey>,
    files: HashSet<(SessionKey, i32)>,
    bytes: u64,
}

impl Sender<'_> {
    async fn record(&mut self, key: GroupKey, data: Vec<u8>) -> Result<(), SdError> {
        if self.group != Some(key) {
            if self.group.is_some() {
                self.fd.feed(Packet::Signal(Signal::Eod)).await?;
            }
            let h = WireHeader { file_index: key.1, stream: key.2 };
            self.fd.feed(Packet::text(h.to_string())).await?;
            self.group = Some(key);
        }
        if key.2 == stream::UNIX_ATTRIBUTES {
            self.files.insert((key.0, key.1));
        }
        self.bytes += data.len() as u64;
        if !data.is_empty() {
            self.fd.feed(Packet::Data(data.into())).await?;
        }
        Ok(())
    }

    async fn end(&mut self) -> Result<(), SdError> {
        if self.group.take().is_some() {
            self.fd.feed(Packet::Signal(Signal::Eod)).await?;
        }
        self.fd.send(Packet::Signal(Signal::Eod)).await?;
        Ok(())
    }
}

/// Check the director's channel without waiting: a `cancel` or a hang-up stops the
/// restore.
async fn poll_director(io: &mut JobIo<'_>) -> Result<(), SdError> {
    if io.cancel.is_cancelled() {
        return Err(SdError::Canceled);
    }
    let p = tokio::select! {
        biased;
        p = io.dir.recv() => Some(p),
        _ = std::future::ready(()) => None,
    };
    match p {
        Some(Ok(Some(Packet::Data(b)))) if String::from_utf8_lossy(&b).trim_end() == "cancel" => {
            io.cancel.cancel();
            Err(SdError::Canceled)
        }
        Some(Ok(None)) | Some(Ok(Some(Packet::Signal(Signal::Terminate)))) | Some(Err(_)) => {
            Err(SdError::Protocol("the director closed the job channel".into()))
        }
        _ => Ok(()),
    }
}

/// Check that every volume of the bootstrap is on the device.
fn check_volumes(bsr: &Bootstrap, dev: &Reserved) -> Result<(), String> {
    if bsr.entries.is_empty() {
        return Err("No Volume names found for restore.".into());
    }
    for v in bsr.volumes() {
        match probe(&dev.res, &v) {
            Ok(Probe::Labeled(l)) if l.volume_name == v => {}
            Ok(Probe::Labeled(l)) => {
                return Err(format!("Volume file \"{v}\" on device {} carries the label \"{}\".", print_name(&dev.res), l.volume_name));
            }
            Ok(Probe::Missing) => return Err(format!("Volume \"{v}\" not found on device {}.", print_name(&dev.res))),
            Ok(Probe::Empty) => return Err(format!("Volume \"{v}\" on device {} is empty (never labelled).", print_name(&dev.res))),
            Ok(Probe::Unreadable(why)) => return Err(format!("Volume \"{v}\" on device {} cannot be read: {why}", print_name(&dev.res))),
            Err(e) => return Err(format!("Volume \"{v}\" on device {}: {e}", print_name(&dev.res))),
        }
    }
    Ok(())
}

/// `read data`: send the selected records, framed, then the final `BNET_EOD`.
pub async fn read_data(io: &mut JobIo<'_>, fd: &mut Conn, bsr: &Bootstrap, dev: &Reserved) -> Result<(), SdError> {
    if let Err(reason) = check_volumes(bsr, dev) {
        fd.send_text(format!("3903 Error read data: {reason}\n")).await?;
        return Err(SdError::VolumeUnavailable(reason));
    }
    {
        let mut s = lock(&io.ctl.stats);
        s.mode = Some("Reading");
        s.device = dev.res.name.clone();
    }
    fd.send_text("3000 OK data\n").await?;
    let mut tx = Sender { fd, group: None, files: HashSet::new(), bytes: 0 };
    let mut pending: Option<(GroupKey, Vec<u8>)> = None;
    let mut last_progress = Instant::now();
    let mut reported = (0u64, 0u64);
    let mut n = 0u64;
    for entry in &bsr.entries {
        let path = volume_path(&dev.res, &entry.volume)?;
        let f = File::open(&path)
            .map_err(|e| SdError::VolumeUnavailable(format!("Volume \"{}\" ({}): {e}", entry.volume, path.display())))?;
        let (mut rd, _label) = VolumeReader::open_named(f, &entry.volume)?;
        let first = entry.first_block();
        if first > 0 {
            rd.seek_block(first)?;
        }
        lock(&io.ctl.stats).volume = entry.volume.clone();
        let vol = entry.volume.clone();
        io.state.devices.update(dev, |d| {
            d.volume = Some(vol.clone());
            d.appending = false;
        });
        let last = entry.last_block();
        let max_fi = entry.max_file_index();
        let mut seen: HashSet<(SessionKey, i32)> = HashSet::new();
        while let Some(h) = rd.next_header()? {
            n += 1;
            if n.is_multiple_of(64) {
                poll_director(io).await?;
            }
            let block = rd.entry_position().map(|p| p.block).unwrap_or(0);
            if block > last {
                break;
            }
            let Header::Record(rh) = h else { continue };
            if !entry.selects_session(rh.session.id, rh.session.time) || !entry.selects_block(block) {
                continue;
            }
            if let Some(m) = max_fi
                && rh.file_index > m
                && !entry.session_ids.is_empty()
            {
                // Records of a session come in FileIndex order: nothing selected follows.
                break;
            }
            if !entry.selects_file(rh.file_index) {
                continue;
            }
            let fkey = (rh.session, rh.file_index);
            if let Some(c) = entry.count
                && !seen.contains(&fkey)
                && seen.len() as u64 >= c
            {
                break;
            }
            seen.insert(fkey);
            let mut data = Vec::new();
            rd.read_data_to_end(&mut data)?;
            let split_next = rd.record_split_next();
            let key = (rh.session, rh.file_index, rh.stream);
            if let Some((pk, mut pdata)) = pending.take() {
                if pk == key && rh.split_prev {
                    pdata.extend_from_slice(&data);
                    data = pdata;
                } else {
                    // The continuation never came: send what there is.
                    tx.record(pk, pdata).await?;
                }
            }
            if split_next {
                pending = Some((key, data));
                continue;
            }
            tx.record(key, data).await?;
            if last_progress.elapsed() >= Duration::from_secs(1) {
                last_progress = Instant::now();
                let (files, bytes) = (tx.files.len() as u64, tx.bytes);
                io.ctl.add(files - reported.0, bytes - reported.1);
                reported = (files, bytes);
                tx.fd.flush().await?;
            }
        }
        if let Some(cur) = rd.current_block() {
            let b = cur.block;
            io.state.devices.update(dev, |d| {
                d.block = b;
                d.bytes = cur.offset;
            });
        }
    }
    if let Some((pk, pdata)) = pending.take() {
        tx.record(pk, pdata).await?;
    }
    tx.end().await?;
    let (files, bytes) = (tx.files.len() as u64, tx.bytes);
    io.ctl.add(files - reported.0, bytes - reported.1);
    Ok(())
}
