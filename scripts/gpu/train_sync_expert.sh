#!/usr/bin/env bash
# Full-size sync expert on the GPU machine (renders SynthTalk clips with EGL, trains on CUDA).
#   bash scripts/gpu/train_sync_expert.sh <out_dir>
#   RESUME=1 bash scripts/gpu/train_sync_expert.sh <out_dir>   # continue from <out_dir>/train_state.pt
# Writes <out_dir>/sync_expert.pt, <out_dir>/separation.json and the zoo entry ggtalker/zoo/sync_expert_synthtalk
# (copy that folder back). Sized to finish in under 8 minutes:
# clips render in 14 processes (per-clip time on the GPU machine not measured yet; ~30-50 s per 50-frame clip
# single-process on a loaded 2-core CPU), then training on CUDA.
set -euo pipefail
OUT=${1:?usage: train_sync_expert.sh <out_dir>}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
python -m ggtalker.train.sync_expert --n-train 160 --n-test 40 --steps 6000 --batch 256 --lr 2e-3 \
  --device cuda --threads 2 --workers 14 --out "$OUT" ${RESUME:+--resume} --zoo 2>&1 | tee "$OUT/train.log"
