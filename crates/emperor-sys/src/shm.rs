//! An anonymous shared mapping of atomic counters: the scoreboard (DESIGN, "Scoreboard").
//!
//! Made once in the master before the first fork; every worker inherits the same pages, writes
//! its own slot with plain atomic stores, and the master reads all slots for stats, harakiri
//! and recycling. No locks: each counter has one writer.

use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

/// `len` zeroed `AtomicU64`s in a `MAP_SHARED | MAP_ANONYMOUS` mapping.
#[derive(Debug)]
pub struct SharedCounters {
    ptr: NonNull<AtomicU64>,
    len: usize,
}

// SAFETY: the mapping holds only atomics, which are safe to share between threads.
unsafe impl Send for SharedCounters {}
// SAFETY: as above; every access goes through `AtomicU64`.
unsafe impl Sync for SharedCounters {}

impl SharedCounters {
    pub fn new(len: usize) -> io::Result<SharedCounters> {
        let bytes =
            NonZeroUsize::new(len.max(1) * std::mem::size_of::<AtomicU64>()).expect("non-zero");
        // SAFETY: a fresh anonymous mapping aliases nothing; it is zero-filled by the kernel,
        // and zero is a valid AtomicU64.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                bytes,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(SharedCounters {
            ptr: ptr.cast(),
            len: len.max(1),
        })
    }

    pub fn counters(&self) -> &[AtomicU64] {
        // SAFETY: `ptr` points to `len` initialised AtomicU64s that live as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for SharedCounters {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this address and size.
        unsafe {
            let _ = munmap(self.ptr.cast(), self.len * std::mem::size_of::<AtomicU64>());
        }
    }
}
