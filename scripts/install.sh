#!/usr/bin/env bash
# One-command install on a fresh Debian/Ubuntu machine (CPU or CUDA), into the active Python:
#   bash scripts/install.sh
# System packages: espeak-ng (speech for SynthTalk), sox/ffmpeg (audio effects, video), Mesa EGL
# (moderngl renders headless on the CPU through llvmpipe). Python: torch/torchvision pinned to the
# builds checked here (PyPI's CUDA wheels, which also run on CPU: torchvision has no CPU wheel on
# PyPI, and lpips/syncnet need torchvision), then this package with its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium: the report test renders eval/report.py's page headless (Debian's build plays H.264 mp4s).
APT_PKGS="espeak-ng libespeak-ng1 sox ffmpeg libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 chromium"
if command -v apt-get >/dev/null; then
  missing=$(for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi
python -m pip install -q --disable-pip-version-check "torch==2.15.0" "torchvision==0.29.2"
python -m pip install -q --disable-pip-version-check -e ".[dev]"
# SyncNet's model and official LSE entry point (code only; weights are supplied by the user). --no-deps:
# scenedetect 0.6 pins click<8.3, which would downgrade click under huggingface-hub.
python -m pip install -q --disable-pip-version-check --no-deps "syncnet-python==0.2.3" "scenedetect==0.6.7.1"
python -c "import ggtalker, torch, gsplat, moderngl; print('ggtalker-bench installed; torch', torch.__version__)"
