//! The Lovense local API ("Game Mode" of the Lovense Remote app), so that games and apps
//! written for Lovense toys drive any toy Plugboard knows.
//!
//! This module holds what the API means, as pure functions tested without a server:
//!
//! - [`request`]: a request (the JSON body of `POST /command`, or an older GET endpoint) to a
//!   [`request::Command`], with the leniency apps need (numbers as strings, `toy` as an id, a
//!   comma list or an array).
//! - [`action`]: the `action` of a `Function` command (`Vibrate:10,Rotate:5`, `All:20`, `Stop`).
//! - [`program`]: what a command runs over time: `timeSec`, the run/pause loop, patterns,
//!   presets, `PatternV2` position scripts.
//! - [`toys`]: Plugboard's devices presented as Lovense toys (a model name apps understand, a
//!   stable id) and Lovense functions turned into output commands; [`toy_index`] keeps them
//!   between requests.
//! - [`answer`]: the answers, with the outcome in the JSON `code` as Lovense Remote answers.
//!
//! Every call of the API comes in as a client of the engine (docs/architecture.md,
//! Clients and ownership), under the same ownership rules, access rules and STOP ALL as a Buttplug client.

//!
//! Around it: [`server`] serves it over HTTP and HTTPS (with the self-signed certificate of
//! [`certificate`]), and [`apps`] makes each calling app a client of the engine, whose
//! programs its own [`runner::Runner`] runs through the [`service::Service`].

pub mod action;
pub mod answer;
pub mod apps;
pub mod certificate;
pub mod program;
pub mod request;
pub mod runner;
pub mod server;
pub mod service;
pub mod toy_index;
pub mod toys;

pub(crate) use server::start;
pub use server::LovenseApi;
