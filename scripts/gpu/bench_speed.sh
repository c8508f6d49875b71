#!/usr/bin/env bash
# Issue 20's GPU speed figures on one H200, into leaderboards/speed.csv (copied to $OUT):
#   GGTALKER_COMMIT=<HEAD> OUT=/root/out bash scripts/gpu/bench_speed.sh
# 1. pipeline: audio -> 512² frames, batched (32 and 64), with the v2 head (zoo e2v_synthtalk_v2, 64k Gaussians);
# 2. stream: a 30 s espeak-ng WAV fed in 80 ms chunks at real-time pace, 512², frames dropped (no encoder).
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}
E2V=${E2V:-e2v_synthtalk_v2}
python scripts/gpu/env_check.py > "$OUT/env.log" 2>&1  # gsplat's JIT build, once per machine
python - <<'PY'
import numpy as np, soundfile as sf
from ggtalker.synth.espeak import synthesize
from ggtalker.synth.sentences import sentences
parts, sr, total = [], None, 0.0
for text in sentences("en", "test") + sentences("en", "train"):
    u = synthesize(text)
    parts.append(u.wav); sr = u.sample_rate; total += len(u.wav) / sr
    if total >= 30.0:
        break
sf.write("/tmp/speech30.wav", np.concatenate(parts)[: int(30 * sr)], sr)
print(f"speech: {min(total, 30.0):.1f} s at {sr} Hz")
PY
python scripts/gpu/bench_pipeline.py "$OUT/b32" --batch 32 --e2v "$E2V" --save-identity /tmp/v2id.pt --record-speed
python scripts/gpu/bench_pipeline.py "$OUT/b64" --batch 64 --e2v "$E2V" --identity /tmp/v2id.pt --record-speed
python scripts/talk.py --identity /tmp/v2id.pt --audio /tmp/speech30.wav --out /tmp/stream.mp4 --stream \
  --chunk-ms 80 --lookahead 2 --size 512 --device cuda --no-video --record-speed
cp leaderboards/speed.csv "$OUT/speed.csv"
