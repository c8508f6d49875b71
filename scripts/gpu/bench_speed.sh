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
# PIPELINE_BATCHES="32 64" by default; the first batch's run also makes the identity the stream uses.
for b in ${PIPELINE_BATCHES:-32 64}; do
  if [ -f /tmp/v2id.pt ]; then ID=(--identity /tmp/v2id.pt); else ID=(--save-identity /tmp/v2id.pt); fi
  python scripts/gpu/bench_pipeline.py "$OUT/b$b" --batch "$b" --e2v "$E2V" "${ID[@]}" --record-speed
done
python scripts/talk.py --identity /tmp/v2id.pt --audio /tmp/speech30.wav --out /tmp/stream.mp4 --stream \
  --chunk-ms 80 --lookahead 2 --size 512 --device cuda --no-video --record-speed
cp leaderboards/speed.csv "$OUT/speed.csv"
