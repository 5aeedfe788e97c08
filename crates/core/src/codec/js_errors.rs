//! A script's errors as the user reads them: the message, its name and the script's line, cut
//! short; what a script threw that is not an Error; its strings as Rust text.

use rquickjs::{CaughtError, Value};

use super::js::JsError;

/// The longest message a script's error keeps (it goes into `decoded.error`, and the uplink
/// must stay within AWS's 128 KB).
const MAX_ERROR: usize = 1000;

/// A JavaScript error as the user needs it: the message with the script's line number.
pub(super) fn caught(what: &str, e: CaughtError<'_>) -> JsError {
    match e {
        CaughtError::Exception(ex) => {
            let message = ex
                .get::<_, Value>("message")
                .ok()
                .and_then(|m| text_of(&m))
                .unwrap_or_default();
            let name = ex.get::<_, String>("name").unwrap_or_else(|_| "Error".into());
            let line = ex.stack().as_deref().and_then(script_line);
            let message = cut(&message, MAX_ERROR);
            match line {
                Some(l) => JsError(format!("{what}: line {l}: {name}: {message}")),
                None => JsError(format!("{what}: {name}: {message}")),
            }
        }
        CaughtError::Value(v) => JsError(format!("{what}: it threw {}", thrown(&v))),
        CaughtError::Error(e) => JsError(format!("{what}: {e}")),
    }
}

/// What a script threw that is not an Error: a string as it is, anything else as JSON (an
/// object's members say more than its type), cut short.
fn thrown(v: &Value<'_>) -> String {
    const MAX: usize = 200;
    if let Some(s) = text_of(v) {
        return cut(&s, MAX_ERROR);
    }
    let json = v
        .ctx()
        .json_stringify(v.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok());
    match json {
        Some(j) => cut(&j, MAX),
        None if v.is_undefined() => "undefined".into(),
        None => match v.type_name() {
            n if n.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {n}"),
            n => format!("a {n}"),
        },
    }
}

/// A JavaScript string as Rust text, each half of a UTF-16 pair as U+FFFD (such a string is no
/// UTF-8: converted as it is, it gave no text at all). `None` for what is not a string.
pub(super) fn text_of(v: &Value<'_>) -> Option<String> {
    let s = v.as_string()?;
    if let Ok(text) = s.to_string() {
        return Some(text);
    }
    // JSON.stringify writes a lone surrogate as an escape, which can be mended.
    let json = v.ctx().json_stringify(v.clone()).ok()??.to_string().ok()?;
    serde_json::from_str(&super::js_json::without_lone_surrogates(json)).ok()
}

/// `text` cut to `max` characters, an ellipsis saying so.
pub(super) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The first `decoder.js:LINE` in a QuickJS stack trace.
fn script_line(stack: &str) -> Option<u32> {
    let at = stack.find("decoder.js:")? + "decoder.js:".len();
    let digits: String = stack[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
