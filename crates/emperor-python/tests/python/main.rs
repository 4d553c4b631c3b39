//! Integration tests of the embedded interpreter: one test binary, one interpreter (`CPython`
//! initializes once per process), a module per area.

mod support;

mod loading;
mod setup;
mod uwsgi_module;
mod wsgi;
