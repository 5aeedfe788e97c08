//! The integration's least-privilege AWS IoT policy: one policy per integration, shared by all
//! of its devices through the `${iot:Connection.Thing.ThingName}` policy variable.

use serde_json::{json, Value};

use crate::domain::Integration;

/// AWS IoT's limit on a policy document (whitespace excluded).
pub const MAX_POLICY_LEN: usize = 2048;

const THING: &str = "${iot:Connection.Thing.ThingName}";

/// The policy's name: one per integration.
pub fn policy_name(integration: &Integration) -> String {
    format!("helium-bridge-{}", integration.id)
}

/// `arn:{partition}:iot:{region}:{account}:` taken from an ARN AWS returned (the certificate's).
pub fn arn_prefix(any_iot_arn: &str) -> Result<String, String> {
    let parts: Vec<&str> = any_iot_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iot", region, account, _] if !partition.is_empty() && !account.is_empty() => {
            Ok(format!("arn:{partition}:iot:{region}:{account}:"))
        }
        _ => Err(format!("AWS returned an unexpected certificate ARN {any_iot_arn:?}")),
    }
}

/// The policy document: connect as the thing itself, publish on the integration's topic,
/// subscribe to and receive only the thing's own downlink topic. No `*` resources.
pub fn policy_document(integration: &Integration, arn_prefix: &str) -> Result<Value, String> {
    let topic = &integration.topic;
    if topic.contains(['*', '?']) || topic.contains("${") {
        return Err(format!(
            "the topic {topic:?} contains '*', '?' or '${{', which AWS IoT policies read as wildcards or \
             variables; choose a topic without them"
        ));
    }
    // With shadow updates on, the thing's own classic shadow update topic, and nothing more.
    // (A single resource stays a string: policies made before shadows existed stay the same.)
    let uplinks = format!("{arn_prefix}topic/{topic}");
    let publish = match integration.payload.shadow {
        true => json!([uplinks, format!("{arn_prefix}topic/$aws/things/{THING}/shadow/update")]),
        false => json!(uplinks),
    };
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": "iot:Connect",
              "Resource": format!("{arn_prefix}client/{THING}") },
            { "Effect": "Allow", "Action": "iot:Publish", "Resource": publish },
            { "Effect": "Allow", "Action": "iot:Subscribe",
              "Resource": format!("{arn_prefix}topicfilter/helium/devices/{THING}/down") },
            { "Effect": "Allow", "Action": "iot:Receive",
              "Resource": format!("{arn_prefix}topic/helium/devices/{THING}/down") },
        ]
    });
    let len = doc.to_string().len();
    if len > MAX_POLICY_LEN {
        return Err(format!(
            "the integration's policy would be {len} characters; AWS IoT allows {MAX_POLICY_LEN}"
        ));
    }
    Ok(doc)
}

/// The policy a thing's certificate gets, name and document: the integration's monitor has
/// its own; every device shares the integration's.
pub fn for_thing(integration: &Integration, thing: &str, arn_prefix: &str) -> Result<(String, Value), String> {
    match is_monitor_thing(thing) {
        true => Ok((
            monitor_policy_name(integration),
            monitor_policy_document(integration, arn_prefix)?,
        )),
        false => Ok((policy_name(integration), policy_document(integration, arn_prefix)?)),
    }
}

/// The thing the integration's "watch AWS" monitor connects as: not a device, so no session
/// or uplink ever uses it.
pub fn monitor_thing_name(integration: &Integration) -> String {
    format!("{MONITOR_PREFIX}{}", integration.id)
}

const MONITOR_PREFIX: &str = "helium-bridge-monitor-";

/// Whether a stored identity is an integration's monitor rather than a device's.
pub fn is_monitor_thing(name: &str) -> bool {
    name.starts_with(MONITOR_PREFIX)
}

/// The monitor's own policy (never attached to a device's certificate).
pub fn monitor_policy_name(integration: &Integration) -> String {
    format!("helium-bridge-{}-monitor", integration.id)
}

/// The monitor's policy: connect as the monitor thing only; subscribe to and receive the
/// integration's uplink topic and every device's downlink topic; publish downlinks (the
/// viewer's "publish downlink through AWS"). It can publish no uplink and touch no shadow.
pub fn monitor_policy_document(integration: &Integration, arn_prefix: &str) -> Result<Value, String> {
    // The same topic rules as the devices' policy.
    policy_document(integration, arn_prefix)?;
    let topic = &integration.topic;
    let thing = monitor_thing_name(integration);
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": "iot:Connect",
              "Resource": format!("{arn_prefix}client/{thing}") },
            // MQTT wildcards in a topic filter resource are literal: exactly this filter.
            { "Effect": "Allow", "Action": "iot:Subscribe",
              "Resource": [format!("{arn_prefix}topicfilter/{topic}"),
                           format!("{arn_prefix}topicfilter/helium/devices/+/down")] },
            { "Effect": "Allow", "Action": "iot:Receive",
              "Resource": [format!("{arn_prefix}topic/{topic}"),
                           format!("{arn_prefix}topic/helium/devices/*/down")] },
            { "Effect": "Allow", "Action": "iot:Publish",
              "Resource": format!("{arn_prefix}topic/helium/devices/*/down") },
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EndpointOverride, IntegrationKind};

    fn integration(topic: &str) -> Integration {
        Integration {
            id: "i1".into(),
            kind: IntegrationKind::AwsIotCore,
            name: "n".into(),
            active: true,
            region: "eu-west-1".into(),
            topic: topic.into(),
            endpoint: EndpointOverride::default(),
            forward_joins: false,
            aws: None,
            payload: Default::default(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn least_privilege_document_uses_policy_variables_and_no_wildcards() {
        let prefix = arn_prefix("arn:aws:iot:eu-west-1:123456789012:cert/abcd").unwrap();
        assert_eq!(prefix, "arn:aws:iot:eu-west-1:123456789012:");
        let doc = policy_document(&integration("helium/uplinks"), &prefix).unwrap();
        let text = doc.to_string();
        assert!(text.len() <= MAX_POLICY_LEN);
        assert!(!text.contains("\"*\"") && !text.contains(":*"), "{text}");
        assert!(text.contains("client/${iot:Connection.Thing.ThingName}"), "{text}");
        assert!(text.contains("topic/helium/uplinks"), "{text}");
        assert!(!text.contains("shadow"), "no shadow rights unless asked: {text}");
        assert!(policy_document(&integration("a/*"), &prefix).is_err());
        assert!(arn_prefix("nonsense").is_err());
    }

    #[test]
    fn the_monitor_may_watch_the_uplink_topic_and_downlinks_and_publish_only_downlinks() {
        let prefix = arn_prefix("arn:aws:iot:eu-west-1:123456789012:cert/abcd").unwrap();
        let i = integration("helium/uplinks");
        let doc = monitor_policy_document(&i, &prefix).unwrap();
        let p = "arn:aws:iot:eu-west-1:123456789012:";
        assert_eq!(
            doc["Statement"][0]["Resource"],
            format!("{p}client/helium-bridge-monitor-i1")
        );
        assert_eq!(
            doc["Statement"][1]["Resource"],
            json!([
                format!("{p}topicfilter/helium/uplinks"),
                format!("{p}topicfilter/helium/devices/+/down")
            ])
        );
        assert_eq!(doc["Statement"][3]["Action"], "iot:Publish");
        assert_eq!(
            doc["Statement"][3]["Resource"],
            format!("{p}topic/helium/devices/*/down")
        );
        assert!(!doc.to_string().contains("shadow"));
        assert!(is_monitor_thing(&monitor_thing_name(&i)));
        assert!(!is_monitor_thing("a1b2c3"));
        assert_ne!(monitor_policy_name(&i), policy_name(&i));
        assert!(monitor_policy_document(&integration("a/*"), &prefix).is_err());
    }

    #[test]
    fn shadow_updates_add_only_the_things_own_shadow_update_topic() {
        let prefix = arn_prefix("arn:aws:iot:eu-west-1:123456789012:cert/abcd").unwrap();
        let mut i = integration("helium/uplinks");
        i.payload.shadow = true;
        let doc = policy_document(&i, &prefix).unwrap();
        assert_eq!(
            doc["Statement"][1]["Resource"],
            serde_json::json!([
                "arn:aws:iot:eu-west-1:123456789012:topic/helium/uplinks",
                "arn:aws:iot:eu-west-1:123456789012:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/update"
            ])
        );
        assert!(doc.to_string().len() <= MAX_POLICY_LEN);
    }
}
