//! The uwsgi packet parser: never panics, never reads past the block it was given (the
//! CVE-2021-36160 class), and decides the same for every prefix it is fed (a prefix that
//! completes the packet completes it whole; a prefix refused is refused whole).
#![no_main]

use emperor_proto::app::Vars;
use emperor_proto::uwsgi::{self, Limits, Status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        buffer_size: 4096,
        max_vars: 128,
    };
    let mut vars = Vars::new();
    let whole = uwsgi::parse(data, &limits, &mut vars);
    let complete = match &whole {
        Ok(Status::Complete(head)) => {
            assert!(head.head_len <= data.len());
            for (k, v) in vars.iter() {
                assert!(!k.is_empty() && k.len() + v.len() <= head.head_len);
            }
            Some(head.head_len)
        }
        _ => None,
    };
    if data.len() <= 512 {
        for k in 1..data.len() {
            match uwsgi::parse(&data[..k], &limits, &mut vars) {
                Ok(Status::Incomplete) => {}
                Ok(Status::Complete(head)) => assert_eq!(Some(head.head_len), complete),
                Err(_) => assert!(whole.is_err(), "prefix {k} refused, the whole not"),
            }
        }
    }
});
