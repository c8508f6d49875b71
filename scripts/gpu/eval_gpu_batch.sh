#!/usr/bin/env bash
# Evaluate methods at one scale on one GPU: a plain loop over eval/run.py. The sizes are the suites' named
# scale (eval/conf/suite/<suite>.yaml: scales.full-2id = 2 test identities, 12 s adaptation clips, 4 s targets,
# 5 OOD families, 6 views) and the budgets the methods' presets (eval/conf/preset/<method>/<scale>.yaml): this
# script has none of its own. Rows land under scale=full-2id as they are (no relabelling afterwards).
#   bash scripts/gpu/eval_gpu_batch.sh OUT ggtalker|baselines|<method,method,...>
#   (SUITES="novel_view ood_audio", the default; also self_reenact, cross_identity; SCALE=full for the whole suites)
set -euo pipefail
OUT=${1:?usage: eval_gpu_batch.sh OUT ggtalker|baselines}; WHAT=${2:?ggtalker or baselines}
mkdir -p "$OUT"
export GGTALKER_WORKERS=${GGTALKER_WORKERS:-12}
SCALE=${SCALE:-full-2id}
SUITES=${SUITES:-"novel_view ood_audio"}
case "$WHAT" in
  ggtalker) RUNS="ggtalker ggtalker_noprior";;
  baselines) RUNS="wav2lip2d talking_gaussian nerf_talker";;
  *) RUNS=${WHAT//,/ };;
esac
# Render the cases once, in parallel, before any method runs (instant when warm.sh already did).
PREP_SUITES="$SUITES" python scripts/gpu/prepare_cases.py "$SCALE"
for suite in $SUITES; do
  for m in $RUNS; do
    t0=$(date +%s)
    python eval/run.py method="$m" suite="$suite" scale="$SCALE" device=cuda \
      out_dir="$OUT/records" leaderboard_dir="$OUT/leaderboards" > "$OUT/$m.$suite.log" 2>&1 \
      && echo "$m $suite ok $(( $(date +%s) - t0 )) s" || { echo "$m $suite FAILED"; tail -n 15 "$OUT/$m.$suite.log"; }
  done
done
for f in "$OUT"/leaderboards/*.csv; do echo "== $f"; cat "$f"; done
