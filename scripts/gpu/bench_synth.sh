#!/usr/bin/env bash
# SynthTalk generation speed on the GPU machine (NVIDIA EGL), 512x512, plus a contact sheet to eyeball.
#   bash scripts/gpu/bench_synth.sh OUT_DIR
# Needs EGL (the lead's GL loader debs) and espeak-ng (carried debs). Finishes in a few minutes.
set -euo pipefail
OUT=${1:?usage: bench_synth.sh OUT_DIR}
mkdir -p "$OUT"
export GGTALKER_CACHE="$OUT/cache"
python -c "import moderngl; c = moderngl.create_standalone_context(backend='egl'); print(c.info['GL_RENDERER'], c.info['GL_VERSION'])"
python scripts/bench_synth.py --size 512 --frames 250 --samples 0 --threads 8 --out "$OUT" | tee "$OUT/bench_512.txt"
python scripts/bench_synth.py --size 256 --frames 250 --samples 0 --threads 8 | tee "$OUT/bench_256.txt"
python scripts/contact_sheet.py --out "$OUT/sheet" --size 256 --identities 0 1 2 3 4 5 6 7
python scripts/check_detectors.py --identities 20 --size 512 --out "$OUT/detectors_512.csv" | tee "$OUT/detectors_512.txt"
