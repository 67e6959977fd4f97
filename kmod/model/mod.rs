// SPDX-License-Identifier: GPL-2.0

//! The board model: what a board is and how its state changes, with no
//! kernel in it.
//!
//! Pure `no_std` Rust over `core` and the ABI (`crate::abi`): no allocation,
//! no locks, no `unsafe`, no kernel calls. The module wraps it in
//! `crate::board` (the lock, the hardware, the notifications); the host
//! compiles the same files as the `kbridge-model` crate
//! (userspace/crates/kbridge-model) and tests them there: unit tests and
//! property tests of the state machine.
//!
//! - [`name`]: validated line and board names.
//! - [`ring`]: the event ring and a reader's view of it.
//! - [`state`]: line descriptions, per-line state, requests (`Op`), their
//!   validation and atomic application with undo, and the [`state::Env`]
//!   trait through which the model reaches hardware, clock and listeners.

pub mod name;
pub mod ring;
pub mod state;

pub use name::Name;
pub use ring::{Peek, Ring, ZERO_EVENT};
pub use state::{bits, Done, Env, Iface, LineDesc, LineState, Op, OpCounters, Refusal, State};
