#!/usr/bin/env bash
# Issue 16's must-show 3 on one H200: suite novel_view at scale=full (512², the whole ring of views; adaptation
# sees only the frontal phone clip) for ggtalker and ggtalker_noprior side by side, resumable across calls.
#   GGTALKER_COMMIT=<this checkout's HEAD> OUT=$OUT N=3 bash scripts/gpu/novel_view_full.sh
#   with carry [".whl", ".gl", ".debs", ".gpu_state"]
# N: test identities (default 5, the scale's). LIMIT: seconds for the two runs after the warm-up (default 420).
# Every finished case is a JSON under .gpu_state/novel_view/records; they come back as $OUT/records.tgz. Unpack it
# into .gpu_state/novel_view/ here and carry .gpu_state on the next call: the runner keeps the cases recorded
# under the same fingerprint (the same GGTALKER_COMMIT and configuration) and adapts only the identities that
# still have cases, so keep GGTALKER_COMMIT the same across the calls of one run. A run's leaderboard row is
# written when all its cases are done ($OUT/lb/novel_view.csv).
# Measured: the cases of one identity (the 20 s clip and two views at 512²) take 136 s to render; an
# adaptation about 110 s alone on the GPU (3,000 steps of 8 at 512 px), about 185 s with two other jobs.
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; N=${N:-5}; LIMIT=${LIMIT:-420}
REC=$PWD/.gpu_state/novel_view/records
mkdir -p "$REC"
S="suite=novel_view scale=full device=cuda +suite.params.source.params.n_identities=$N out_dir=$REC leaderboard_dir=$OUT/lb save_videos=0"
WARM_SCALE=full PREP_SUITES=novel_view NID=$N GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
t0=$SECONDS
for m in ggtalker ggtalker_noprior; do
  timeout $((LIMIT - (SECONDS - t0))) python eval/run.py method=$m $S > "$OUT/$m.log" 2>&1 &
  sleep 15
done
wait
tar czf "$OUT/records.tgz" -C "$PWD/.gpu_state/novel_view" records
for m in ggtalker ggtalker_noprior; do echo "== $m"; tail -n 3 "$OUT/$m.log"; done
find "$REC" -name '*.json' -path '*cases*' | sed 's|.*/novel_view/||' | cut -d/ -f1 | sort | uniq -c
