#!/usr/bin/env bash
# Train GGTalker's visual priors (Expression-Visual prior + Body Inpainter) on one GPU, < 8 min on an H200.
#   bash scripts/gpu/train_e2v.sh OUT            # renders the SynthTalk visual corpus with moderngl EGL first
#   CORPUS=/path/to/clips bash scripts/gpu/train_e2v.sh OUT   # or train on a corpus folder built elsewhere
#   RESUME=1 bash scripts/gpu/train_e2v.sh OUT   # continue from OUT/{e2v,inpainter}_state.pt (a later call)
# Writes OUT/{e2v.pt,inpainter.pt,train_log.json,train.log}; to publish, run the printed zoo command on the
# committed checkout (or copy OUT's files and run with --zoo --data OUT/corpus).
set -euo pipefail
OUT=${1:?usage: train_e2v.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
DATA_ARGS=()
if [[ -n "${CORPUS:-}" ]]; then DATA_ARGS=(--data "$CORPUS"); fi
# 96 identities x 24 views at 256 px (~2300 frames); 12 render processes.
python -m ggtalker.train.visual_priors --scale full --device cuda --threads 4 --workers 12 --n-identities 96 \
  --e2v-steps 3000 --inp-steps 1500 --batch 8 --out "$OUT" ${RESUME:+--resume} "${DATA_ARGS[@]}" 2>&1 | tee "$OUT/train.log"
echo "zoo: python -m ggtalker.train.visual_priors --scale full ... --zoo (or scripts/zoo_add.py); files in $OUT"
