//! User decoders in JavaScript, run unchanged in an embedded QuickJS (as ChirpStack does):
//! Helium Console's `function Decoder(bytes, port, uplink_info)` and ChirpStack/TTN v3's
//! `function decodeUplink(input)` returning `{data, warnings, errors}`.
//!
//! Sandboxed: QuickJS has no file system or network of its own and none is added; each call
//! has a wall-clock budget (an interrupt) and the runtime a memory cap, so an infinite loop, a
//! runaway allocation, a throw, a huge or non-JSON result each end as an error for that uplink
//! and the bridge goes on. A script is compiled once per change, not per uplink.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Runtime, Value};

use serde_json::value::RawValue;

use super::js_errors::{caught, cut};
use crate::sync::LockExt;

/// How long one call may run.
pub const CALL_BUDGET: Duration = Duration::from_millis(100);
/// The memory one decoder's runtime may hold, script and all.
pub const MEMORY_CAP: usize = 32 * 1024 * 1024;
/// The largest result, as JSON: AWS takes 128 KB for the whole message.
pub const MAX_RESULT: usize = 64 * 1024;

/// The shape of a script's entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsShape {
    /// `function Decoder(bytes, port, uplink_info)` → the decoded value.
    Helium,
    /// `function decodeUplink(input)` → `{data, warnings, errors}`.
    DecodeUplink,
}

impl JsShape {
    /// `decodeUplink(input)`: the function a script of this shape defines, as users write it.
    pub fn signature(self) -> String {
        format!("{}({})", self.entry(), self.params())
    }

    fn entry(self) -> &'static str {
        match self {
            JsShape::Helium => "Decoder",
            JsShape::DecodeUplink => "decodeUplink",
        }
    }

    fn params(self) -> &'static str {
        match self {
            JsShape::Helium => "bytes, port, uplink_info",
            JsShape::DecodeUplink => "input",
        }
    }
}

/// A script that could not be compiled, or a call that failed; the message says where
/// (`line 3: ReferenceError: x is not defined`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsError(pub String);

/// A compiled decoder: its own runtime and context, shared by the sources that use it (calls
/// take turns).
pub struct JsDecoder {
    shape: JsShape,
    /// Members left undefined are written as null: a `decodeUplink` codec's, and a Console
    /// `Decoder` run as one (a ChirpStack/TTN user's script; The Things Stack writes them so).
    undefined_as_null: bool,
    /// The entry point declares a third parameter (`uplink_info`).
    wants_info: bool,
    context: Context,
    /// What `console.log` printed during the running call.
    logs: Arc<Mutex<Vec<String>>>,
    /// When the running call must stop; read by the interrupt handler.
    deadline: Arc<Mutex<Option<Instant>>>,
    runtime: Runtime,
}

/// What a call said besides its result: the lines it printed with `console.log`, and the
/// warnings a `decodeUplink` returned.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Said {
    pub console: Vec<String>,
    pub warnings: Vec<String>,
}

/// The most queued jobs (an `await`'s continuations) run after a call.
const MAX_JOBS: usize = 10_000;

/// What a call returned: its result as JSON text, and whether a `decodeUplink` left `data`
/// undefined (written as null, it is still no data).
struct Called {
    json: String,
    no_data: bool,
}

/// The most `console.log` lines (and `decodeUplink` warnings) kept from one call, and the
/// longest line.
const MAX_LOG_LINES: usize = 100;
const MAX_LOG_LINE: usize = 1000;

impl std::fmt::Debug for JsDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsDecoder").field("shape", &self.shape).finish()
    }
}

impl JsDecoder {
    /// Compiles `script`. It must define `shape`'s entry point, or else the other shape's: a
    /// Console script pasted as a `decodeUplink` codec still runs, and the other way round.
    pub fn compile(shape: JsShape, script: &str) -> Result<JsDecoder, JsError> {
        let asked = shape;
        let fail = |e: rquickjs::Error| JsError(format!("the JavaScript engine could not start: {e}"));
        let runtime = Runtime::new().map_err(fail)?;
        runtime.set_memory_limit(MEMORY_CAP);
        runtime.set_max_stack_size(512 * 1024);
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
        let watch = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            watch.locked().is_some_and(|d| Instant::now() >= d)
        })));
        let context = Context::full(&runtime).map_err(fail)?;
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = logs.clone();
        *deadline.locked() = Some(Instant::now() + CALL_BUDGET);
        let compiled = context.with(|ctx| -> Result<(JsShape, bool), JsError> {
            let engine = |e: rquickjs::Error| JsError(format!("the JavaScript engine could not start: {e}"));
            let log = Function::new(ctx.clone(), move |line: String| {
                let mut logs = sink.locked();
                if logs.len() < MAX_LOG_LINES {
                    logs.push(line.chars().take(MAX_LOG_LINE).collect());
                }
            })
            .map_err(engine)?;
            ctx.globals().set("__helium_log", log).map_err(engine)?;
            // Made when a script first reads `Buffer` (most never do; it doubled a decoder's
            // memory and tripled its compile time).
            let load_buffer = Function::new(ctx.clone(), super::js_buffer::loader(deadline.clone())).map_err(engine)?;
            ctx.globals().set("__helium_load_buffer", load_buffer).map_err(engine)?;
            let host: Object = ctx
                .eval(include_str!("js_prelude.js"))
                .catch(&ctx)
                .map_err(|e| caught("the decoder host could not start", e))?;
            let mut opts = EvalOptions::default();
            opts.global = true;
            opts.strict = false;
            opts.filename = Some("decoder.js".into());
            ctx.eval_with_options::<(), _>(script, opts)
                .catch(&ctx)
                .map_err(|e| caught("the script does not run", e))?;
            // `function Decoder` and `const decodeUplink = …` alike (a top-level `const` is not a
            // property of the global object).
            let entry = |name: &str| -> Option<Function> {
                ctx.eval::<Value, _>(format!("typeof {name} === 'function' ? {name} : undefined"))
                    .ok()
                    .and_then(|v| v.into_function())
            };
            let other = match shape {
                JsShape::Helium => JsShape::DecodeUplink,
                JsShape::DecodeUplink => JsShape::Helium,
            };
            let (shape, f) = match (entry(shape.entry()), entry(other.entry())) {
                (Some(f), _) => (shape, f),
                (None, Some(f)) => (other, f),
                (None, None) => {
                    return Err(JsError(format!(
                        "the script defines no function {}({}) (nor {}({}))",
                        shape.entry(),
                        shape.params(),
                        other.entry(),
                        other.params()
                    )))
                }
            };
            // Console's template declares `uplink_info`, and many scripts never read it: then it
            // is not built for each uplink (that doubled what such a decoder cost).
            let source = ctx
                .eval::<Function, _>("(f) => String(f)")
                .and_then(|show| show.call::<_, String>((f.clone(),)))
                .unwrap_or_default();
            let wants_info = f.get::<_, u32>("length").unwrap_or(3) >= 3 && reads_third_param(&source);
            host.set("entry", f).map_err(engine)?;
            if let Some(encode) = entry("encodeDownlink") {
                host.set("encode", encode).map_err(engine)?;
            }
            // Kept where the script can neither replace nor delete it.
            let define: Function = ctx
                .eval("(o) => Object.defineProperty(globalThis, '__helium_host', { value: o })")
                .map_err(engine)?;
            define.call::<_, ()>((host.clone(),)).map_err(engine)?;
            let baseline: Function = host.get("baseline").map_err(engine)?;
            baseline.call::<_, ()>(()).map_err(engine)?;
            Ok((shape, wants_info))
        });
        *deadline.locked() = None;
        let (shape, wants_info) = compiled?;
        logs.locked().clear();
        Ok(JsDecoder {
            undefined_as_null: asked == JsShape::DecodeUplink || shape == JsShape::DecodeUplink,
            shape,
            wants_info: shape == JsShape::Helium && wants_info,
            context,
            logs,
            deadline,
            runtime,
        })
    }

    /// Whether [`JsDecoder::run_json`] needs the uplink's JSON (else pass "").
    pub fn wants_uplink_info(&self) -> bool {
        self.wants_info
    }

    /// The shape the script turned out to have.
    pub fn shape(&self) -> JsShape {
        self.shape
    }

    /// Bytes the decoder's engine holds (its script, the host's globals, what calls left).
    pub fn memory_used(&self) -> i64 {
        self.runtime.memory_usage().memory_used_size
    }

    /// Decodes one payload. `uplink_info` is the Helium JSON of the uplink (for `Decoder`'s third
    /// argument); `recv_ms` is when it was received, in ms since 1970 (`decodeUplink`'s
    /// `input.recvTime`).
    pub fn decode(
        &self,
        bytes: &[u8],
        port: u8,
        uplink_info: &serde_json::Value,
        recv_ms: i64,
    ) -> Result<serde_json::Value, JsError> {
        self.run(bytes, port, uplink_info, recv_ms).0
    }

    /// Like [`JsDecoder::decode`], with what the call printed with `console.log`.
    pub fn run(
        &self,
        bytes: &[u8],
        port: u8,
        uplink_info: &serde_json::Value,
        recv_ms: i64,
    ) -> (Result<serde_json::Value, JsError>, Said) {
        self.run_json(bytes, port, &uplink_info.to_string(), recv_ms)
    }

    /// Like [`JsDecoder::run`], with `uplink_info` already as JSON text (the bridge has it).
    pub fn run_json(
        &self,
        bytes: &[u8],
        port: u8,
        uplink_info: &str,
        recv_ms: i64,
    ) -> (Result<serde_json::Value, JsError>, Said) {
        let (result, said) = self.run_text(bytes, port, uplink_info, recv_ms);
        let result = result.and_then(|raw| {
            serde_json::from_str(raw.get()).map_err(|e| JsError(format!("the result is not JSON: {e}")))
        });
        (result, said)
    }

    /// Like [`JsDecoder::run_json`], the result as the JSON text the script's value made: what
    /// the bridge publishes, checked but not made a JSON tree (that, and writing the tree out
    /// again, cost about a microsecond an uplink).
    pub fn run_text(
        &self,
        bytes: &[u8],
        port: u8,
        uplink_info: &str,
        recv_ms: i64,
    ) -> (Result<Box<RawValue>, JsError>, Said) {
        // (No collection after each call: QuickJS frees by reference count at once, and its
        // own threshold collects cycles; the memory cap bounds what a script can hold.)
        let result = self.with_budget(|ctx| {
            let out = self.call(&ctx, bytes, port, uplink_info, recv_ms);
            // Whatever the outcome, the next uplink starts from the script as compiled.
            self.reset(&ctx);
            out
        });
        let mut said = Said {
            console: std::mem::take(&mut *self.logs.locked()),
            warnings: Vec::new(),
        };
        let result = result.and_then(|called| match self.shape {
            JsShape::Helium => {
                RawValue::from_string(called.json).map_err(|e| JsError(format!("the result is not JSON: {e}")))
            }
            JsShape::DecodeUplink => {
                let (data, warnings) = decode_uplink_result(&called.json, called.no_data);
                said.warnings = warnings;
                data
            }
        });
        (result, said)
    }

    /// Encodes a downlink given as JSON with the script's `encodeDownlink({data, fPort})`, which
    /// returns `{bytes, fPort, warnings, errors}`: the bytes, and the port the script chose.
    pub fn encode(&self, data: &serde_json::Value, port: Option<u8>) -> Result<(Vec<u8>, Option<u8>), JsError> {
        let result = self.with_budget(|ctx| {
            let f = host::<Value>(&ctx, "encode")
                .ok()
                .and_then(|v| v.into_function())
                .ok_or_else(|| JsError("the decoder defines no encodeDownlink(input)".into()));
            let out = f.and_then(|f| {
                let input = serde_json::json!({ "data": data, "fPort": port });
                let input = ctx
                    .json_parse(input.to_string())
                    .catch(&ctx)
                    .map_err(|e| caught("the input could not be prepared", e))?;
                let out: Value = f
                    .call((input,))
                    .catch(&ctx)
                    .map_err(|e| caught("encodeDownlink failed", e))?;
                let json = ctx
                    .json_stringify(out)
                    .catch(&ctx)
                    .map_err(|e| caught("the result is not JSON", e))?
                    .ok_or_else(|| JsError("encodeDownlink returned nothing".into()))?
                    .to_string()
                    .map_err(|e| JsError(format!("the result is not text: {e}")))?;
                serde_json::from_str::<serde_json::Value>(&json)
                    .map_err(|e| JsError(format!("the result is not JSON: {e}")))
            });
            self.reset(&ctx);
            out
        });
        self.runtime.run_gc();
        self.logs.locked().clear();
        let v = result?;
        if let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) {
            let text: Vec<String> = errors
                .iter()
                .map(|e| e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string()))
                .collect();
            return Err(JsError(format!("encodeDownlink reported: {}", text.join("; "))));
        }
        let bytes = v["bytes"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect::<Option<Vec<u8>>>()
            })
            .ok_or_else(|| JsError("encodeDownlink must return bytes: an array of integers from 0 to 255".into()))?;
        let port = v["fPort"].as_u64().and_then(|p| u8::try_from(p).ok());
        Ok((bytes, port))
    }

    /// Forgets the globals the call created: the next one starts from the script as compiled.
    fn reset(&self, ctx: &Ctx<'_>) {
        // An `await` left jobs queued: run now, within the call's budget (past it, each is
        // stopped at once), so none piles up from one uplink to the next.
        for _ in 0..MAX_JOBS {
            if !ctx.execute_pending_job() {
                break;
            }
        }
        if let Ok(reset) = host::<Function>(ctx, "reset") {
            let _ = reset.call::<_, ()>(());
        }
    }

    fn call(&self, ctx: &Ctx<'_>, bytes: &[u8], port: u8, uplink_info: &str, recv_ms: i64) -> Result<Called, JsError> {
        let entry = self.shape.entry();
        let f: Function = host(ctx, "entry").map_err(|e| JsError(format!("{entry} cannot be called: {e}")))?;
        // Plain arrays and objects made in the script's realm: scripts mutate `bytes`.
        let engine = |e: rquickjs::Error| JsError(format!("the input could not be prepared: {e}"));
        let array = rquickjs::Array::new(ctx.clone()).map_err(engine)?;
        for (i, b) in bytes.iter().enumerate() {
            array.set(i, *b).map_err(engine)?;
        }
        let out: Value = match self.shape {
            JsShape::Helium => {
                // Empty when the script's Decoder neither declares nor reads a third argument (see
                // `reads_third_param`): not worth building.
                let info = match uplink_info {
                    "" => Value::new_undefined(ctx.clone()),
                    json => ctx
                        .json_parse(json)
                        .catch(ctx)
                        .map_err(|e| caught("the input could not be prepared", e))?,
                };
                f.call((array, port, info))
            }
            JsShape::DecodeUplink => {
                let input = Object::new(ctx.clone()).map_err(engine)?;
                input.set("bytes", array).map_err(engine)?;
                input.set("fPort", port).map_err(engine)?;
                let date: Function = host(ctx, "date").map_err(engine)?;
                input
                    .set("recvTime", date.call::<_, Value>((recv_ms as f64,)).map_err(engine)?)
                    .map_err(engine)?;
                input
                    .set("variables", Object::new(ctx.clone()).map_err(engine)?)
                    .map_err(engine)?;
                f.call((input,))
            }
        }
        .catch(ctx)
        .map_err(|e| caught(&format!("{entry} failed"), e))?;
        if out.is_promise() {
            return Err(JsError(format!(
                "{entry} returned a Promise: a decoder returns its result itself (no async function, no await)"
            )));
        }
        if out.is_undefined() {
            return Err(JsError(format!(
                "{entry} returned nothing (undefined) for this payload on port {port}"
            )));
        }
        // decodeUplink's undefined members are null, as in ChirpStack and The Things Stack (and
        // a Decoder run as a codec's: see `undefined_as_null`); a Console Decoder's are left
        // out, as JSON.stringify does. But `data` left undefined is no data (an error there
        // too), not null data.
        let nulls = self.undefined_as_null;
        // (Read, not deleted: the object may be frozen. A getter that throws is caught here.)
        let no_data = match out.as_object().filter(|_| self.shape == JsShape::DecodeUplink) {
            Some(o) => o.get::<_, Value>("data").catch(ctx).is_ok_and(|d| d.is_undefined()),
            None => false,
        };
        // Plain values (what decoders return) are written here; JSON.stringify has the rest.
        let plain = super::js_json::PlainJson::new(ctx, nulls).and_then(|p| p.write(&out, MAX_RESULT));
        let json = match plain {
            Some(json) => json,
            None => {
                let out_type = if out.is_function() { "function" } else { out.type_name() };
                let text = match nulls {
                    true => {
                        let or_null: Function = host(ctx, "orNull").map_err(engine)?;
                        ctx.json_stringify_replacer(out, or_null)
                    }
                    false => ctx.json_stringify(out),
                };
                let text = text
                    .catch(ctx)
                    .map_err(|e| caught("the result is not JSON", e))?
                    .ok_or_else(|| JsError(format!("{entry} returned a {}, not a JSON value", out_type)))?
                    .to_string()
                    .map_err(|e| JsError(format!("the result is not text: {e}")))?;
                super::js_json::without_lone_surrogates(text)
            }
        };
        if json.len() > MAX_RESULT {
            return Err(JsError(format!(
                "the result is {} KB as JSON; at most {} KB is allowed",
                json.len() / 1024,
                MAX_RESULT / 1024
            )));
        }
        Ok(Called { json, no_data })
    }

    /// Runs `f` in the context with the call budget armed.
    fn with_budget<T>(&self, f: impl FnOnce(Ctx<'_>) -> Result<T, JsError>) -> Result<T, JsError> {
        *self.deadline.locked() = Some(Instant::now() + CALL_BUDGET);
        let started = Instant::now();
        let r = self.context.with(f);
        *self.deadline.locked() = None;
        r.map_err(|e| {
            if started.elapsed() >= CALL_BUDGET && e.0.contains("interrupted") {
                JsError(format!(
                    "stopped after {} ms (the limit): an endless loop?",
                    CALL_BUDGET.as_millis()
                ))
            } else {
                e
            }
        })
    }
}

/// Whether a function, given its source, may read its third parameter: the parameter's name
/// comes up again, or the function uses `arguments` or `eval` (either can reach it). When
/// unsure (a pattern or a default value in the list, no source), yes.
fn reads_third_param(source: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let whole_words = |name: &str| {
        source
            .match_indices(name)
            .filter(|(at, _)| {
                let before = source[..*at].chars().next_back();
                let after = source[at + name.len()..].chars().next();
                !before.is_some_and(ident) && !after.is_some_and(ident)
            })
            .count()
    };
    let params = source
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| list);
    let Some(third) = params.and_then(|list| list.split(',').nth(2)).map(str::trim) else {
        return true;
    };
    let simple = third
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && third.chars().all(ident);
    !simple || whole_words(third) > 1 || whole_words("arguments") > 0 || whole_words("eval") > 0
}

/// A member of the prelude's host object (see `js_prelude.js`).
fn host<'js, T: rquickjs::FromJs<'js>>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<T> {
    ctx.globals().get::<_, Object>("__helium_host")?.get(name)
}

/// `{data, warnings, errors}`: any error fails the decode; otherwise `data` is the payload.
/// Returned beside it: the warnings (a test shows them). An `errors` or `warnings` that is one
/// string, not a list, counts as one.
fn decode_uplink_result(json: &str, no_data: bool) -> (Result<Box<RawValue>, JsError>, Vec<String>) {
    #[derive(serde::Deserialize)]
    struct Output {
        #[serde(default)]
        errors: serde_json::Value,
        #[serde(default)]
        warnings: serde_json::Value,
        // (Through `present`, `"data": null` is data too: Option alone reads null as none.)
        #[serde(default, deserialize_with = "present")]
        data: Option<Box<RawValue>>,
    }
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
        serde::Deserialize::deserialize(d).map(Some)
    }
    fn texts(v: &serde_json::Value) -> Vec<String> {
        use serde_json::Value as V;
        let one = |e: &V| e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string());
        match v {
            V::Array(items) => items.iter().map(one).collect(),
            // (`errors: ""`, `0`, `false`: nothing to report, as a script's `if (errors)` reads it.)
            V::Null | V::Bool(false) => Vec::new(),
            V::String(s) if s.is_empty() => Vec::new(),
            V::Number(n) if n.as_f64() == Some(0.0) => Vec::new(),
            other => vec![one(other)],
        }
    }
    let not_object = || JsError("decodeUplink must return an object {data, warnings, errors}".into());
    // (JSON.stringify writes no leading space; serde would take an array for the struct too.)
    if !json.starts_with('{') {
        return (Err(not_object()), Vec::new());
    }
    let Ok(o) = serde_json::from_str::<Output>(json) else {
        return (Err(not_object()), Vec::new());
    };
    let mut warnings = texts(&o.warnings);
    warnings.truncate(MAX_LOG_LINES);
    for w in &mut warnings {
        *w = cut(w, MAX_LOG_LINE);
    }
    let errors = texts(&o.errors);
    if !errors.is_empty() {
        return (
            Err(JsError(format!("decodeUplink reported: {}", errors.join("; ")))),
            warnings,
        );
    }
    let data = o.data.filter(|_| !no_data).ok_or_else(|| match warnings.is_empty() {
        true => JsError("decodeUplink returned no data".into()),
        false => JsError(format!(
            "decodeUplink returned no data, only warnings: {}",
            warnings.join("; ")
        )),
    });
    (data, warnings)
}

/// Runs `script`'s `decodeUplink` once on `bytes` (port 1, a fixed time): the tests' shorthand.
#[cfg(test)]
fn decode_once(script: &str, bytes: &[u8]) -> Result<serde_json::Value, JsError> {
    let d = JsDecoder::compile(JsShape::DecodeUplink, script)?;
    d.decode(bytes, 1, &serde_json::json!({}), 1_796_407_200_000)
}

#[cfg(test)]
#[path = "js_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "js_text_tests.rs"]
mod text_tests;

#[cfg(test)]
#[path = "js_buffer_tests.rs"]
mod buffer_tests;
