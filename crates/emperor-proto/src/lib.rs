//! `emperor-proto` owns the bytes on the wire: uwsgi request packets (what nginx's
//! `uwsgi_pass` sends), HTTP/1.1 requests (`http-socket`), the response head each protocol
//! expects, and the small interface between a worker and the app it runs ([`app`]).
//!
//! Everything here is pure: parsers take byte slices and say "need more", "here is a request"
//! or "this is malformed, close"; they never touch a socket. That is what lets them be fuzzed
//! and tested exhaustively, and lets the worker loop own all I/O.

pub mod app;
pub mod http;
pub mod link;
pub mod uwsgi;
