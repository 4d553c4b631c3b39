//! `poll(2)` over a few descriptors, for the master's loop (which stays free of any event
//! library that could start threads).

use std::io;
use std::os::fd::BorrowedFd;

use nix::poll::{PollFd, PollFlags, PollTimeout};

/// Waits until one of `fds` is readable or `timeout_ms` passes. Returns, per descriptor,
/// whether it is readable (or hung up). An interrupted wait returns all false.
pub fn readable(fds: &[BorrowedFd<'_>], timeout_ms: u16) -> io::Result<Vec<bool>> {
    let mut pollfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    match nix::poll::poll(&mut pollfds, PollTimeout::from(timeout_ms)) {
        Ok(_) => Ok(pollfds
            .iter()
            .map(|p| {
                p.revents().is_some_and(|r| {
                    r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                })
            })
            .collect()),
        Err(nix::errno::Errno::EINTR) => Ok(vec![false; fds.len()]),
        Err(e) => Err(e.into()),
    }
}

/// Waits until one of `fds` is ready for what is asked (`true`: writing, `false`: reading) or
/// `timeout_ms` passes. Returns, per descriptor, whether it is ready (or hung up).
pub fn ready(fds: &[(BorrowedFd<'_>, bool)], timeout_ms: u16) -> io::Result<Vec<bool>> {
    let mut pollfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|(fd, write)| {
            PollFd::new(
                *fd,
                if *write {
                    PollFlags::POLLOUT
                } else {
                    PollFlags::POLLIN
                },
            )
        })
        .collect();
    match nix::poll::poll(&mut pollfds, PollTimeout::from(timeout_ms)) {
        Ok(_) => Ok(pollfds
            .iter()
            .map(|p| {
                p.revents().is_some_and(|r| {
                    r.intersects(
                        PollFlags::POLLIN
                            | PollFlags::POLLOUT
                            | PollFlags::POLLHUP
                            | PollFlags::POLLERR,
                    )
                })
            })
            .collect()),
        Err(nix::errno::Errno::EINTR) => Ok(vec![false; fds.len()]),
        Err(e) => Err(e.into()),
    }
}
