//! `integration list|show`: what each integration is, where it sends, and how AWS is doing.

use helium_bridge_core::domain::Integration;

use crate::access::Access;
use crate::{output, Result};

pub(super) fn list(access: &Access, json: bool) -> Result {
    // (Before the store is taken: without a running bridge, health reads it too.)
    let health = if json {
        Default::default()
    } else {
        crate::health::read(access)
    };
    let store = access.store();
    let all = store.list_integrations()?;
    if json {
        output::json(&all);
    } else if all.is_empty() {
        note!("no integrations yet; add one with `helium-aws-bridge integration add`");
    } else {
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|i| {
                let labels = store.integration_labels(&i.id).map(|l| names(&l))?;
                Ok(vec![
                    i.name.clone(),
                    enabled(i.active).into(),
                    health.get(&i.id).map_or("-".into(), |h| h.state.clone()),
                    i.region.clone(),
                    i.topic.clone(),
                    endpoint_text(i),
                    output::or_dash(Some(&labels)),
                    i.id.clone(),
                ])
            })
            .collect::<Result<_>>()?;
        output::table(
            &["NAME", "STATE", "AWS", "REGION", "TOPIC", "ENDPOINT", "LABELS", "ID"],
            &rows,
        );
    }
    Ok(())
}

pub(super) fn show(access: &Access, id_or_name: &str, json: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    // (Before the store is taken: without a running bridge, health reads it too.)
    let health = crate::health::read(access).remove(&i.id);
    let watch = super::watch::read(access, &i.id);
    let store = access.store();
    let labels = store.integration_labels(&i.id)?;
    let waiting = store.integration_outbox_len(&i.id)?;
    let provisioned = store
        .list_device_identities(&i.id)?
        .iter()
        .filter(|r| r.ready && !helium_bridge_core::aws::provision::policy::is_monitor_thing(&r.thing_name))
        .count();
    if json {
        let mut v = serde_json::to_value(&i)?;
        v["labels"] = serde_json::to_value(&labels)?;
        v["outbox_entries"] = waiting.into();
        v["provisioned_devices"] = provisioned.into();
        v["health"] = serde_json::to_value(&health)?;
        v["watch"] = serde_json::to_value(watch.flatten())?;
        output::json(&v);
        return Ok(());
    }
    let e = &i.endpoint;
    let mut fields = vec![
        ("name", i.name.clone()),
        ("id", i.id.clone()),
        ("kind", "AWS IoT Core".into()),
        ("state", enabled(i.active).into()),
        ("AWS", health.as_ref().map_or("-".into(), crate::health::text)),
        ("watch AWS", super::watch::text(watch.as_ref(), &i.topic)),
        ("region", i.region.clone()),
        ("topic", i.topic.clone()),
    ];
    match &i.aws {
        Some(a) => {
            fields.push(("AWS account", a.account.clone()));
            fields.push(("IAM user", a.user_arn.clone()));
            fields.push(("access key id", a.access_key_id.clone()));
            fields.push(("provisioned", format!("{provisioned} device(s)")));
        }
        None => fields.push(("certificates", e.cert_dir.clone().unwrap_or_else(|| "-".into()))),
    }
    fields.extend([
        ("endpoint", endpoint_text(&i)),
        ("CA file", e.ca_file.clone().unwrap_or_else(|| "Amazon root CAs".into())),
        ("AWS API", e.api_url.clone().unwrap_or_else(|| "AWS".into())),
        ("forward joins", output::yes_no(i.forward_joins)),
        ("decoded", output::yes_no(i.payload.decoded)),
        ("source object", output::yes_no(i.payload.source_object)),
        ("shadows", output::yes_no(i.payload.shadow)),
        ("labels", output::or_dash(Some(&names(&labels)))),
        ("waiting", format!("{waiting} uplink(s)")),
        ("created", format!("{}Z", output::time(i.created_at_ms))),
        ("updated", format!("{}Z", output::time(i.updated_at_ms))),
    ]);
    output::fields(&fields);
    Ok(())
}

pub(super) fn enabled(active: bool) -> &'static str {
    if active {
        "enabled"
    } else {
        "disabled"
    }
}

fn names(labels: &[helium_bridge_core::domain::Label]) -> String {
    labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn endpoint_text(i: &Integration) -> String {
    match (&i.endpoint.host, i.endpoint.port) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.clone(),
        (None, Some(p)) => format!("(from AWS):{p}"),
        (None, None) => "(from AWS)".into(),
    }
}
