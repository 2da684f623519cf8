//! Bounded-time fuzzing of the input parsers that face the network and the
//! disk: the packet codec, the config parser, the lstat decoder and the volume
//! reader. Inputs are seeded corpora mutated by a deterministic generator; each
//! target runs for `CAIRN_FUZZ_SECS` seconds (default 2) and must never panic or
//! hang: every input ends in a value or an error. A failure names the seed and
//! the iteration, so it can be replayed.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use bytes::BytesMut;
use cairn_proto::{BnetCodec, Packet, Signal};
use tokio_util::codec::{Decoder, Encoder};

/// xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Flip, insert, delete, duplicate or splice bytes (a few edits per input).
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let len = v.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                v.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(16).min(len - i);
                v.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(64).min(len - i);
                let chunk = v[i..i + n].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            4 if len > 0 => {
                // An "interesting" value at a random place.
                let i = rng.below(len);
                let vals: [u8; 6] = [0, 0xff, 0x7f, 0x80, b'{', b'"'];
                v[i] = vals[rng.below(vals.len())];
            }
            5 => v.truncate(rng.below(len + 1)),
            _ => {
                let i = rng.below(len + 1);
                let junk: Vec<u8> = (0..rng.below(32)).map(|_| rng.next() as u8).collect();
                v.splice(i..i, junk);
            }
        }
    }
    v
}

fn budget() -> Duration {
    let secs = std::env::var("CAIRN_FUZZ_SECS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

/// Run `f` on mutated inputs for the time budget; a panic fails with the
/// seed and iteration. Returns the number of inputs tried.
fn run(name: &str, seed: u64, corpus: &[Vec<u8>], mut f: impl FnMut(&[u8])) -> Result<u64> {
    let mut rng = Rng(seed);
    let end = Instant::now() + budget();
    let mut n = 0u64;
    while Instant::now() < end {
        let base = &corpus[rng.below(corpus.len())];
        let input = if rng.below(10) == 0 { (0..rng.below(512)).map(|_| rng.next() as u8).collect() } else { mutate(&mut rng, base) };
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            bail!("{name}: panic at iteration {n} (seed {seed:#x}); input {:02x?}", &input[..input.len().min(256)]);
        }
        n += 1;
    }
    eprintln!("fuzz {name}: {n} inputs in {:?}", budget());
    Ok(n)
}

#[test]
fn fuzz_packet_codec() -> Result<()> {
    let mut corpus = Vec::new();
    let mut codec = BnetCodec::default();
    for p in [
        Packet::text("Hello Director bareos-dir calling\n"),
        Packet::Signal(Signal::Eod),
        Packet::text("auth cram-md5 <12345.1700000000@bareos-dir> ssl=0\n"),
        Packet::Data(bytes::Bytes::from(vec![0u8; 1000])),
        Packet::Signal(Signal::MainPrompt),
    ] {
        let mut b = BytesMut::new();
        codec.encode(p, &mut b)?;
        corpus.push(b.to_vec());
    }
    let n = run("packet codec", 0xc0dec, &corpus, |input| {
        let mut codec = BnetCodec::with_max(1 << 20);
        let mut buf = BytesMut::from(input);
        // Decode until the codec needs more data or refuses; each step consumes
        // bytes or stops, so this ends.
        for _ in 0..input.len() + 2 {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => break,
            }
        }
        assert!(buf.capacity() <= (1 << 20) + 8 + input.len().max(64) * 2, "the codec reserved memory a peer asked for");
    })?;
    assert!(n > 0);
    Ok(())
}

#[test]
fn fuzz_config_parser() -> Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("daemons/config/tests/fixtures/stock/bareos-dir.d");
    let mut corpus = Vec::new();
    for sub in ["director", "job", "fileset", "schedule", "pool", "messages", "client", "storage", "catalog", "console", "profile", "jobdefs"] {
        if let Ok(rd) = std::fs::read_dir(root.join(sub)) {
            for e in rd.flatten() {
                if let Ok(t) = std::fs::read(e.path()) {
                    corpus.push(t);
                }
            }
        }
    }
    if corpus.is_empty() {
        bail!("no config corpus under {}", root.display());
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("fuzz.conf");
    let n = run("config parser", 0xc0f16, &corpus, |input| {
        // One whole config: the mutated resource plus the stock rest is what a
        // user edit looks like; a lone mutated resource is fine too.
        if std::fs::write(&file, input).is_ok() {
            let _ = cairn_config::load_director(&file);
        }
    })?;
    assert!(n > 0);
    Ok(())
}

#[test]
fn fuzz_lstat_decoder() -> Result<()> {
    let corpus: Vec<Vec<u8>> = [
        "gB DL+hi IGk B Po Po A G BAA I BnFXJ5 BnFXJ5 BnFXJ5 A A C",
        "P0C Bq1yS2 IH/ B A A A 1T BAA BI BhR2Ku BhR2Ku BhR2Ku A A E",
        "A A A A A A A A A A A A A",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let n = run("lstat decoder", 0x15747, &corpus, |input| {
        let s = String::from_utf8_lossy(input);
        if let Some(l) = cairn_types::lstat::Lstat::decode(&s) {
            // What decodes re-encodes and decodes to the same value.
            let again = cairn_types::lstat::Lstat::decode(&l.encode());
            assert_eq!(again.as_ref(), Some(&l));
        }
    })?;
    assert!(n > 0);
    Ok(())
}

#[test]
fn fuzz_volume_reader() -> Result<()> {
    use cairn_types::{JobId, JobLevel, JobStatus, JobType};
    use cairn_volume::*;
    let mut corpus = Vec::new();
    for (block, records) in [(1024usize, 3u32), (4096, 10), (1024, 1)] {
        let label = VolumeLabel::new("Fuzz-1", "Full", "Backup", "File", 1_700_000_000);
        let mut w = VolumeWriter::create(Cursor::new(Vec::new()), &label, block)?;
        let sess = SessionLabel {
            session: SessionKey { id: 1, time: 1_700_000_000 },
            job_id: JobId(1),
            job: "fuzz.2026-01-01_00.00.00_01".into(),
            job_name: "fuzz".into(),
            client: "c-fd".into(),
            fileset: "fs".into(),
            pool_name: "Full".into(),
            level: JobLevel::Full,
            job_type: JobType::Backup,
            start_time: 1_700_000_000,
        };
        w.begin_session(&sess)?;
        for fi in 1..=records {
            w.write_record(fi as i32, 1, &vec![fi as u8; 700 * fi as usize])?;
        }
        w.end_session(&SessionEndLabel {
            job_id: JobId(1),
            end_time: 1_700_000_100,
            files: u64::from(records),
            bytes: 0,
            errors: 0,
            status: JobStatus::Terminated,
        })?;
        corpus.push(w.finish()?.into_inner());
    }
    let n = run("volume reader", 0x701, &corpus, |input| {
        if let Ok((mut r, _label)) = VolumeReader::open(Cursor::new(input.to_vec())) {
            // Every call consumes input or ends; bound it anyway.
            for _ in 0..100_000 {
                match r.next_entry() {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
    })?;
    assert!(n > 0);
    Ok(())
}
