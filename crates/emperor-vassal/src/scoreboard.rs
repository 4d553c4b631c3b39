//! The scoreboard: one slot of atomic counters per worker, in memory shared by the master and
//! every worker (DESIGN, "Scoreboard").
//!
//! Each field has one writer: the worker writes its request counters, status and harakiri
//! deadline; the master writes pid, spawn time, respawn and harakiri counts. Readers (the
//! master's stats, harakiri and recycling checks) load with `Relaxed`: a counter read a moment
//! late is fine; nothing is derived from two fields at once.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use emperor_sys::shm::SharedCounters;

/// The fields of a worker slot, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Field {
    Pid,
    Requests,
    DeltaRequests,
    Exceptions,
    HarakiriCount,
    /// How many of the worker's threads are handling a request.
    Busy,
    /// 1 once the worker is in its accept loop.
    Accepting,
    LastSpawn,
    RespawnCount,
    /// Bytes sent (headers and body).
    Tx,
    /// Cumulative request time, µs.
    RunningTime,
    /// Running average request time, µs (uWSGI: `(avg + rt) / 2`).
    AvgRt,
    Rss,
    Vsz,
    /// Open client connections (kept-alive, or with a request under way).
    Connections,
}

const FIELDS: usize = Field::Connections as usize + 1;

/// The fields of a core slot: one per thread of a worker (uWSGI's "cores").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum CoreField {
    /// 1 while the thread handles a request.
    InRequest,
    /// Unix time the current request started (0 = idle).
    RequestStart,
    /// Unix time after which the master kills the worker (0 = none).
    HarakiriDeadline,
    Requests,
}

const CORE_FIELDS: usize = CoreField::Requests as usize + 1;

/// Counters for `slots` workers of `cores` threads each.
#[derive(Debug)]
pub struct Scoreboard {
    mem: SharedCounters,
    slots: usize,
    cores: usize,
}

impl Scoreboard {
    /// Maps the scoreboard; call before the first fork.
    pub fn new(slots: usize, cores: usize) -> io::Result<Scoreboard> {
        let cores = cores.max(1);
        Ok(Scoreboard {
            mem: SharedCounters::new(slots * (FIELDS + cores * CORE_FIELDS))?,
            slots,
            cores,
        })
    }

    pub fn cores(&self) -> usize {
        self.cores
    }

    fn core_cell(&self, worker: usize, core: usize, field: CoreField) -> &AtomicU64 {
        assert!(
            worker < self.slots && core < self.cores,
            "core slot {worker}/{core} out of range"
        );
        let base = self.slots * FIELDS + (worker * self.cores + core) * CORE_FIELDS;
        &self.mem.counters()[base + field as usize]
    }

    pub fn core_get(&self, worker: usize, core: usize, field: CoreField) -> u64 {
        self.core_cell(worker, core, field).load(Ordering::Relaxed)
    }

    pub fn core_set(&self, worker: usize, core: usize, field: CoreField, value: u64) {
        self.core_cell(worker, core, field)
            .store(value, Ordering::Relaxed);
    }

    pub fn core_add(&self, worker: usize, core: usize, field: CoreField, value: u64) {
        self.core_cell(worker, core, field)
            .fetch_add(value, Ordering::Relaxed);
    }

    /// Decrements a worker counter (saturating at 0).
    pub fn sub(&self, worker: usize, field: Field, value: u64) {
        let _ = self
            .cell(worker, field)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(value))
            });
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    fn cell(&self, worker: usize, field: Field) -> &AtomicU64 {
        assert!(worker < self.slots, "worker slot {worker} out of range");
        &self.mem.counters()[worker * FIELDS + field as usize]
    }

    pub fn get(&self, worker: usize, field: Field) -> u64 {
        self.cell(worker, field).load(Ordering::Relaxed)
    }

    pub fn set(&self, worker: usize, field: Field, value: u64) {
        self.cell(worker, field).store(value, Ordering::Relaxed);
    }

    pub fn add(&self, worker: usize, field: Field, value: u64) {
        self.cell(worker, field).fetch_add(value, Ordering::Relaxed);
    }
}
