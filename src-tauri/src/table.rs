//! The one table of IPC commands. Each entry of [`commands!`] becomes a `#[tauri::command]`
//! function, an entry of the invoke handler, and a typed function in `ui/src/commands.ts`
//! (its argument and result types from `ui/src/bindings.ts`), so a command is declared once.
//! The TypeScript is written by a test, so outside tests that half is unused.
#![cfg_attr(not(test), allow(dead_code))]

use tauri::ipc::Channel;
use ts_rs::TS;

/// A command argument's TypeScript type. Implemented for the types commands take (a missing
/// one is a compile error, not a stale binding); channels stream `T`s to the UI.
pub trait TsArg {
    fn ts() -> String;
}

impl<T: TS> TsArg for Channel<T> {
    fn ts() -> String {
        format!("Channel<{}>", T::name())
    }
}

/// JSON numbers: ids and times fit in an f64's 53 bits.
impl TsArg for i64 {
    fn ts() -> String {
        "number".into()
    }
}

macro_rules! ts_args {
    ($($t:ty),* $(,)?) => {
        $(impl TsArg for $t {
            fn ts() -> String {
                <$t as TS>::name()
            }
        })*
    };
}

use helium_bridge_core::control::Target;
use helium_bridge_core::domain::{DecoderKind, PayloadOptions};
use helium_bridge_core::ipc::{
    CheckKeysInput, NewIntegrationInput, SourceInput, SourceTestInput, UpdateIntegrationInput,
};
use helium_bridge_core::monitor::{Cursor, ExportFormat, MessageFilter};
use helium_bridge_core::store::Settings;

ts_args!(
    String,
    bool,
    u8,
    u32,
    usize,
    MessageFilter,
    Option<Cursor>,
    ExportFormat,
    Vec<Target>,
    Vec<String>,
    Option<String>,
    DecoderKind,
    PayloadOptions,
    Settings,
    SourceInput,
    SourceTestInput,
    CheckKeysInput,
    NewIntegrationInput,
    UpdateIntegrationInput,
);

/// One command's TypeScript function: `name` (snake case), its doc, arguments and result.
pub struct TsCommand {
    pub name: &'static str,
    pub doc: &'static [&'static str],
    pub args: Vec<(&'static str, String)>,
    pub ret: String,
}

/// `list_sources` → `listSources`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the generated file lives, relative to the workspace root.
pub const COMMANDS_PATH: &str = "ui/src/commands.ts";

/// The whole `ui/src/commands.ts`.
pub fn render(commands: &[TsCommand]) -> String {
    let mut types = std::collections::BTreeSet::new();
    for c in commands {
        for t in c.args.iter().map(|(_, t)| t).chain([&c.ret]) {
            for word in t.split(|ch: char| !ch.is_ascii_alphanumeric() && ch != '_') {
                if word.starts_with(|ch: char| ch.is_ascii_uppercase()) && !["Array", "Channel"].contains(&word) {
                    types.insert(word.to_string());
                }
            }
        }
    }
    let mut out = String::from(
        "// Generated from the command table in src-tauri/src/commands.rs by `cargo test -p helium-aws-bridge-desktop`.\n\
         // Do not edit.\n\
         import type { Channel } from \"@tauri-apps/api/core\";\n",
    );
    out += &format!(
        "import type {{ {} }} from \"./bindings\";\nimport {{ call }} from \"./ipc\";\n",
        types.into_iter().collect::<Vec<_>>().join(", ")
    );
    for c in commands {
        out.push('\n');
        if !c.doc.is_empty() {
            out += "/**";
            for line in c.doc {
                out += &format!("\n *{line}");
            }
            out += "\n */\n";
        }
        let params: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let names: Vec<&str> = c.args.iter().map(|(n, _)| *n).collect();
        let args = if names.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", names.join(", "))
        };
        out += &format!(
            "export const {} = ({}): Promise<{}> => call(\"{}\"{args});\n",
            camel(c.name),
            params.join(", "),
            c.ret,
            c.name
        );
    }
    out
}

/// Declares the commands: `sync fn name(state, arg: Type, …) -> Result { body }` (or `async
/// fn`). Every command gets the app's state (as `state`) and returns `Result<Result,
/// IpcError>`; arguments cross by their Rust names.
macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident fn $name:ident ($state:ident $(, $arg:ident : $aty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        $(
            commands!(@one $kind [$($doc)*] $name ($state $(, $arg : $aty)*) -> $ret $body);
        )*

        /// The invoke handler for every command of the table.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The TypeScript side of every command of the table.
        #[cfg_attr(not(test), allow(dead_code))]
        pub fn typescript() -> String {
            $crate::table::render(&[$(
                $crate::table::TsCommand {
                    name: stringify!($name),
                    doc: &[$($doc),*],
                    args: vec![$((stringify!($arg), <$aty as $crate::table::TsArg>::ts())),*],
                    ret: <$ret as ts_rs::TS>::name(),
                }
            ),*])
        }
    };
    // A `sync` command's body runs on a blocking thread, not on the main thread where Tauri runs
    // a plain `fn` command: the main thread also runs the window, and these bodies take the
    // store's lock, which a busy bridge can hold for a while.
    (@one sync [$($doc:literal)*] $name:ident ($state:ident $(, $arg:ident : $aty:ty)*) -> $ret:ty $body:block) => {
        $(#[doc = $doc])*
        #[tauri::command(rename_all = "snake_case")]
        #[allow(unused_variables)]
        pub async fn $name(app: tauri::AppHandle $(, $arg: $aty)*) -> Result<$ret, IpcError> {
            $crate::commands::blocking(move || -> Result<$ret, IpcError> {
                let $state = tauri::Manager::state::<$crate::AppState>(&app);
                // (Bound, so the body's temporaries end before `state` does.)
                #[allow(clippy::let_and_return)]
                let out = $body;
                out
            })
            .await
        }
    };
    (@one async [$($doc:literal)*] $name:ident ($state:ident $(, $arg:ident : $aty:ty)*) -> $ret:ty $body:block) => {
        $(#[doc = $doc])*
        #[tauri::command(rename_all = "snake_case")]
        #[allow(unused_variables)]
        pub async fn $name($state: tauri::State<'_, $crate::AppState> $(, $arg: $aty)*) -> Result<$ret, IpcError> $body
    };
}

pub(crate) use commands;

#[cfg(test)]
mod tests {
    /// Fails when `ui/src/commands.ts` no longer matches the table; run with
    /// `UPDATE_BINDINGS=1` to rewrite it.
    #[test]
    fn generated_commands_are_up_to_date() {
        let path = test_harness::repo_root().join(super::COMMANDS_PATH);
        let want = crate::commands::typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p helium-aws-bridge-desktop commands` and commit it",
            super::COMMANDS_PATH
        );
    }

    #[test]
    fn names_become_camel_case() {
        assert_eq!(super::camel("list_sources"), "listSources");
        assert_eq!(super::camel("app_info"), "appInfo");
    }
}
