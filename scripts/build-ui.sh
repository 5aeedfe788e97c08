#!/usr/bin/env bash
# Builds ui/dist (type-check + Vite) unless it is newer than every UI source, so that an
# unchanged UI does not make cargo re-embed it and rebuild the desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=ui/dist/index.html
if [ -f "$stamp" ] && [ -z "$(find ui/src ui/public ui/index.html ui/package-lock.json ui/vite.config.ts ui/tsconfig.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "==> UI is up to date (ui/dist)"
  exit 0
fi
echo "==> Building the UI"
npm --prefix ui run build
