//! `integration payload NAME [--decoded on|off] [--source-object on|off] [--shadow on|off]`.

use clap::{Args, ValueEnum};
use helium_bridge_core::control::{Reply, Request};

use crate::access::{unexpected, Access};
use crate::Result;

/// One spelling for every on/off setting (`true`/`false` are taken too).
#[derive(Clone, Copy, ValueEnum)]
pub enum Switch {
    #[value(alias = "true")]
    On,
    #[value(alias = "false")]
    Off,
}

#[derive(Args)]
pub struct PayloadArgs {
    /// The integration's name or id.
    #[arg(value_name = "NAME|ID")]
    integration: String,
    /// Include `decoded` (the device's decoder's result, or ChirpStack's `object`).
    #[arg(long, value_enum)]
    decoded: Option<Switch>,
    /// With no decoder of the bridge's, pass ChirpStack's `object` as `decoded`.
    #[arg(long, value_enum)]
    source_object: Option<Switch>,
    /// Update each thing's classic shadow (`reported`) with its decoded values and radio
    /// metadata (its policy is extended to its own shadow topic first).
    #[arg(long, value_enum)]
    shadow: Option<Switch>,
}

pub fn on(s: Switch) -> bool {
    matches!(s, Switch::On)
}

pub fn set(access: &Access, a: PayloadArgs) -> Result {
    let mut options = access.store().find_integration(&a.integration)?.payload;
    if a.decoded.is_none() && a.source_object.is_none() && a.shadow.is_none() {
        return Err("nothing to change: give --decoded, --source-object or --shadow (on|off)".into());
    }
    options.decoded = a.decoded.map(on).unwrap_or(options.decoded);
    options.source_object = a.source_object.map(on).unwrap_or(options.source_object);
    options.shadow = a.shadow.map(on).unwrap_or(options.shadow);
    let req = Request::IntegrationSetPayload {
        integration: a.integration,
        options,
    };
    match access.call(req)? {
        Reply::IntegrationActive { integration } => {
            let word = |b: bool| if b { "on" } else { "off" };
            let p = integration.payload;
            out!(
                "integration {:?}: decoded {}, ChirpStack object {}, shadow updates {}",
                integration.name,
                word(p.decoded),
                word(p.source_object),
                word(p.shadow)
            );
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}
