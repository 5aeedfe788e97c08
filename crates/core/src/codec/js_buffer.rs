//! Node's `Buffer` for decoders, as ChirpStack gives them one: the `buffer` package and the two
//! it requires, as published (see `vendor/js/README.md`), each run as a CommonJS module. It is
//! made the first time a script reads `Buffer` (see the prelude): most scripts never do, and it
//! doubled a decoder's memory and tripled its compile time.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rquickjs::{Ctx, Value};

use crate::sync::LockExt;

const BUFFER: &str = concat!(
    "(function () {\n'use strict';\nconst m = { 'base64-js': {}, ieee754: {}, buffer: {} };\n",
    "(function (exports) {\n",
    include_str!("../../vendor/js/base64-js.js"),
    "\n})(m['base64-js']);\n(function (exports) {\n",
    include_str!("../../vendor/js/ieee754.js"),
    "\n})(m.ieee754);\n(function (exports, require) {\n",
    include_str!("../../vendor/js/buffer.js"),
    "\n})(m.buffer, (name) => m[name]);\nreturn m.buffer.Buffer;\n})()"
);

/// The prelude's way to make the constructor, in the calling script's realm. The making is the
/// host's work, not the script's: it does not count against the call's time budget (`deadline`,
/// the decoder's), which moves on by what it took.
pub(super) fn loader(
    deadline: Arc<Mutex<Option<Instant>>>,
) -> impl for<'js> Fn(Ctx<'js>) -> rquickjs::Result<Value<'js>> + 'static {
    move |ctx| {
        let armed = deadline.locked().take();
        let started = Instant::now();
        let made = ctx.eval(BUFFER);
        *deadline.locked() = armed.map(|at| at + started.elapsed());
        made
    }
}
