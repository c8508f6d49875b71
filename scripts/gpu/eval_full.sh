#!/usr/bin/env bash
# ggtalker and ggtalker_noprior on novel_view and ood_audio at scale=full (the whole suites) on one GPU:
# a plain loop over eval/run.py; the budget is each method's eval/conf/preset/<method>/full.yaml.
#   bash scripts/gpu/eval_full.sh OUT
set -euo pipefail
OUT=${1:?usage: eval_full.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
for suite in novel_view ood_audio; do
  for method in ggtalker ggtalker_noprior; do
    python eval/run.py method="$method" suite="$suite" scale=full device=cuda \
      out_dir="$OUT/runs" leaderboard_dir="$OUT/leaderboards" 2>&1 | tee "$OUT/${method}_${suite}.log"
  done
done
for f in "$OUT"/leaderboards/*.csv; do echo "== $f"; cat "$f"; done
