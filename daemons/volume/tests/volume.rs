//! Volume format tests: round trips, torn tails, corruption, volume limits, seeking,
//! backends and the lister. Everything runs on in-memory buffers except the
//! file-directory backend and `list_volume`.

use std::io::Cursor;

use cairn_types::{JobId, JobLevel, JobStatus, JobType};
use cairn_volume::format::{self, BLOCK_HEADER_LEN_V1, stream};
use cairn_volume::*;

type R<T = ()> = Result<T, VolumeError>;

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

fn vol_label(name: &str) -> VolumeLabel {
    VolumeLabel::new(name, "Full", "Backup", "File", 1_700_000_000)
}

fn sess(id: u32) -> SessionLabel {
    SessionLabel {
        session: SessionKey {
            id,
            time: 1_700_000_000,
        },
        job_id: JobId(100 + id),
        job: format!("nightly.2023-11-14_22.13.20_{id:02}"),
        job_name: "nightly".into(),
        client: "web-fd".into(),
        fileset: "Web Set".into(),
        pool_name: "Full".into(),
        level: JobLevel::Incremental,
        job_type: JobType::Backup,
        start_time: 1_700_000_000 + i64::from(id),
    }
}

fn end(id: u32, files: u64, bytes: u64) -> SessionEndLabel {
    SessionEndLabel {
        job_id: JobId(100 + id),
        end_time: 1_700_000_500 + i64::from(id),
        files,
        bytes,
        errors: 0,
        status: JobStatus::Terminated,
    }
}

fn new_writer(name: &str, block_size: usize) -> R<VolumeWriter<Cursor<Vec<u8>>>> {
    VolumeWriter::create(Cursor::new(Vec::new()), &vol_label(name), block_size)
}

fn bytes_of(w: VolumeWriter<Cursor<Vec<u8>>>) -> R<Vec<u8>> {
    Ok(w.finish()?.into_inner())
}

/// Every entry of a volume, or the error that stopped the reading.
fn read_all(bytes: &[u8]) -> (Vec<Entry>, Option<VolumeError>) {
    let (mut r, _) = match VolumeReader::open(Cursor::new(bytes)) {
        Ok(x) => x,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    loop {
        match r.next_entry() {
            Ok(Some(e)) => out.push(e),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn rec(id: u32, file_index: i32, stream: i32, data: Vec<u8>) -> Entry {
    Entry::Record(Record {
        header: RecordHeader {
            session: SessionKey {
                id,
                time: 1_700_000_000,
            },
            file_index,
            stream,
            split_prev: false,
        },
        split_next: false,
        torn: false,
        data,
    })
}

/// Writes sessions of records with sizes from `sizes`; returns the expected entries.
fn write_sessions(
    w: &mut VolumeWriter<Cursor<Vec<u8>>>,
    first_id: u32,
    sessions: u32,
    sizes: &[usize],
    rng: &mut Rng,
) -> R<Vec<Entry>> {
    let mut expected = Vec::new();
    for id in first_id..first_id + sessions {
        w.begin_session(&sess(id))?;
        expected.push(Entry::SessionStart(sess(id)));
        let mut total = 0;
        for (i, &n) in sizes.iter().enumerate() {
            let data = rng.bytes(n);
            let st = w.write_record(i as i32 + 1, stream::FILE_DATA, &data)?;
            assert_eq!(st, WriteStatus::Complete);
            total += n as u64;
            expected.push(rec(id, i as i32 + 1, stream::FILE_DATA, data));
        }
        w.end_session(&end(id, sizes.len() as u64, total))?;
        expected.push(Entry::SessionEnd {
            session: SessionKey {
                id,
                time: 1_700_000_000,
            },
            label: end(id, sizes.len() as u64, total),
        });
    }
    Ok(expected)
}

#[test]
fn round_trip_labels_sessions_and_varied_records() -> R {
    let sizes = [
        0,
        1,
        23,
        24,
        25,
        1000,
        4096 - 56,
        4096,
        65_536,
        100_000,
        3 * 1024 * 1024 + 7,
        0,
        5,
    ];
    for block_size in [
        format::BLOCK_SIZE_MIN_V1,
        4096,
        format::DEFAULT_BLOCK_SIZE_V1,
    ] {
        let mut rng = Rng(block_size as u64);
        let mut w = new_writer("Full-0001", block_size)?;
        let expected = write_sessions(&mut w, 1, 3, &sizes, &mut rng)?;
        let bytes = bytes_of(w)?;
        let (mut r, label) = VolumeReader::open(Cursor::new(&bytes[..]))?;
        assert_eq!(label.volume_name, "Full-0001");
        assert_eq!(label.pool_name, "Full");
        assert_eq!(label.pool_type, "Backup");
        assert_eq!(label.media_type, "File");
        assert_eq!(label.label_time, 1_700_000_000);
        assert_eq!(
            label.writer,
            format!("Cairn {}", cairn_types::CAIRN_VERSION)
        );
        assert_eq!(label.format_version, format::CURRENT_FORMAT_VERSION);
        assert_eq!(r.block_size(), block_size);
        let mut got = Vec::new();
        while let Some(e) = r.next_entry()? {
            got.push(e);
        }
        assert_eq!(got.len(), expected.len(), "block size {block_size}");
        assert!(got == expected, "block size {block_size}: entries differ");
        // Blocks never exceed the block size, and the volume is made of whole blocks.
        let mut off = 0usize;
        while off < bytes.len() {
            let len = u32::from_le_bytes([
                bytes[off + 12],
                bytes[off + 13],
                bytes[off + 14],
                bytes[off + 15],
            ]) as usize;
            assert!(len <= block_size && len >= BLOCK_HEADER_LEN_V1);
            off += len;
        }
        assert_eq!(off, bytes.len());
    }
    Ok(())
}

#[test]
fn streaming_write_and_read_of_a_large_record() -> R {
    let mut rng = Rng(7);
    let data = rng.bytes(5 * 1024 * 1024 + 3);
    let mut w = new_writer("Stream-1", 64 * 1024)?;
    w.begin_session(&sess(1))?;
    w.begin_record(1, stream::FILE_DATA)?;
    for chunk in data.chunks(7 * 1024 + 1) {
        assert_eq!(w.write_record_part(chunk)?, WriteStatus::Complete);
    }
    // An explicit flush in the middle of a record: it continues in the next block.
    w.flush()?;
    w.end_record()?;
    w.end_session(&end(1, 1, data.len() as u64))?;
    let bytes = bytes_of(w)?;

    let (mut r, _) = VolumeReader::open(Cursor::new(&bytes[..]))?;
    assert!(matches!(r.next_header()?, Some(Header::SessionStart(_))));
    let Some(Header::Record(h)) = r.next_header()? else {
        panic!("record header expected")
    };
    assert_eq!((h.file_index, h.stream), (1, stream::FILE_DATA));
    let mut buf = [0u8; 3001];
    let mut back = Vec::new();
    loop {
        let n = r.read_data(&mut buf)?;
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
    }
    assert!(back == data);
    assert!(!r.record_split_next());
    assert!(matches!(r.next_header()?, Some(Header::SessionEnd { .. })));
    assert_eq!(r.next_header()?, None);

    // Skipping a record's data by asking for the next header.
    let (mut r, _) = VolumeReader::open(Cursor::new(&bytes[..]))?;
    assert!(matches!(r.next_header()?, Some(Header::SessionStart(_))));
    assert!(matches!(r.next_header()?, Some(Header::Record(_))));
    assert!(matches!(r.next_header()?, Some(Header::SessionEnd { .. })));
    Ok(())
}

#[test]
fn append_to_an_existing_volume_later() -> R {
    let mut rng = Rng(11);
    let mut w = new_writer("Full-0002", 4096)?;
    let mut expected = write_sessions(&mut w, 1, 1, &[10, 9000, 0], &mut rng)?;
    let first_len = w.volume_bytes();
    let last = w.last_written();
    let mut cur = w.finish()?;
    cur.set_position(0);

    let (mut w, report) = VolumeWriter::open_append(cur)?;
    assert_eq!(report.torn, None);
    assert_eq!(report.torn_record, None);
    assert_eq!(report.volume_bytes, first_len);
    assert_eq!(Some(report.last_block), last);
    assert_eq!(report.label.volume_name, "Full-0002");
    assert_eq!(w.position().block, report.last_block.block + 1);
    expected.extend(write_sessions(&mut w, 2, 2, &[70_000, 1], &mut rng)?);
    let bytes = bytes_of(w)?;
    let (got, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    assert!(got == expected);
    Ok(())
}

#[test]
fn torn_last_block_is_reported_and_recovered() -> R {
    let mut rng = Rng(3);
    let mut w = new_writer("Torn-1", 1024)?;
    w.begin_session(&sess(1))?;
    for i in 1..=40 {
        let n = rng.below(3000) as usize;
        let _ = w.write_record(i, stream::FILE_DATA, &rng.bytes(n))?;
    }
    // No end label: the crash happens during the session.
    let full = bytes_of(w)?;
    let (all, err) = read_all(&full);
    assert!(err.is_none());

    for cut_back in [1usize, 100, 1000, BLOCK_HEADER_LEN_V1 + 3] {
        let mut torn = full.clone();
        torn.truncate(full.len() - cut_back);
        let (before, err) = read_all(&torn);
        match err {
            Some(VolumeError::Truncated { volume, .. }) => assert_eq!(volume, "Torn-1"),
            other => panic!("expected Truncated, got {other:?}"),
        }
        assert!(before.len() < all.len());
        assert!(
            before.iter().zip(&all).all(|(a, b)| a == b),
            "complete records read before the tear"
        );

        let (mut w, report) = VolumeWriter::open_append(Cursor::new(torn.clone()))?;
        let t = report
            .torn
            .unwrap_or_else(|| panic!("torn block not reported"));
        assert_eq!(t.reason, TornReason::Truncated);
        assert!(t.position.offset < torn.len() as u64);
        assert_eq!(t.discarded, torn.len() as u64 - t.position.offset);
        assert_eq!(report.volume_bytes, t.position.offset);
        // Nothing before the torn block was touched.
        let kept = t.position.offset as usize;
        let new_records = write_sessions(&mut w, 2, 1, &[5, 4000], &mut rng)?;
        let after = bytes_of(w)?;
        assert_eq!(&after[..kept], &torn[..kept]);

        let (got, err) = read_all(&after);
        assert!(err.is_none(), "{err:?}");
        // Every record that was complete before the tear is intact; a record cut by
        // the tear comes back marked torn; then the new session.
        let n_old = got.len() - new_records.len();
        assert!(got[n_old..] == new_records[..]);
        for (g, a) in got[..n_old].iter().zip(&all) {
            match (g, a) {
                (Entry::Record(g), Entry::Record(a)) if g.torn => {
                    assert!(report.torn_record.is_some());
                    assert_eq!(g.header, a.header);
                    assert!(a.data.starts_with(&g.data));
                }
                _ => assert_eq!(g, a),
            }
        }
        assert!(n_old >= before.len());
    }
    Ok(())
}

#[test]
fn torn_tail_with_garbage_header_or_bad_checksum() -> R {
    let mut rng = Rng(5);
    let mut w = new_writer("Torn-2", 1024)?;
    let expected = write_sessions(&mut w, 1, 1, &[100, 2000], &mut rng)?;
    let good = bytes_of(w)?;

    // Zeros where a block should be (a crash after the file grew).
    let mut zeros = good.clone();
    zeros.extend_from_slice(&[0u8; 700]);
    let (w, report) = VolumeWriter::open_append(Cursor::new(zeros))?;
    assert_eq!(report.torn.map(|t| t.reason), Some(TornReason::BadHeader));
    assert_eq!(report.volume_bytes, good.len() as u64);
    assert_eq!(bytes_of(w)?, good);

    // A complete last block with a bad data checksum.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    let (w, report) = VolumeWriter::open_append(Cursor::new(bad))?;
    assert_eq!(report.torn.map(|t| t.reason), Some(TornReason::Checksum));
    let after = bytes_of(w)?;
    let (got, err) = read_all(&after);
    assert!(err.is_none());
    assert!(got.len() < expected.len());

    // A damaged header before the tail is refused, not cut off (appending would bury
    // the blocks after it). open_append reads headers only, plus the last block whole.
    let b1 = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let mut early = good.clone();
    early[b1 + 9] ^= 1;
    assert!(matches!(
        VolumeWriter::open_append(Cursor::new(early)),
        Err(VolumeError::Checksum {
            block: 1,
            part: "header",
            ..
        })
    ));
    Ok(())
}

#[test]
fn a_flipped_byte_anywhere_in_a_block_is_caught() -> R {
    let mut rng = Rng(9);
    let mut w = new_writer("Flip-1", 1024)?;
    let _ = write_sessions(&mut w, 1, 1, &[3000, 10], &mut rng)?;
    let good = bytes_of(w)?;
    // Block 2 starts where block 1 ends.
    let b1_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let b2 = b1_len
        + u32::from_le_bytes([
            good[b1_len + 12],
            good[b1_len + 13],
            good[b1_len + 14],
            good[b1_len + 15],
        ]) as usize;
    let b2_len =
        u32::from_le_bytes([good[b2 + 12], good[b2 + 13], good[b2 + 14], good[b2 + 15]]) as usize;
    for i in b2..b2 + b2_len {
        for bit in [0x01u8, 0x80] {
            let mut bad = good.clone();
            bad[i] ^= bit;
            let (_, err) = read_all(&bad);
            let (volume, block, offset) = match err {
                Some(VolumeError::Checksum {
                    volume,
                    block,
                    offset,
                    ..
                })
                | Some(VolumeError::BadMagic {
                    volume,
                    block,
                    offset,
                    ..
                })
                | Some(VolumeError::UnsupportedVersion {
                    volume,
                    block,
                    offset,
                    ..
                }) => (volume, block, offset),
                other => panic!("byte {i} bit {bit}: expected a checksum error, got {other:?}"),
            };
            assert_eq!(
                (volume.as_str(), block, offset),
                ("Flip-1", 2, b2 as u64),
                "byte {i}"
            );
            let msg = read_all(&bad).1.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("Flip-1") && msg.contains("block 2"), "{msg}");
            if i - b2 >= 8 {
                assert!(msg.contains("checksum"), "{msg}");
            }
        }
    }
    // In block 0 the label is not readable yet: the name given to open_named is used.
    let mut bad = good.clone();
    bad[BLOCK_HEADER_LEN_V1 + 30] ^= 1;
    match VolumeReader::open_named(Cursor::new(&bad[..]), "Flip-1") {
        Err(VolumeError::Checksum {
            volume,
            block: 0,
            part: "data",
            ..
        }) => assert_eq!(volume, "Flip-1"),
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[test]
fn bad_magic_and_version_mismatch() -> R {
    let not_a_volume = b"BB02 this is a Bareos volume, or anything else, but not Cairn".to_vec();
    match VolumeReader::open(Cursor::new(not_a_volume)) {
        Err(e @ VolumeError::BadMagic { .. }) => assert!(e.to_string().contains("bad magic")),
        other => panic!("{other:?}"),
    }
    match VolumeReader::open(Cursor::new(Vec::new())) {
        Err(VolumeError::Truncated { block: 0, .. }) => {}
        other => panic!("{other:?}"),
    }

    let mut good = bytes_of(new_writer("Ver-1", 4096)?)?;
    good[4..6].copy_from_slice(&2u16.to_le_bytes());
    let crc = crc32fast::hash(&good[0..28]);
    good[28..32].copy_from_slice(&crc.to_le_bytes());
    match VolumeReader::open(Cursor::new(good)) {
        Err(
            e @ VolumeError::UnsupportedVersion {
                found: 2,
                supported: 1,
                ..
            },
        ) => {
            assert!(e.to_string().contains("format version 2"));
        }
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[test]
fn random_records_round_trip() -> R {
    let mut rng = Rng(0x5eed);
    for round in 0..24 {
        let block_size = [1024, 1500, 4096, 65_536][rng.below(4) as usize];
        let mut w = new_writer("Rand-1", block_size)?;
        let mut expected = Vec::new();
        for id in 1..=1 + rng.below(3) as u32 {
            w.begin_session(&sess(id))?;
            expected.push(Entry::SessionStart(sess(id)));
            for fi in 1..=rng.below(30) as i32 {
                let n = match rng.below(10) {
                    0 => 0,
                    1..=6 => rng.below(200) as usize,
                    7 | 8 => rng.below(20_000) as usize,
                    _ => rng.below(300_000) as usize,
                };
                let data = rng.bytes(n);
                let st = rng.below(20) as i32;
                if rng.below(2) == 0 {
                    assert_eq!(w.write_record(fi, st, &data)?, WriteStatus::Complete);
                } else {
                    w.begin_record(fi, st)?;
                    let mut rest = &data[..];
                    while !rest.is_empty() {
                        let k = (1 + rng.below(9000) as usize).min(rest.len());
                        assert_eq!(w.write_record_part(&rest[..k])?, WriteStatus::Complete);
                        rest = &rest[k..];
                        if rng.below(50) == 0 {
                            w.flush()?;
                        }
                    }
                    w.end_record()?;
                }
                expected.push(rec(id, fi, st, data));
            }
            w.end_session(&end(id, 0, 0))?;
            expected.push(Entry::SessionEnd {
                session: SessionKey {
                    id,
                    time: 1_700_000_000,
                },
                label: end(id, 0, 0),
            });
        }
        let bytes = bytes_of(w)?;
        let (mut r, _) = VolumeReader::open(Cursor::new(&bytes[..]))?;
        let mut got = Vec::new();
        if round % 2 == 0 {
            while let Some(e) = r.next_entry()? {
                got.push(e);
            }
        } else {
            // Streaming reads with random buffer sizes.
            let mut buf = vec![0u8; 1 + rng.below(5000) as usize];
            while let Some(h) = r.next_header()? {
                got.push(match h {
                    Header::SessionStart(l) => Entry::SessionStart(l),
                    Header::SessionEnd { session, label } => Entry::SessionEnd { session, label },
                    Header::Record(header) => {
                        let mut data = Vec::new();
                        loop {
                            let n = r.read_data(&mut buf)?;
                            if n == 0 {
                                break;
                            }
                            data.extend_from_slice(&buf[..n]);
                        }
                        Entry::Record(Record {
                            header,
                            split_next: false,
                            torn: false,
                            data,
                        })
                    }
                });
            }
        }
        assert!(got == expected, "round {round}, block size {block_size}");
    }
    Ok(())
}

#[test]
fn volume_limit_splits_a_record_onto_the_next_volume() -> R {
    let mut rng = Rng(21);
    let data = rng.bytes(300_000);
    let max = 128 * 1024;
    let mut w = new_writer("Lim-0001", 4096)?;
    w.set_max_bytes(Some(max));
    w.begin_session(&sess(1))?;
    assert_eq!(
        w.write_record(1, stream::UNIX_ATTRIBUTES, b"1 3 /big\0A\0\0\0\0")?,
        WriteStatus::Complete
    );
    let WriteStatus::Split { written } = w.write_record(1, stream::FILE_DATA, &data)? else {
        panic!("the volume should have filled up");
    };
    assert!(written > 0 && written < data.len());
    assert!(w.is_full());
    assert!(matches!(
        w.begin_record(2, stream::FILE_DATA),
        Err(VolumeError::VolumeFull { .. })
    ));
    // The job continues on the next volume; this one ends with the session open.
    let first = bytes_of(w)?;
    assert!(first.len() as u64 <= max);

    let mut w2 = new_writer("Lim-0002", 4096)?;
    w2.begin_session(&sess(1))?;
    assert_eq!(
        w2.write_record_continuation(1, stream::FILE_DATA, &data[written..])?,
        WriteStatus::Complete
    );
    w2.end_session(&end(1, 1, data.len() as u64))?;
    let second = bytes_of(w2)?;

    let mut pieces = Vec::new();
    for vol in [&first, &second] {
        let (mut r, _) = VolumeReader::open(Cursor::new(&vol[..]))?;
        while let Some(rec) = r.next_record()? {
            if rec.header.stream == stream::FILE_DATA {
                pieces.push(rec);
            }
        }
    }
    assert_eq!(pieces.len(), 2);
    assert!(pieces[0].split_next && !pieces[0].header.split_prev);
    assert!(!pieces[1].split_next && pieces[1].header.split_prev);
    let joined: Vec<u8> = pieces.iter().flat_map(|p| p.data.iter().copied()).collect();
    assert!(joined == data);

    // end_session fits on a full volume and stays within the limit.
    let mut w = new_writer("Lim-0003", 1024)?;
    w.set_max_bytes(Some(max));
    w.begin_session(&sess(1))?;
    let mut fi = 1;
    while !w.is_full() {
        let _ = w.write_record(fi, stream::FILE_DATA, &rng.bytes(777))?;
        fi += 1;
    }
    w.end_session(&end(1, 0, 0))?;
    assert!(matches!(
        w.begin_session(&sess(2)),
        Err(VolumeError::VolumeFull { .. })
    ));
    let v = bytes_of(w)?;
    assert!(v.len() as u64 <= max, "{} > {max}", v.len());
    let (got, err) = read_all(&v);
    assert!(err.is_none());
    assert!(matches!(got.last(), Some(Entry::SessionEnd { .. })));
    Ok(())
}

#[test]
fn positions_and_seeking() -> R {
    let mut rng = Rng(77);
    let mut w = new_writer("Seek-1", 1024)?;
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for id in 1..=3 {
        let start = w.begin_session(&sess(id))?;
        starts.push(start);
        let _ = w.write_record(1, stream::FILE_DATA, &rng.bytes(5000))?;
        ends.push(w.end_session(&end(id, 1, 5000))?);
        assert_eq!(w.last_written(), Some(ends[ends.len() - 1]));
    }
    assert_eq!(w.bytes_written(), w.volume_bytes());
    let bytes = bytes_of(w)?;
    for pair in starts.windows(2) {
        assert!(pair[0].block < pair[1].block);
    }

    let (mut r, _) = VolumeReader::open(Cursor::new(&bytes[..]))?;
    // Every session label starts in the block begin_session reported.
    let mut seen = Vec::new();
    while let Some(h) = r.next_header()? {
        if let Header::SessionStart(l) = h {
            seen.push((l.session.id, r.entry_position()));
        }
    }
    assert_eq!(
        seen,
        vec![
            (1, Some(starts[0])),
            (2, Some(starts[1])),
            (3, Some(starts[2]))
        ]
    );

    // JobMedia-style: jump to session 2.
    r.seek_to(starts[1])?;
    assert!(matches!(r.next_header()?, Some(Header::SessionStart(l)) if l.session.id == 2));
    let pos = r.seek_block(starts[2].block)?;
    assert_eq!(pos, starts[2]);
    assert!(matches!(r.next_entry()?, Some(Entry::SessionStart(l)) if l.session.id == 3));

    // Seeking into the middle of a record: its continuation fragments are skipped.
    r.seek_block(starts[0].block + 2)?;
    assert!(matches!(r.next_entry()?, Some(Entry::SessionEnd { session, .. }) if session.id == 1));
    // From block 0, the label is skipped and everything follows.
    r.seek_block(0)?;
    assert!(matches!(r.next_entry()?, Some(Entry::SessionStart(l)) if l.session.id == 1));

    assert!(matches!(
        r.seek_block(10_000),
        Err(VolumeError::NoSuchBlock { .. })
    ));
    let wrong = VolPosition {
        block: starts[1].block + 1,
        offset: starts[1].offset,
    };
    r.seek_to(wrong)?;
    assert!(matches!(r.next_header(), Err(VolumeError::Corrupt { .. })));
    assert_eq!(
        VolPosition {
            block: 3,
            offset: (5 << 32) | 7
        }
        .bareos_file_block(),
        (5, 7)
    );
    Ok(())
}

#[test]
fn api_misuse_is_an_error_not_a_panic() -> R {
    let mut w = new_writer("Misuse-1", 4096)?;
    assert!(matches!(
        w.write_record(1, 2, b"x"),
        Err(VolumeError::State { .. })
    ));
    assert!(matches!(
        w.end_session(&end(1, 0, 0)),
        Err(VolumeError::State { .. })
    ));
    w.begin_session(&sess(1))?;
    assert!(matches!(
        w.begin_session(&sess(2)),
        Err(VolumeError::State { .. })
    ));
    assert!(matches!(
        w.write_record(-4, 2, b"x"),
        Err(VolumeError::State { .. })
    ));
    w.begin_record(1, 2)?;
    assert!(matches!(
        w.end_session(&end(1, 0, 0)),
        Err(VolumeError::State { .. })
    ));
    w.end_record()?;
    assert!(matches!(w.end_record(), Err(VolumeError::State { .. })));
    assert!(matches!(
        VolumeWriter::create(Cursor::new(Vec::new()), &vol_label("x"), 100),
        Err(VolumeError::InvalidBlockSize { .. })
    ));
    let huge = VolumeLabel::new("x".repeat(20_000), "p", "Backup", "File", 0);
    assert!(matches!(
        VolumeWriter::create(Cursor::new(Vec::new()), &huge, 4096),
        Err(VolumeError::LabelTooLarge { .. })
    ));
    Ok(())
}

#[test]
fn backends_pass_the_conformance_suite() -> R {
    conformance(&MemBackend::new()).map_err(|m| VolumeError::Io(std::io::Error::other(m)))?;
    let dir = tempfile::tempdir()?;
    conformance(&FileDirBackend::new(dir.path()))
        .map_err(|m| VolumeError::Io(std::io::Error::other(m)))?;
    Ok(())
}

#[test]
fn mem_backend_torn_volume_recovers() -> R {
    let b = MemBackend::new();
    let mut w = b.label_volume(&vol_label("Mem-1"), 1024)?;
    w.begin_session(&sess(1))?;
    let _ = w.write_record(1, stream::FILE_DATA, &[7u8; 5000])?;
    w.end_session(&end(1, 1, 5000))?;
    drop(w.finish()?);
    let mut bytes = b.get("Mem-1").unwrap_or_default();
    bytes.truncate(bytes.len() - 10);
    b.put("Mem-1", bytes);
    let (w, report) = b.append_volume("Mem-1")?;
    assert!(report.torn.is_some());
    drop(w.finish()?);
    let (mut r, _) = b.read_volume("Mem-1")?;
    while r.next_entry()?.is_some() {}
    Ok(())
}

fn attrs(fi: i32, ft: u32, path: &str, link: &str) -> Vec<u8> {
    format!("{fi} {ft} {path}\0P0D BJAEy IG0 B Po Po A b BAA I BdGwCZ\0{link}\0\x000\0")
        .into_bytes()
}

#[test]
fn list_volume_shows_label_sessions_and_files() -> R {
    let dir = tempfile::tempdir()?;
    let backend = FileDirBackend::new(dir.path());
    let mut w = backend.label_volume(&vol_label("List-0001"), 4096)?;
    w.begin_session(&sess(1))?;
    let _ = w.write_record(1, stream::UNIX_ATTRIBUTES, &attrs(1, 5, "/etc/", ""))?;
    let _ = w.write_record(2, stream::UNIX_ATTRIBUTES, &attrs(2, 3, "/etc/hosts", ""))?;
    let _ = w.write_record(2, stream::FILE_DATA, &[b'x'; 10_000])?;
    let _ = w.write_record(2, 3, &[0u8; 16])?;
    let _ = w.write_record(
        3,
        stream::UNIX_ATTRIBUTES,
        &attrs(
            3,
            4 | (1 << 16),
            "/etc/localtime",
            "/usr/share/zoneinfo/UTC",
        ),
    )?;
    w.end_session(&end(1, 3, 10_016))?;
    w.begin_session(&sess(2))?;
    let _ = w.write_record(1, stream::UNIX_ATTRIBUTES, &attrs(1, 2, "/empty", ""))?;
    drop(w.finish()?);

    let path = backend.path("List-0001")?;
    let l = list_volume(&path)?;
    assert_eq!(l.label.volume_name, "List-0001");
    assert_eq!(l.block_size, 4096);
    assert_eq!(l.bytes, std::fs::metadata(&path)?.len());
    assert!(l.problem.is_none());
    assert_eq!(l.sessions.len(), 2);
    let s = &l.sessions[0];
    assert_eq!(s.start.as_ref().map(|s| s.job_id), Some(JobId(101)));
    assert_eq!(
        s.end.as_ref().map(|e| (e.files, e.bytes)),
        Some((3, 10_016))
    );
    assert_eq!(s.records, 5);
    let files: Vec<_> = s
        .files
        .iter()
        .map(|f| {
            (
                f.file_index,
                file_type_name(f.file_type),
                f.path.as_str(),
                f.data_bytes,
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            (1, "DIR", "/etc/", 0),
            (2, "REG", "/etc/hosts", 10_016),
            (3, "LNK", "/etc/localtime", 0)
        ]
    );
    assert_eq!(s.files[2].link_target, "/usr/share/zoneinfo/UTC");
    assert!(l.sessions[1].end.is_none());

    let text = format_listing(&l, true);
    for needle in [
        "Volume \"List-0001\"  Pool \"Full\" (Backup)  MediaType \"File\"",
        "Labelled 2023-11-14 22:13:20 UTC by Cairn",
        "Session 1/1700000000  JobId 101  Job \"nightly.2023-11-14_22.13.20_01\"",
        "Level Incremental  Type Backup",
        "Status T (OK)  Files 3  Bytes 10016  Errors 0",
        "        2  REG              10016  /etc/hosts",
        "/etc/localtime -> /usr/share/zoneinfo/UTC",
        "End   (no end label on this volume)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(!format_listing(&l, false).contains("/etc/hosts"));

    // A torn copy still lists, with a warning.
    let mut bytes = std::fs::read(&path)?;
    bytes.truncate(bytes.len() - 5);
    let torn = dir.path().join("Torn-copy");
    std::fs::write(&torn, bytes)?;
    let l = list_volume_with(&torn, ListOptions { files: false })?;
    assert!(
        l.problem
            .as_deref()
            .is_some_and(|p| p.contains("truncated"))
    );
    assert!(l.sessions[0].files.is_empty());
    assert!(format_listing(&l, false).contains("Warning: volume \"List-0001\": truncated"));
    Ok(())
}
