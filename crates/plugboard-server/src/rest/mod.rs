//! The REST API (`--rest-api-port`): intiface-engine 5's HTTP routes under `/api/v1`, for
//! scripts and home automation that want to list devices and set a level with one request
//! instead of a Buttplug client. docs/rest-api.md describes every route with an example.
//!
//! Every request is a command of one client of the engine, "REST API" (docs/architecture.md,
//! Clients and ownership): it is listed in the Apps view, owns the outputs it sets, its stops
//! stop only those, the user's STOP ALL stops them, and the device access the user gives its
//! name applies. Where it differs from intiface-engine's: errors are JSON with a fitting
//! status and a sentence (`error`), events are JSON (`events`), inputs can be read
//! (`inputs`), a timed move takes `?duration=`, and every request passes the Origin gate.
//!
//! - [`server`]: binding, the admission every request passes, serving;
//! - [`devices`], [`outputs`], [`inputs`], [`events`]: the routes, by resource;
//! - [`api`]: what the routes share; [`values`]: what a path's segments mean;
//!   [`json`]: how devices and readings look; [`segments`]: path extraction.

mod api;
mod devices;
mod error;
mod events;
mod inputs;
mod json;
mod outputs;
mod segments;
mod server;
mod values;

pub(crate) use server::start;
pub use server::RestApi;
