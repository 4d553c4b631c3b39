//! The chunked body decoder: never panics, decodes the same bytes fed whole or in pieces,
//! and says exactly where the body ends (the rest is the next request's).
#![no_main]

use emperor_proto::http::ChunkedDecoder;
use libfuzzer_sys::fuzz_target;

fn whole(data: &[u8]) -> Result<(Vec<u8>, usize, bool), u16> {
    let mut d = ChunkedDecoder::new();
    let mut out = Vec::new();
    let (used, done) = d.feed(data, &mut out).map_err(|e| e.status())?;
    assert_eq!(d.decoded(), out.len() as u64);
    Ok((out, used, done))
}

fn in_pieces(data: &[u8], cut: usize) -> Result<(Vec<u8>, usize, bool), u16> {
    let mut d = ChunkedDecoder::new();
    let mut out = Vec::new();
    let mut used = 0;
    for piece in [&data[..cut], &data[cut..]] {
        if d.is_done() {
            break;
        }
        let (n, _) = d.feed(piece, &mut out).map_err(|e| e.status())?;
        used += n;
    }
    Ok((out, used, d.is_done()))
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let a = whole(data);
    if let Ok((_, used, done)) = &a {
        assert!(*used <= data.len());
        // Input is only left over once the body is complete.
        assert!(*done || *used == data.len());
    }
    let cut = usize::from(data[0]) % data.len();
    let b = in_pieces(data, cut);
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "split at {cut}"),
        (Err(_), Err(_)) => {}
        _ => panic!("whole {a:?} and split at {cut} {b:?} disagree"),
    }
});
