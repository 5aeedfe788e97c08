// This file is generated from Rust by `cargo test -p helium-bridge-core` (ts-rs). Do not edit.
export type AppInfo = { name: string, version: string, data_dir: string, 
/**
 * Set when the app could not open its data (e.g. another process holds the data dir).
 */
startup_error: string | null, };
export type IntegrationKind = "aws_iot_core";
export type Integration = { id: string, kind: IntegrationKind, name: string, active: boolean, region: string, topic: string, created_at_ms: number, updated_at_ms: number, };
export type LabelSummary = { id: string, name: string, device_count: number, integration_count: number, };
export type Device = { 
/**
 * Device id = AWS IoT thing name.
 */
id: string, name: string, dev_eui: string, app_eui: string | null, devaddr: string | null, 
/**
 * The Helium-side source the device was last seen on.
 */
source: string, last_seen_ms: number | null, uplinks: number, downlinks: number, errors: number, };
export type IpcError = { message: string, };
