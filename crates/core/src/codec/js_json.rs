//! A decoder's result as JSON text, written from Rust for the plain values decoders return:
//! objects and arrays of numbers, strings, booleans and null. QuickJS's `JSON.stringify` made
//! a JavaScript string of every key and number on the way (it was four tenths of what a typical
//! decoder cost per uplink); this writes the same text straight into one buffer. Anything else
//! (a `Date`, a class instance, a `toJSON`, a lone surrogate, a cycle, a result over the size
//! limit) is left to `JSON.stringify`, which then has the last word, errors included.

use std::io::Write as _;

use rquickjs::{Array, Ctx, Object, Type, Value};

/// The deepest nesting written here; deeper (a cycle among them) goes to `JSON.stringify`.
const MAX_DEPTH: usize = 32;

/// The realm's own `Object.prototype` and `Array.prototype` (taken from fresh values, not from
/// the globals a script may have replaced): a value with another prototype is not plain.
pub(super) struct PlainJson<'js> {
    object_proto: Value<'js>,
    array_proto: Value<'js>,
    /// An object's undefined members are written as null (`decodeUplink`), not left out.
    undefined_as_null: bool,
}

impl<'js> PlainJson<'js> {
    pub fn new(ctx: &Ctx<'js>, undefined_as_null: bool) -> Option<PlainJson<'js>> {
        let object_proto = Object::new(ctx.clone()).ok()?.get_prototype()?.into_value();
        let array_proto = Array::new(ctx.clone()).ok()?.as_object().get_prototype()?.into_value();
        Some(PlainJson {
            object_proto,
            array_proto,
            undefined_as_null,
        })
    }

    /// `v` as `JSON.stringify(v)` writes it, or `None` where it is not plain or comes to more
    /// than `limit` bytes (then call `JSON.stringify`).
    pub fn write(&self, v: &Value<'js>, limit: usize) -> Option<String> {
        let mut out = Vec::with_capacity(256);
        match self.value(v, &mut out, 0, limit)? {
            true => String::from_utf8(out).ok(),
            // (undefined or a function: JSON.stringify says so)
            false => None,
        }
    }

    /// Writes `v`; `Some(false)` for what JSON leaves out (undefined, a function, a symbol).
    fn value(&self, v: &Value<'js>, out: &mut Vec<u8>, depth: usize, limit: usize) -> Option<bool> {
        match v.type_of() {
            Type::Undefined | Type::Uninitialized | Type::Symbol | Type::Function | Type::Constructor => {
                return Some(false)
            }
            Type::Null => out.extend_from_slice(b"null"),
            Type::Bool => out.extend_from_slice(if v.as_bool()? { b"true" } else { b"false" }),
            Type::Int => write!(out, "{}", v.as_int()?).ok()?,
            Type::Float => number(v.as_float()?, out),
            // (serde_json escapes as JSON.stringify does: quote, backslash, control characters)
            Type::String => serde_json::to_writer(&mut *out, &v.as_string()?.to_string().ok()?).ok()?,
            Type::Array if depth < MAX_DEPTH => {
                let array = v.as_array()?;
                self.plain(array.as_object(), &self.array_proto)?;
                out.push(b'[');
                for i in 0..array.len() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let item: Value = array.get(i).ok()?;
                    if !self.value(&item, out, depth + 1, limit)? {
                        out.extend_from_slice(b"null");
                    }
                    if out.len() > limit {
                        return None;
                    }
                }
                out.push(b']');
            }
            Type::Object if depth < MAX_DEPTH => {
                let object = v.as_object()?;
                self.plain(object, &self.object_proto)?;
                out.push(b'{');
                let mut first = true;
                for prop in object.props::<String, Value>() {
                    let (key, item) = prop.ok()?;
                    let mark = out.len();
                    if !first {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, &key).ok()?;
                    out.push(b':');
                    if self.value(&item, out, depth + 1, limit)? {
                        first = false;
                    } else if self.undefined_as_null && item.is_undefined() {
                        out.extend_from_slice(b"null");
                        first = false;
                    } else {
                        // Left out, as JSON.stringify leaves out an undefined or function member.
                        out.truncate(mark);
                    }
                    if out.len() > limit {
                        return None;
                    }
                }
                out.push(b'}');
            }
            // A promise, an error, a proxy, a BigInt, too deep: JSON.stringify's.
            _ => return None,
        }
        Some(true)
    }

    /// `Some` when `object` has the prototype a plain one of its kind has (or none, for an
    /// object) and no `toJSON` to call.
    fn plain(&self, object: &Object<'js>, proto: &Value<'js>) -> Option<()> {
        match object.get_prototype() {
            Some(p) if p.as_value() == proto => {}
            None if proto == &self.object_proto => {}
            _ => return None,
        }
        let to_json: Value = object.get("toJSON").ok()?;
        match to_json.is_function() {
            true => None,
            false => Some(()),
        }
    }
}

/// `JSON.stringify`'s text with each lone UTF-16 surrogate (half of a pair: a string cut in the
/// middle of an emoji, `String.fromCharCode(0xd800)`) as U+FFFD, as a UTF-8 decoder reads one.
/// `JSON.stringify` writes them as `\udXXX` escapes: JSON's grammar allows them, but no UTF-8
/// reader takes them (serde_json refuses the text, and with it the whole result).
pub(super) fn without_lone_surrogates(json: String) -> String {
    if !json.contains("\\ud") && !json.contains("\\uD") {
        return json;
    }
    let surrogate = |at: usize| -> Option<u16> {
        let hex = json.get(at..at + 6)?.strip_prefix("\\u")?;
        u16::from_str_radix(hex, 16)
            .ok()
            .filter(|c| (0xD800..=0xDFFF).contains(c))
    };
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match surrogate(i) {
            // A pair written as two escapes stays as it is.
            Some(0xD800..=0xDBFF) if surrogate(i + 6).is_some_and(|low| low >= 0xDC00) => i += 12,
            Some(_) => {
                out.push_str(&json[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape is skipped whole: an escaped backslash's second one starts none.
            None => i += 2,
        }
    }
    out.push_str(&json[copied..]);
    out
}

/// A number as JavaScript writes it: the shortest decimal that reads back the same (zeros
/// after it for large integers, as Rust's `Display` writes them too) from 1e-6 up to 1e21,
/// exponents (with their sign) beyond; NaN and the infinities as `null`, -0 as 0.
fn number(f: f64, out: &mut Vec<u8>) {
    let a = f.abs();
    if !f.is_finite() {
        out.extend_from_slice(b"null");
    } else if a == 0.0 {
        out.push(b'0');
    } else if (1e-6..1e21).contains(&a) {
        let _ = write!(out, "{f}");
    } else {
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((digits, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{digits}e+{exp}");
            }
            _ => out.extend_from_slice(e.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Runtime, Value};

    use super::PlainJson;

    /// Each value `JSON.stringify` writes the same way this does, or (`None`) leaves to it.
    fn both(exprs: &[&str]) -> Vec<(String, Option<String>, Option<String>)> {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let plain = PlainJson::new(&ctx, false).unwrap();
            exprs
                .iter()
                .map(|e| {
                    let v: Value = ctx.eval(format!("({e})")).unwrap();
                    let ours = plain.write(&v, 64 * 1024);
                    let theirs = ctx.json_stringify(v).ok().flatten().map(|s| s.to_string().unwrap());
                    (e.to_string(), ours, theirs)
                })
                .collect()
        })
    }

    #[test]
    fn plain_results_are_written_as_json_stringify_writes_them() {
        let cases = [
            r#"{battery_mv: 3300, status: 1, temperature: 21.37, humidity: 48.5, mode: "IAQ", ext: [1, 2, 65535], port: 2}"#,
            "[1, -1, 0, -0, 0.5, -2.25, 1e21, 1.5e300, 1e-7, 1.25e-12, 0.000001, 0.0000015, 1e20, 9007199254740993, 123456789.125]",
            "[0.1 + 0.2, 1 / 3, -1e-300, 5e-324, 1.7976931348623157e308, 2 ** 53, -(2 ** 60)]",
            "[NaN, Infinity, -Infinity, undefined, function () {}, Symbol('s'), null, true, false]",
            r#"{a: undefined, b: function () {}, c: 1, d: Symbol("x"), e: null}"#,
            r#"{10: "ten", 2: "two", b: 1, a: 2, "1.5": 3, "-1": 4}"#,
            r#"["quote \" backslash \\ slash / nl \n cr \r tab \t bs \b ff \f nul \0 esc \x1b del \x7f", "é ü 中 😀 \u2028"]"#,
            "{nested: {deeper: {deepest: [[], {}, [[1]]]}}, empty: '', holes: [1, , 3]}",
            "Object.assign(Object.create(null), {x: 1})",
            r#"(() => { const o = {}; Object.defineProperty(o, "hidden", {value: 1}); o.shown = 2; return o; })()"#,
            r#"(() => { const o = {get g() { return 7; }}; return o; })()"#,
            "42",
            "-0.5",
            r#""text""#,
            "[]",
        ];
        for (e, ours, theirs) in both(&cases) {
            assert!(ours.is_some(), "{e}: should be plain");
            assert_eq!(ours, theirs, "{e}");
        }
    }

    #[test]
    fn what_is_not_plain_is_left_to_json_stringify() {
        let cases = [
            "new Date(0)",
            "{when: new Date(0)}",
            "{toJSON() { return 1; }}",
            "new (class Point { constructor() { this.x = 1; } })()",
            "new Number(3)",
            "new Map([[1, 2]])",
            "new Uint8Array([1, 2])",
            r#"["\ud800"]"#,
            "(() => { const a = []; a.push(a); return a; })()",
            "undefined",
            "function () {}",
            "new Proxy({}, {})",
            "new Error('x')",
        ];
        for (e, ours, _) in both(&cases) {
            assert_eq!(ours, None, "{e}: should be JSON.stringify's");
        }
        // A prototype toJSON, as a script that extends Object.prototype may add, is called too.
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let plain = PlainJson::new(&ctx, false).unwrap();
            let v: Value = ctx
                .eval("Object.prototype.toJSON = function () { return 'mine'; }; ({a: 1})")
                .unwrap();
            assert_eq!(plain.write(&v, 1024), None);
        });
    }

    #[test]
    fn a_result_over_the_limit_is_left_to_json_stringify() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let plain = PlainJson::new(&ctx, false).unwrap();
            let v: Value = ctx.eval("Array.from({length: 1000}, (_, i) => i)").unwrap();
            assert_eq!(plain.write(&v, 100), None);
            assert!(plain.write(&v, 10_000).is_some_and(|s| s.len() > 100));
        });
    }
}
