//! nitro-rs: a tiny init system and process supervisor, a drop-in for nitro
//! v0.8, with no allocator and no C library.
//!
//! Principles:
//! * All state lives in fixed tables sized in `config`; running out of room
//!   is an error value with a message, never a panic and never an allocation.
//! * One event loop sleeps in one poll(2) until a signal, a socket, a pipe or
//!   the nearest deadline wakes it. Idle is zero system calls.
//! * The per-service state machine (`state`) and the protocol codecs
//!   (`spat`, `http`) are pure and tested on the host; effects (fork, kill,
//!   mount) happen in the core alone.
//! * All unsafe code is in `sys`.
//!
//! Module map (who depends on whom, and why; an arrow points at what a
//! module uses):
//!
//! ```text
//! main ─▶ supervisor            the loop: poll, signals, deliver changes
//!           ├─▶ control ─▶ notify   SPAT front-end and its subscribers
//!           ├─▶ httpd ─▶ metrics    HTTP front-end
//!           └─▶ core                table, state machines, processes,
//!                 ├ command         the one executor behind both front-ends
//!                 ├ events          the one queue of changes they read
//!                 ├ scan, lifecycle, jobs, pid1
//!                 └─▶ state, table, spawn, job, diag
//!                               spawn ─▶ job  (a task's credentials, PATH, fds)
//! leaves: spat, http::{response, json, job} (codecs), name, path,
//!         config, out, buf, argv, words, signal, sys
//! ```
//!
//! The core imports no front-end (`control`, `notify`, `httpd`, `metrics`,
//! `supervisor`) and no codec of theirs (`spat`, `http`): front-ends call
//! `Core::execute` with a `Command` and read the core's views and events.
//! The HTTP request codec decodes straight into that `Command` (its one
//! use of `core`), and so does the control socket (`control::decode`);
//! SPAT's own `spat::Command` is the client's side, nitroctl's encoder.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

pub mod argv;
pub mod buf;
pub mod config;
pub mod control;
pub mod core;
pub mod diag;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http")]
pub mod httpd;
pub mod job;
#[cfg(feature = "http")]
pub mod metrics;
pub mod name;
pub mod notify;
pub mod out;
pub mod path;
#[cfg(feature = "http")]
pub mod signal;
pub mod spawn;
pub mod spat;
pub mod state;
pub mod supervisor;
pub mod sys;
pub mod table;
pub mod words;
