//! The reconciler: what the directories hold × what the emperor tracks → what to do.
//!
//! A pure function, so every case (new, changed, removed, refused, a write in progress) is a
//! unit test; the emperor loop applies the plan to its vassal actors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::scan::Seen;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A file the emperor does not track yet.
    Add(PathBuf),
    /// A tracked file whose identity (device, inode, size, mtime ns, ctime ns, owner) or
    /// refusal changed.
    Change(PathBuf),
    /// A tracked file that is gone.
    Remove(PathBuf),
}

/// Plans the way from `known` to `desired`. Files in `writing` (a writer still has them
/// open) are left as they are: not added, not changed, not removed, until the write is
/// closed.
pub fn plan(
    desired: &BTreeMap<PathBuf, Seen>,
    known: &BTreeMap<PathBuf, Seen>,
    writing: &BTreeSet<PathBuf>,
) -> Vec<Action> {
    let mut out = Vec::new();
    for (path, seen) in desired {
        if writing.contains(path) {
            continue;
        }
        match known.get(path) {
            None => out.push(Action::Add(path.clone())),
            Some(old)
                if old.state != seen.state
                    || old.refusal != seen.refusal
                    || old.on_demand != seen.on_demand =>
            {
                out.push(Action::Change(path.clone()));
            }
            Some(_) => {}
        }
    }
    for path in known.keys() {
        if !desired.contains_key(path) {
            out.push(Action::Remove(path.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::FileState;

    fn seen(ino: u64, mtime_ns: i128) -> Seen {
        Seen {
            state: FileState {
                dev: 1,
                ino,
                size: 10,
                mtime_ns,
                ctime_ns: mtime_ns,
                uid: 1000,
                gid: 1000,
            },
            refusal: None,
            monitor: "/etc/uwsgi.d".into(),
            on_demand: None,
        }
    }

    fn map(entries: &[(&str, Seen)]) -> BTreeMap<PathBuf, Seen> {
        entries
            .iter()
            .map(|(p, s)| (PathBuf::from(p), s.clone()))
            .collect()
    }

    #[test]
    fn new_changed_removed() {
        let known = map(&[("/d/a.ini", seen(1, 100)), ("/d/b.ini", seen(2, 100))]);
        let desired = map(&[("/d/a.ini", seen(1, 101)), ("/d/c.ini", seen(3, 100))]);
        assert_eq!(
            plan(&desired, &known, &BTreeSet::new()),
            vec![
                Action::Change("/d/a.ini".into()),
                Action::Add("/d/c.ini".into()),
                Action::Remove("/d/b.ini".into()),
            ]
        );
    }

    #[test]
    fn same_second_edit_and_older_rename_are_changes() {
        let known = map(&[("/d/a.ini", seen(1, 1_000_000_000))]);
        // Edited 1 ns later, same second.
        let edited = map(&[("/d/a.ini", seen(1, 1_000_000_001))]);
        assert_eq!(
            plan(&edited, &known, &BTreeSet::new()),
            vec![Action::Change("/d/a.ini".into())]
        );
        // Replaced by a rename of a file with an *older* mtime: another inode.
        let renamed = map(&[("/d/a.ini", seen(9, 1))]);
        assert_eq!(
            plan(&renamed, &known, &BTreeSet::new()),
            vec![Action::Change("/d/a.ini".into())]
        );
        // Nothing changed: nothing to do.
        assert!(plan(&known, &known, &BTreeSet::new()).is_empty());
    }

    #[test]
    fn refusal_changes_count_and_writes_in_progress_wait() {
        let known = map(&[("/d/a.ini", seen(1, 100))]);
        let mut refused = seen(1, 100);
        refused.refusal = Some("duplicate".into());
        let desired = map(&[("/d/a.ini", refused), ("/d/new.ini", seen(5, 100))]);
        let writing: BTreeSet<PathBuf> = [PathBuf::from("/d/new.ini")].into();
        assert_eq!(
            plan(&desired, &known, &writing),
            vec![Action::Change("/d/a.ini".into())]
        );
    }
}
