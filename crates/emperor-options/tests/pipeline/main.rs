//! Table-driven tests of the config pipeline (issue 2): every rule of uWSGI's config language
//! as emperor reads it, from magic variables to typed configs, through the public API.
//!
//! Each case runs in a [`util::Sandbox`]: a temp dir as the working directory and a context
//! with fixed host facts, environment and start time. Messages are snapshot-tested with temp
//! paths replaced by `[TMP]`; values are asserted in the tables themselves.

mod util;

mod argv;
mod bad_input;
mod classify;
mod emperor;
mod formats;
mod includes;
mod logic;
mod magic;
mod placeholders;
mod typed;
mod values;
