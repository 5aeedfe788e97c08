//! End-to-end tests of the `helium-aws-bridge` binary, one module per subcommand group.

mod basics;
mod common;
mod decoders;
mod devices;
mod history;
mod integrations;
mod labels;
mod monitor;
mod sources;
#[cfg(unix)]
mod terminal;
