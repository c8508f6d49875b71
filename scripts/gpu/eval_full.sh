#!/usr/bin/env bash
# ggtalker and ggtalker_noprior on novel_view and ood_audio at full scale on one GPU, leaderboards under OUT.
#   bash scripts/gpu/eval_full.sh OUT
# Full-scale adaptation budget (per identity, < 5 min on an H200): 600 + 200 visual steps at 256 px,
# 300 inpainter steps, 100 A2E steps with early stopping.
set -euo pipefail
OUT=${1:?usage: eval_full.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
ADAPT="++method.params.adapt.steps_uv=600 ++method.params.adapt.steps_joint=200 ++method.params.adapt.steps_inpaint=300 \
++method.params.adapt.batch=4 ++method.params.adapt.max_side=256 ++method.params.adapt_a2e.steps=100 \
++method.params.max_train_frames=500 ++method.params.chunk=32 ++method.params.progress=false"
for suite in novel_view ood_audio; do
  for method in ggtalker ggtalker_noprior; do
    python eval/run.py method=$method suite=$suite scale=full device=cuda \
      out_dir="$OUT/runs" leaderboard_dir="$OUT/leaderboards" $ADAPT 2>&1 | tee "$OUT/${method}_${suite}.log"
  done
done
for f in "$OUT"/leaderboards/*.csv; do echo "== $f"; cat "$f"; done
