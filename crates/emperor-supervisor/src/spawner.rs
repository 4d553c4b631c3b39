//! The spawner thread and the reaper's pid table.
//!
//! Vassal masters are forked from one long-lived thread: `PR_SET_PDEATHSIG` fires when the
//! *thread* that forked a child ends, so forking from tokio's short-lived blocking threads
//! would kill vassals when such a thread retires. The spawner registers each new pid in the
//! [`Pids`] table while holding its lock, and the reaper takes the same lock around
//! `waitpid`, so an exit can never be reaped before its owner is known.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use emperor_sys::process::Exit;
use tokio::sync::{mpsc, oneshot};

/// Who gets told when a pid ends.
pub type Pids = Arc<Mutex<HashMap<i32, mpsc::UnboundedSender<crate::vassal::Control>>>>;

/// One vassal master to start.
#[derive(Debug)]
pub struct Job {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// `(descriptor, number in the child)`; closed in the emperor once the child has them.
    pub fds: Vec<(OwnedFd, i32)>,
    /// Tyrant mode: who the vassal runs as.
    pub credentials: Option<emperor_sys::spawn::Credentials>,
    /// Told when the child ends.
    pub owner: mpsc::UnboundedSender<crate::vassal::Control>,
    pub reply: oneshot::Sender<io::Result<i32>>,
}

/// The handle actors use to ask for a spawn.
#[derive(Debug, Clone)]
pub struct Spawner {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Spawner {
    /// Starts the spawner thread.
    pub fn start(pids: Pids) -> io::Result<Spawner> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                for job in queue {
                    let fds: Vec<(i32, i32)> = job
                        .fds
                        .iter()
                        .map(|(fd, to)| (fd.as_raw_fd(), *to))
                        .collect();
                    let spec = emperor_sys::spawn::SpawnSpec {
                        program: &job.program,
                        args: &job.args,
                        env: &job.env,
                        cwd: &job.cwd,
                        fds: &fds,
                        credentials: job.credentials.as_ref(),
                    };
                    let mut table = pids
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let result = emperor_sys::spawn::spawn(&spec);
                    if let Ok(pid) = result {
                        table.insert(pid, job.owner.clone());
                    }
                    drop(table);
                    drop(job.fds);
                    let _ = job.reply.send(result);
                }
            })?;
        Ok(Spawner { jobs })
    }

    /// Starts `job`'s process; the answer comes on the job's reply channel.
    pub fn submit(&self, job: Job) -> Result<(), Box<Job>> {
        self.jobs.send(job).map_err(|e| Box::new(e.0))
    }
}

/// Reaps every ended child: the owners in `pids` are told; returns the pids nobody owned
/// (adopted strays, reaped so no zombie stays).
pub fn reap(pids: &Pids) -> Vec<(i32, Exit)> {
    let mut table = pids
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut strays = Vec::new();
    for (pid, exit) in emperor_sys::process::reap() {
        match table.remove(&pid) {
            Some(owner) => {
                let _ = owner.send(crate::vassal::Control::Exited(exit));
            }
            None => strays.push((pid, exit)),
        }
    }
    strays
}
