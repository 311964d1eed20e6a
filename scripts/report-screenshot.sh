#!/usr/bin/env bash
# Renders a `toolgate check` report (index.html) in headless Chromium and writes a PNG.
# usage: scripts/report-screenshot.sh [REPORT_DIR=reports/latest] [OUT_PNG=REPORT_DIR/screenshot.png]
# Needs Debian's `chromium` (apt-get install -y chromium). Runs offline: the page has no network use.
set -euo pipefail
report_dir="${1:-reports/latest}"
out="${2:-$report_dir/screenshot.png}"
html="$(cd "$report_dir" && pwd)/index.html"
[ -f "$html" ] || { echo "report-screenshot: no index.html in \`$report_dir\`; run \`toolgate check --report $report_dir\` first" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "report-screenshot: chromium not found; install it with \`apt-get install -y chromium\`" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1400,2000 \
  --screenshot="$out_abs" "file://$html" >/dev/null 2>&1
[ -s "$out_abs" ] || { echo "report-screenshot: chromium wrote no screenshot" >&2; exit 1; }
echo "$out_abs"
