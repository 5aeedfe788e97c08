#!/usr/bin/env bash
# Fetches the JavaScript packages decoders get (crates/core/vendor/js) from npm again, checks each
# tarball against the sha256 in that folder's README table, and says whether the files there are
# the published ones.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/crates/core/vendor/js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
status=0
# README rows: | `buffer.js` | buffer 6.0.3 (`index.js`) | licence | sha256 |
rows=$(grep -E '^\| `[a-z0-9-]+\.js` \|' "$dest/README.md")
[ -n "$rows" ] || { echo "no packages listed in $dest/README.md" >&2; exit 1; }
while IFS='|' read -r _ file package _ sum _; do
  file=$(echo "$file" | tr -d ' `')
  read -r name version _ <<<"$package"
  sum=$(echo "$sum" | tr -d ' ')
  tgz=$(npm pack --silent "$name@$version")
  echo "$sum  $tgz" | sha256sum --check --quiet
  mkdir -p "$name" && tar xzf "$tgz" -C "$name"
  for pair in "package/index.js:$file" "package/LICENSE:LICENSE-$name"; do
    if ! cmp -s "$name/${pair%%:*}" "$dest/${pair##*:}"; then
      echo "differs from $name@$version: ${pair##*:}" >&2
      status=1
    fi
  done
done <<<"$rows"
[ "$status" = 0 ] && echo "crates/core/vendor/js is as published"
exit "$status"
