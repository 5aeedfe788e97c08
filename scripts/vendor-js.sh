#!/usr/bin/env bash
# Fetches the JavaScript packages decoders get (crates/core/vendor/js) from npm again, checks each
# tarball against the hash in that folder's README, and says whether the files there are the same.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/crates/core/vendor/js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
status=0
while read -r file spec sum; do
  tgz=$(npm pack --silent "$spec")
  echo "$sum  $tgz" | sha256sum --check --quiet
  mkdir -p "$spec" && tar xzf "$tgz" -C "$spec"
  name=${spec%@*}
  for pair in "package/index.js:$file" "package/LICENSE:LICENSE-$name"; do
    if ! cmp -s "$spec/${pair%%:*}" "$dest/${pair##*:}"; then
      echo "differs from $spec: ${pair##*:}" >&2
      status=1
    fi
  done
done <<'LIST'
buffer.js buffer@6.0.3 555b6f49224afcf6b2c5a9aea7cd34a7f443f395b10532bc5580022d57aa51f5
base64-js.js base64-js@1.5.1 b1b7a945b52685269083425216d6597e33d97bf21699d656e92fdb3eb5210a85
ieee754.js ieee754@1.2.1 8ef14b9b397e339db89db97881fb714f49319d8f0eb1275901f45567b28f9dac
LIST
[ "$status" = 0 ] && echo "crates/core/vendor/js is as published"
exit "$status"
