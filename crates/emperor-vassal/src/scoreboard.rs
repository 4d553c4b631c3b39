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
    /// 1 while a request is being handled.
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
    /// Unix time after which the master kills the worker (0 = none).
    HarakiriDeadline,
    /// Unix time the current request started (0 = idle).
    RequestStart,
    Rss,
    Vsz,
}

const FIELDS: usize = Field::Vsz as usize + 1;

/// Counters for `slots` workers.
#[derive(Debug)]
pub struct Scoreboard {
    mem: SharedCounters,
    slots: usize,
}

impl Scoreboard {
    /// Maps the scoreboard; call before the first fork.
    pub fn new(slots: usize) -> io::Result<Scoreboard> {
        Ok(Scoreboard {
            mem: SharedCounters::new(slots * FIELDS)?,
            slots,
        })
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
