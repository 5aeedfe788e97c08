//! Each integration's health as a user needs it: the worst real state of its AWS sessions (AWS
//! unreachable is "failing", never green), the uplinks waiting for it, and how many AWS took.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::ConnectionState;
use crate::domain::Integration;

/// A session's state with the device it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionState {
    pub device_id: String,
    pub connected: bool,
    /// `connected`, `stopped`, or why it is not connected.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationHealth {
    pub id: String,
    pub name: String,
    /// Worst first: `failing` (a session cannot connect), `stopped` (the bridge is not running),
    /// `inactive` (turned off), `waiting` (uplinks wait but no session is up yet), `idle` (no
    /// session: nothing to send), `connected`.
    pub state: String,
    pub sessions_connected: u32,
    pub sessions_failing: u32,
    /// One failing session's reason.
    pub last_error: Option<String>,
    /// Uplinks waiting in the outbox for it.
    #[ts(type = "number")]
    pub backlog: i64,
    /// Uplinks AWS acknowledged since the bridge started; a rate is two readings apart.
    #[ts(type = "number")]
    pub delivered: u64,
    pub sessions: Vec<SessionState>,
}

/// What the bridge knows, gathered once for every integration.
pub(crate) struct Readings<'a> {
    pub running: bool,
    pub states: &'a [ConnectionState],
    pub backlog: &'a HashMap<String, i64>,
    pub delivered: &'a HashMap<String, u64>,
}

pub(crate) fn health(integrations: &[Integration], r: &Readings<'_>) -> Vec<IntegrationHealth> {
    integrations
        .iter()
        .map(|i| {
            let prefix = format!("{}/", i.id);
            let sessions: Vec<SessionState> = r
                .states
                .iter()
                .filter(|s| s.side == "integration")
                .filter_map(|s| {
                    s.id.strip_prefix(&prefix).map(|device| SessionState {
                        device_id: device.to_string(),
                        connected: s.connected,
                        detail: s.detail.clone(),
                    })
                })
                .collect();
            let failing: Vec<&SessionState> = sessions
                .iter()
                .filter(|s| !s.connected && s.detail != super::session::STOPPED)
                .collect();
            let connected = sessions.iter().filter(|s| s.connected).count() as u32;
            let backlog = r.backlog.get(&i.id).copied().unwrap_or(0);
            let state = if !r.running {
                "stopped"
            } else if !i.active {
                "inactive"
            } else if !failing.is_empty() {
                "failing"
            } else if connected > 0 {
                "connected"
            } else if backlog > 0 {
                "waiting"
            } else {
                "idle"
            };
            IntegrationHealth {
                id: i.id.clone(),
                name: i.name.clone(),
                state: state.into(),
                sessions_connected: connected,
                sessions_failing: failing.len() as u32,
                last_error: failing.first().map(|s| s.detail.clone()),
                backlog,
                delivered: r.delivered.get(&i.id).copied().unwrap_or(0),
                sessions,
            }
        })
        .collect()
}

/// Every integration's health; `status` is the running bridge's (`None`: not running).
pub(crate) fn integration_health(
    core: &crate::Core,
    status: Option<&super::Status>,
) -> Result<Vec<IntegrationHealth>, crate::store::StoreError> {
    let (integrations, backlog) = {
        let store = core.store();
        (store.list_integrations()?, store.outbox_by_integration()?)
    };
    let states = status.map(|s| s.all()).unwrap_or_default();
    let delivered = status.map(|s| s.delivered()).unwrap_or_default();
    Ok(health(
        &integrations,
        &Readings {
            running: status.is_some(),
            states: &states,
            backlog: &backlog,
            delivered: &delivered,
        },
    ))
}

/// A moment worth a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub title: String,
    pub body: String,
}

/// Turns health readings into the moments a user wants to hear of: an integration starts
/// failing (including at launch), or recovers.
#[derive(Default)]
pub struct HealthAlerts {
    failing: HashMap<String, bool>,
}

impl HealthAlerts {
    pub fn update(&mut self, health: &[IntegrationHealth]) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for h in health {
            let now = h.state == "failing";
            let before = self.failing.insert(h.id.clone(), now).unwrap_or(false);
            if now && !before {
                alerts.push(Alert {
                    title: format!("{} cannot reach AWS", h.name),
                    body: format!(
                        "{}. {} uplink(s) wait and will go out once it connects.",
                        h.last_error.as_deref().unwrap_or("A session cannot connect"),
                        h.backlog
                    ),
                });
            } else if before && !now && h.state == "connected" {
                alerts.push(Alert {
                    title: format!("{} is connected again", h.name),
                    body: "Waiting uplinks are being delivered.".into(),
                });
            } else if before && !now {
                // Turned off or bridge stopped: not a recovery; start afresh.
                self.failing.insert(h.id.clone(), false);
            }
        }
        alerts
    }
}

/// Health while no bridge runs: backlogs only.
pub fn integration_health_stopped(core: &crate::Core) -> Result<Vec<IntegrationHealth>, crate::store::StoreError> {
    integration_health(core, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(id: &str, active: bool) -> Integration {
        Integration {
            id: id.into(),
            name: id.to_uppercase(),
            active,
            ..test_integration()
        }
    }

    fn test_integration() -> Integration {
        serde_json::from_value(serde_json::json!({
            "id": "x", "kind": "aws_iot_core", "name": "x", "active": true, "region": "us-east-1",
            "topic": "t", "endpoint": {"host": null, "port": null, "ca_file": null, "cert_dir": null, "api_url": null},
            "forward_joins": false, "aws": null, "created_at_ms": 0, "updated_at_ms": 0,
            "payload": {"decoded": true, "source_object": true, "shadow": false}
        }))
        .unwrap()
    }

    fn state(id: &str, connected: bool, detail: &str) -> ConnectionState {
        ConnectionState {
            side: "integration".into(),
            id: id.into(),
            name: String::new(),
            connected,
            detail: detail.into(),
        }
    }

    #[test]
    fn one_session_that_cannot_connect_makes_the_integration_failing_not_green() {
        let all = [
            integration("a", true),
            integration("b", true),
            integration("c", false),
            integration("d", true),
        ];
        let states = [
            state("a/dev1", true, "connected"),
            state("a/dev2", false, "disconnected: connection refused"),
            state("b/dev1", true, "connected"),
            state("b/dev2", false, "stopped"),
        ];
        let backlog = HashMap::from([("a".to_string(), 40), ("d".to_string(), 3)]);
        let delivered = HashMap::from([("b".to_string(), 7)]);
        let r = Readings {
            running: true,
            states: &states,
            backlog: &backlog,
            delivered: &delivered,
        };
        let h = health(&all, &r);
        let by = |id: &str| h.iter().find(|x| x.id == id).unwrap();
        assert_eq!(by("a").state, "failing");
        assert_eq!(by("a").last_error.as_deref(), Some("disconnected: connection refused"));
        assert_eq!(
            (by("a").sessions_connected, by("a").sessions_failing, by("a").backlog),
            (1, 1, 40)
        );
        assert_eq!(by("b").state, "connected", "a stopped session is not a failure");
        assert_eq!(by("b").delivered, 7);
        assert_eq!(by("c").state, "inactive");
        assert_eq!(by("d").state, "waiting");
        let stopped = health(&all, &Readings { running: false, ..r });
        assert!(stopped.iter().all(|x| x.state == "stopped"));

        // Failing is told once, recovery once.
        let mut alerts = HealthAlerts::default();
        let first = alerts.update(&h);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0].title, "A cannot reach AWS");
        assert_eq!(
            first[0].body,
            "disconnected: connection refused. 40 uplink(s) wait and will go out once it connects."
        );
        assert!(alerts.update(&h).is_empty(), "not again while it stays failing");
        let mut recovered = h.clone();
        recovered[0].state = "connected".into();
        let again = alerts.update(&recovered);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].title, "A is connected again");
    }
}
