#!/usr/bin/env bash
# Fetches the front-end libraries from the npm registry into static/vendor/<name>/, with their licence and
# a VERSION file. Run by `make vendor`; the result is committed, so building needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# vendor NAME VERSION FILE... : copies package/FILE from the npm tarball of NAME@VERSION.
vendor() {
  local pkg=$1 version=$2; shift 2
  local dir="static/vendor/${pkg#@*/}"
  (cd "$work" && npm pack --silent "$pkg@$version" >/dev/null)
  local tgz
  tgz=$(ls "$work"/*.tgz)
  mkdir -p "$work/x" "$dir"
  tar xzf "$tgz" -C "$work/x"
  for f in "$@"; do cp "$work/x/package/$f" "$dir/"; done
  for l in LICENSE LICENSE.md license LICENSE.txt; do
    if [ -f "$work/x/package/$l" ]; then cp "$work/x/package/$l" "$dir/LICENSE"; break; fi
  done
  printf '%s@%s from the npm registry\n' "$pkg" "$version" > "$dir/VERSION"
  rm -rf "$work/x" "$tgz"
  echo "vendored $pkg@$version into $dir"
}

vendor htmx.org 2.0.11 dist/htmx.min.js
vendor drawflow 0.0.60 dist/drawflow.min.js dist/drawflow.min.css
vendor @dagrejs/dagre 1.1.4 dist/dagre.min.js
vendor chart.js 4.5.1 dist/chart.umd.min.js
