#!/usr/bin/env bash
# Installs the system packages livecut needs on Debian 12. Idempotent: when
# everything is already present it makes no network call at all, so repeated
# `make test` runs stay fast and work offline.
set -euo pipefail

packages=(
  pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  ffmpeg            # the CLI is only the tests' independent oracle
  postgresql        # throwaway clusters for the PostgreSQL integration tests
  python3-venv python3-pip   # the official Alibaba Cloud SDK driver used by tests
  nginx libnginx-mod-rtmp    # a real recorder the tests record with (RTMP in, HLS out)
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good   # GStreamer's hlssink2,
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav    # x264enc, openh264enc
  ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup-debian: all ${#packages[@]} system packages present"
  exit 0
fi

echo "setup-debian: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
