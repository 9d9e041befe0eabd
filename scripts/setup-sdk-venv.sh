#!/usr/bin/env bash
# Creates <repo>/.venv with the pinned official Alibaba Cloud SDK used by the
# tests' SDK driver (tests/sdk/driver.py). Idempotent: a stamp holding the hash
# of requirements.txt lets repeated runs finish without touching pip or the network.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
req="$repo/tests/sdk/requirements.txt"
stamp="$venv/.livecut-sdk-requirements.sha256"

# Debian's interpreter is the one python3-venv (setup-debian.sh) guarantees.
base_python=${LIVECUT_VENV_BASE_PYTHON:-}
if [[ -z "$base_python" ]]; then
  if [[ -x /usr/bin/python3 ]]; then base_python=/usr/bin/python3; else base_python=python3; fi
fi

want=$(sha256sum "$req" | cut -d' ' -f1)

# A venv whose interpreter no longer starts (e.g. the base Python was replaced)
# cannot be repaired in place.
if [[ -e "$venv" ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
  echo "setup-sdk-venv: $venv is broken, recreating"
  rm -rf "$venv"
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-sdk-venv: $venv up to date"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup-sdk-venv: creating $venv with $base_python"
  "$base_python" -m venv "$venv"
fi

echo "setup-sdk-venv: installing $(grep -c '==' "$req") pinned packages"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/python" -c 'import alibabacloud_ice20201109.client, alibabacloud_tea_openapi.models'
echo "$want" >"$stamp"
echo "setup-sdk-venv: done"
