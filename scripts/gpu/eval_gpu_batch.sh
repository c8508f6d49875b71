#!/usr/bin/env bash
# Full-resolution (512x512, 25 fps) evaluation sized for one 10-minute call on one H200:
# 2 test identities, 12 s adaptation clips, 4 s targets (2 per identity on self_reenact and cross_identity),
# 5 OOD families, 6 views. What the numbers in leaderboards/*.csv with scale=full-2id come from; the sizes
# are stated in each summary.json.
#   bash scripts/gpu/eval_gpu_batch.sh OUT ggtalker|baselines|<method,method,...>
#   (SUITES="novel_view ood_audio", the default; also self_reenact, cross_identity; NID=5 for 5 identities)
set -euo pipefail
OUT=${1:?usage: eval_gpu_batch.sh OUT ggtalker|baselines}; WHAT=${2:?ggtalker or baselines}
mkdir -p "$OUT"
export GGTALKER_WORKERS=${GGTALKER_WORKERS:-12}
export NID=${NID:-2}  # test identities (the full suites have 5)
# Suite sizes and metrics live in scripts/gpu/prepare_cases.py, which also renders those cases.
COMMON="scale=full device=cuda out_dir=$OUT/records leaderboard_dir=$OUT/leaderboards"
# Render the cases once, in parallel, before any method runs (instant when warm.sh already did).
python scripts/gpu/prepare_cases.py
# Each method's full budget is its YAML's presets.full, which scale=full applies (recorded in summary.json).
case "$WHAT" in
  ggtalker) RUNS="ggtalker ggtalker_noprior";;
  baselines) RUNS="wav2lip2d talking_gaussian nerf_talker";;
  *) RUNS=${WHAT//,/ };;
esac
SUITES=${SUITES:-"novel_view ood_audio"}
for suite in $SUITES; do
  S=$(python scripts/gpu/prepare_cases.py --overrides "$suite")
  for m in $RUNS; do
    t0=$(date +%s)
    # shellcheck disable=SC2086
    python eval/run.py method=$m suite=$suite $COMMON $S > "$OUT/$m.$suite.log" 2>&1 \
      && echo "$m $suite ok $(( $(date +%s) - t0 )) s" || { echo "$m $suite FAILED"; tail -n 15 "$OUT/$m.$suite.log"; }
  done
done
for f in "$OUT"/leaderboards/*.csv; do echo "== $f"; cat "$f"; done
