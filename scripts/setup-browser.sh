#!/usr/bin/env bash
# Debian's Chromium and the playwright-core package that drives it, for the browser playback
# tests. Idempotent: installs only what is missing. No browser is downloaded by npm.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium
fi
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [[ ! -d "$repo/tests/browser/node_modules/playwright-core" ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$repo/tests/browser" --no-audit --no-fund
fi
echo "setup-browser: chromium $(dpkg-query -W -f='${Version}' chromium), playwright-core ready"
