//! Devices and their reservation.
//!
//! # Concurrency policy
//!
//! **One job per device at a time; other jobs queue for a free device.** A job is
//! given a device when the director's `use storage=… / use device=…` list is
//! complete (`BNET_EOD`). The candidates are the named Devices and the
//! auto-selectable members of named Autochangers whose Media Type matches and whose
//! Access Mode allows the direction (append or read). The first free candidate is
//! reserved; when all are busy the job waits (listed under "Jobs waiting to reserve
//! a drive" by `status`) until one is released, the job is canceled or the director
//! hangs up, and only then answers `3000 OK use device`. A Device's `Maximum
//! Concurrent Jobs` above 1 is accepted but does not let two jobs share the device:
//! sessions are never interleaved inside a volume. Several jobs on several devices
//! (e.g. the members of a `Count = N` autochanger) run at once, each appending to its
//! own volume: a volume being appended to by one job is refused to every other job
//! (see [`crate::append`]), so nothing is ever written over live data.

use std::sync::Mutex;

use cairn_config::{DeviceRes, StorageDaemonConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::state::lock;

/// What a device is doing right now, for `status`.
#[derive(Debug, Clone, Default)]
pub struct DevInfo {
    /// Job holding the device.
    pub job: Option<String>,
    /// Volume mounted (open) on the device.
    pub volume: Option<String>,
    pub pool: String,
    /// `true` when writing, `false` when reading.
    pub appending: bool,
    /// Volume size and block count (append) or bytes/blocks read (read).
    pub bytes: u64,
    pub blocks: u64,
    /// Current block number.
    pub block: u32,
}

#[derive(Debug)]
struct Slot {
    res: DeviceRes,
    info: DevInfo,
}

/// A reservation request: one `use storage=` group.
#[derive(Debug, Clone, Default)]
pub struct UseRequest {
    pub storage: String,
    pub media_type: String,
    pub pool_name: String,
    pub pool_type: String,
    pub append: bool,
    pub devices: Vec<String>,
}

/// All devices of the daemon.
#[derive(Debug)]
pub struct Devices {
    slots: Mutex<Vec<Slot>>,
    freed: Notify,
    autochangers: Vec<cairn_config::AutochangerRes>,
}

/// A device reserved for a job; give it back with [`Devices::release`].
#[derive(Debug, Clone)]
pub struct Reserved {
    pub index: usize,
    pub res: DeviceRes,
}

/// Why a device could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveError {
    /// No candidate matches (the 3924 answer names this device).
    NoDevice(String),
    Canceled,
}

impl Devices {
    pub fn new(cfg: &StorageDaemonConfig) -> Self {
        Devices {
            slots: Mutex::new(cfg.devices.iter().map(|d| Slot { res: d.clone(), info: DevInfo::default() }).collect()),
            freed: Notify::new(),
            autochangers: cfg.autochangers.clone(),
        }
    }

    pub fn autochangers(&self) -> &[cairn_config::AutochangerRes] {
        &self.autochangers
    }

    /// Every device with its state, in configuration order.
    pub fn snapshot(&self) -> Vec<(DeviceRes, DevInfo)> {
        lock(&self.slots).iter().map(|s| (s.res.clone(), s.info.clone())).collect()
    }

    /// Candidate device indexes for the requests, in request order.
    pub fn candidates(&self, reqs: &[UseRequest]) -> Result<Vec<usize>, ReserveError> {
        let slots = lock(&self.slots);
        let mut out = Vec::new();
        let mut first_name = None;
        for r in reqs {
            for name in &r.devices {
                first_name.get_or_insert_with(|| name.clone());
                let mut names: Vec<&str> = Vec::new();
                if let Some(ac) = self.autochangers.iter().find(|a| &a.name == name) {
                    for m in &ac.devices {
                        if slots.iter().any(|s| &s.res.name == m && s.res.auto_select) {
                            names.push(m);
                        }
                    }
                } else {
                    names.push(name);
                }
                for n in names {
                    let Some(i) = slots.iter().position(|s| s.res.name == n) else { continue };
                    let d = &slots[i].res;
                    let mode = d.access_mode.to_ascii_lowercase();
                    let dir_ok = if r.append { mode != "readonly" } else { mode != "writeonly" };
                    if d.media_type == r.media_type && dir_ok && !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(ReserveError::NoDevice(first_name.unwrap_or_default()));
        }
        Ok(out)
    }

    fn try_take(&self, candidates: &[usize], job: &str) -> Option<Reserved> {
        let mut slots = lock(&self.slots);
        let i = *candidates.iter().find(|i| slots.get(**i).is_some_and(|s| s.info.job.is_none()))?;
        let slot = &mut slots[i];
        slot.info = DevInfo { job: Some(job.to_string()), ..Default::default() };
        Some(Reserved { index: i, res: slot.res.clone() })
    }

    /// Reserve the first free candidate, waiting for one to be released.
    pub async fn reserve(
        &self,
        candidates: &[usize],
        job: &str,
        cancel: &CancellationToken,
        mut on_wait: impl FnMut(),
    ) -> Result<Reserved, ReserveError> {
        let mut waited = false;
        loop {
            let notified = self.freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(r) = self.try_take(candidates, job) {
                return Ok(r);
            }
            if !waited {
                on_wait();
                waited = true;
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(ReserveError::Canceled),
                _ = notified => {}
            }
        }
    }

    /// Give a device back and wake jobs waiting for one.
    pub fn release(&self, r: &Reserved) {
        if let Some(s) = lock(&self.slots).get_mut(r.index) {
            s.info = DevInfo::default();
        }
        self.freed.notify_waiters();
    }

    /// Update what `status` shows for a device.
    pub fn update(&self, r: &Reserved, f: impl FnOnce(&mut DevInfo)) {
        if let Some(s) = lock(&self.slots).get_mut(r.index) {
            f(&mut s.info);
        }
    }

    /// Pick a device for `label`: the named device, or the first auto-selectable
    /// member of the named autochanger (labeling a file volume does not need the
    /// device to be free: the volume is a new file).
    pub fn for_label(&self, name: &str) -> Option<DeviceRes> {
        let slots = lock(&self.slots);
        if let Some(s) = slots.iter().find(|s| s.res.name == name) {
            return Some(s.res.clone());
        }
        let ac = self.autochangers.iter().find(|a| a.name == name)?;
        ac.devices
            .iter()
            .filter_map(|m| slots.iter().find(|s| &s.res.name == m))
            .find(|s| s.res.auto_select)
            .map(|s| s.res.clone())
    }
}
