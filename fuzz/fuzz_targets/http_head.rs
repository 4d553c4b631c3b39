//! The HTTP request-head parser: never panics, never reads past what it was given, and
//! decides the same whatever prefix of the bytes it saw first (a request split over
//! segments is parsed as the whole one is): a prefix that completes a head completes the
//! same head in the whole, and a prefix refused is refused whole. (The status of a refusal
//! may name an earlier or a later fault of the same bytes.)
#![no_main]

use emperor_proto::app::Vars;
use emperor_proto::http::{self, ConnInfo, Limits, Status};
use libfuzzer_sys::fuzz_target;

const CONN: ConnInfo<'static> = ConnInfo {
    server_name: b"node",
    server_port: b"80",
    remote_addr: b"127.0.0.1",
    remote_port: b"4000",
    https: false,
};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_head: 1024 };
    let mut vars = Vars::new();
    let whole = http::parse(data, &limits, &CONN, &mut vars);
    let answer = |r: &Result<Status, http::Error>| match r {
        Ok(Status::Incomplete) => None,
        Ok(Status::Complete(head)) => Some(Ok(head.head_len)),
        Err(_) => Some(Err(())),
    };
    if let Ok(Status::Complete(head)) = &whole {
        assert!(head.head_len <= data.len());
        assert!(vars.get(b"REQUEST_METHOD").is_some());
    }
    // Every prefix is incomplete or answered as the whole is (checked on small inputs: the
    // check is quadratic).
    if data.len() <= 256 {
        let want = answer(&whole);
        for k in 1..data.len() {
            let part = http::parse(&data[..k], &limits, &CONN, &mut vars);
            if let Some(got) = answer(&part) {
                assert_eq!(Some(got), want, "prefix of {k} bytes");
            }
        }
    }
});
