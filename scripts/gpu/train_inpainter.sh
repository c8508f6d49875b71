#!/usr/bin/env bash
# Train only the Body Inpainter prior on one GPU (a few minutes). Usage: bash scripts/gpu/train_inpainter.sh OUT
# RESUME=1 continues from OUT/inpainter_state.pt.
set -euo pipefail
OUT=${1:?usage: train_inpainter.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
DATA_ARGS=()
if [[ -n "${CORPUS:-}" ]]; then DATA_ARGS=(--data "$CORPUS"); fi
python -m ggtalker.train.visual_priors --scale full --device cuda --threads 4 --workers 12 --n-identities 96 \
  --only inpainter --inp-steps 3000 --batch 8 --out "$OUT" ${RESUME:+--resume} "${DATA_ARGS[@]}" 2>&1 | tee "$OUT/train_inpainter.log"
