#!/usr/bin/env bash
# The three in-house baselines on SynthTalk suites at one scale, on one GPU: a plain loop over eval/run.py.
#
#   bash scripts/gpu/eval_baselines.sh OUT [SUITES...]      (SCALE=full-2id by default; SCALE=full: whole suites)
#
# Budgets are the methods' presets (eval/conf/preset/<method>/<scale>.yaml), sizes the suites' named scales;
# this script holds neither. Writes OUT/records/<suite>/<method>-<hash>/..., OUT/leaderboards/<suite>.csv and
# OUT/times.txt (wall seconds per method x suite). Stops starting new runs after $BUDGET_S seconds (default
# 450) so one 10-minute call ends in time; the runs it skipped are listed at the end.
set -euo pipefail
OUT=${1:?usage: eval_baselines.sh OUT [SUITES...]}
shift || true
SUITES=${*:-"self_reenact ood_audio novel_view cross_identity"}
SCALE=${SCALE:-full-2id}
BUDGET_S=${BUDGET_S:-450}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
start=$(date +%s)
skipped=()
: > "$OUT/times.txt"
for suite in $SUITES; do
  for method in wav2lip2d talking_gaussian nerf_talker; do
    if (( $(date +%s) - start > BUDGET_S )); then skipped+=("$method/$suite"); continue; fi
    t0=$(date +%s)
    if python eval/run.py method="$method" suite="$suite" scale="$SCALE" device=cuda \
        out_dir="$OUT/records" leaderboard_dir="$OUT/leaderboards" > "$OUT/$method.$suite.log" 2>&1; then rc=0; else rc=$?; fi
    echo "$method $suite rc=$rc wall_s=$(( $(date +%s) - t0 ))" | tee -a "$OUT/times.txt"
    [ "$rc" = 0 ] || tail -n 20 "$OUT/$method.$suite.log"
  done
done
for f in "$OUT"/leaderboards/*.csv; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done
if ((${#skipped[@]})); then echo "skipped (budget ${BUDGET_S}s): ${skipped[*]}"; fi
echo "total_s=$(( $(date +%s) - start ))"
