//! nitro-rs: a tiny init system and process supervisor, a drop-in for nitro
//! v0.8, with no allocator and no C library.
//!
//! Principles:
//! * All state lives in fixed tables sized in `config`; running out of room
//!   is an error value with a message, never a panic and never an allocation.
//! * One event loop sleeps in one poll(2) until a signal, a socket, a pipe or
//!   the nearest deadline wakes it. Idle is zero system calls.
//! * The per-service state machine (`state`) and the protocol codecs
//!   (`spat`) are pure and tested on the host; effects (fork, kill, mount)
//!   happen in the supervisor alone.
//! * All unsafe code is in `sys`.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

pub mod argv;
pub mod buf;
pub mod config;
pub mod control;
pub mod diag;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http")]
pub mod httpd;
#[cfg(feature = "http")]
pub mod jobs;
pub mod lifecycle;
#[cfg(feature = "http")]
pub mod metrics;
pub mod name;
pub mod notify;
pub mod out;
pub mod path;
pub mod pid1;
pub mod scan;
pub mod spawn;
pub mod spat;
pub mod state;
pub mod supervisor;
pub mod sys;
pub mod table;
