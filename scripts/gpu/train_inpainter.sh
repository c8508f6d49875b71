#!/usr/bin/env bash
# Train only the Body Inpainter prior on one GPU (a few minutes). Usage: bash scripts/gpu/train_inpainter.sh OUT
set -euo pipefail
OUT=${1:?usage: train_inpainter.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
DATA_ARGS=()
if [[ -n "${CORPUS:-}" ]]; then DATA_ARGS=(--data "$CORPUS"); fi
python scripts/train_visual_priors.py --scale full --device cuda --threads 4 --workers 12 --n-identities 96 \
  --only inpainter --inp-steps 3000 --batch 8 --out "$OUT" "${DATA_ARGS[@]}" 2>&1 | tee "$OUT/train_inpainter.log"
