#!/usr/bin/env bash
# Issue 16's must-show 3 on one H200: suite novel_view at scale=full (512², the whole ring of views; adaptation
# sees only the frontal phone clip) for ggtalker and ggtalker_noprior, every identity of both methods in its own
# process at once (eval/run.py shard=K/N), resumable across calls.
#   GGTALKER_COMMIT=<this checkout's HEAD> OUT=$OUT N=3 bash scripts/gpu/novel_view_full.sh
#   with carry [".whl", ".gl", ".debs", ".gpu_state"]
# N: test identities (default 5, the scale's). DEADLINE: seconds after the start by which the shards stop
# (default 540), leaving the gathering runs their time before the call's 600 s.
# The runs record every finished case as a JSON straight under $OUT/records (so what a stopped call finished
# still comes back). Copy $OUT/records to .gpu_state/novel_view/records here and carry .gpu_state on the next
# call: it starts from them, and the runner keeps the cases recorded under the same fingerprint (the same
# GGTALKER_COMMIT and configuration), so keep GGTALKER_COMMIT the same across the calls of one run. Once every
# case is recorded, a run without shard writes the leaderboard row ($OUT/lb/novel_view.csv).
# Measured: the cases of one identity (the 20 s clip and two views at 512²) take 136 s to render; an
# adaptation about 110 s alone on the GPU (3,000 steps of 8 at 512 px), about 185 s with two other jobs.
set -uo pipefail
t0=$SECONDS
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; N=${N:-5}; DEADLINE=${DEADLINE:-540}
REC=$OUT/records
mkdir -p "$REC"
[ -d .gpu_state/novel_view/records ] && cp -r .gpu_state/novel_view/records/. "$REC/"
S="suite=novel_view scale=full device=cuda +suite.params.source.params.n_identities=$N out_dir=$REC leaderboard_dir=$OUT/lb save_videos=0"
WARM_SCALE=full PREP_SUITES=novel_view NID=$N GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
echo "warm done at $((SECONDS - t0)) s"
for m in ggtalker ggtalker_noprior; do
  for ((k = 0; k < N; k++)); do
    OMP_NUM_THREADS=2 timeout $((DEADLINE - (SECONDS - t0))) python eval/run.py method=$m $S shard=$k/$N \
      > "$OUT/${m}_shard$k.log" 2>&1 &
    sleep 2
  done
done
wait
echo "shards done at $((SECONDS - t0)) s"
for m in ggtalker ggtalker_noprior; do  # writes the row only when every case is recorded, else stops at the first
  timeout $((590 - (SECONDS - t0))) python eval/run.py method=$m $S > "$OUT/${m}_gather.log" 2>&1 &
done
wait
for f in "$OUT"/*_shard*.log "$OUT"/*_gather.log; do echo "== $f"; grep -E "Error|error:|shard .*recorded" "$f" | tail -n 2; done
find "$REC" -name '*.json' -path '*cases*' | sed "s|$REC/||" | cut -d/ -f2 | sort | uniq -c
du -sh .torch_ext 2>/dev/null
echo "end at $((SECONDS - t0)) s"
