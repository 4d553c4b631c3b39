//! The config loader (INI, XML or JSON, picked by the first byte) with its expansion:
//! never panics, whatever the file holds; errors are diagnostics.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use emperor_options::{Context, Mode};
use emperor_sys::host::HostFacts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let ctx = Context {
        cwd: std::env::temp_dir().join("emperor-fuzz-none"),
        env: BTreeMap::from([("HOME".to_owned(), "/home/app".to_owned())]),
        host: HostFacts {
            hostname: "node1".into(),
            uid: 1000,
            user: "app".into(),
            gid: 1000,
            group: "app".into(),
            cpus: 2,
        },
        binary: "/usr/bin/emperor".into(),
        start: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        reloading: false,
    };
    let name = match pick % 3 {
        0 => "/nonexistent/vassal.ini",
        1 => "/nonexistent/vassal.xml",
        _ => "/nonexistent/vassal.json",
    };
    let args = vec!["emperor".to_owned(), "--vassal-of-emperor".to_owned(), "fuzz".to_owned()];
    let _ = emperor_options::from_emperor(&ctx, Path::new(name), text, &args, Mode::Check);
});
