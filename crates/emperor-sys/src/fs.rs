//! Files the workers make for themselves.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// A new, empty file in `dir` that has no name: nothing is left on disk whatever happens to
/// the process (a crash, a SIGKILL), and no two callers can ever get the same file.
///
/// `O_TMPFILE` where the filesystem has it (ext4, xfs, btrfs, tmpfs). Elsewhere a name unique
/// to this process, thread and call (`O_EXCL`, so a clash is an error, never a shared
/// file; tried again with the next number), unlinked at once.
pub fn anonymous_file(dir: &Path) -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    match OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(dir)
    {
        Ok(file) => return Ok(file),
        // EISDIR or EOPNOTSUPP: a kernel or filesystem without O_TMPFILE; try a name.
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EISDIR | libc::EOPNOTSUPP | libc::EINVAL)
            ) => {}
        Err(e) => return Err(e),
    }
    let tid = nix::unistd::gettid();
    let mut last = None;
    for _ in 0..16 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".emperor-body-{}-{tid}-{n}", std::process::id()));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
        {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no unique temporary file name")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom, Write};

    fn names(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn anonymous_files_leave_no_name_and_are_distinct_across_threads() {
        let dir = std::env::temp_dir().join(format!("emperor-anon-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files: Vec<File> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..50)
                            .map(|_| anonymous_file(&dir).unwrap())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(files.len(), 400);
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        // Each one is its own file.
        for (i, mut f) in files.iter().enumerate() {
            write!(f, "{i}").unwrap();
        }
        for (i, mut f) in files.iter().enumerate() {
            f.seek(SeekFrom::Start(0)).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(s, i.to_string());
        }
        std::fs::remove_dir(&dir).unwrap();
    }
}
