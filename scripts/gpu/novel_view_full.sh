#!/usr/bin/env bash
# Issue 16's must-show 3 on one H200: suite novel_view at scale=full (512², the whole ring of views; adaptation
# sees only the frontal phone clip) for ggtalker and ggtalker_noprior, every identity of both methods in its own
# process at once (eval/run.py shard=K/N), resumable across calls.
#   GGTALKER_COMMIT=<this checkout's HEAD> OUT=$OUT N=3 METHODS=ggtalker bash scripts/gpu/novel_view_full.sh
#   with carry [".whl", ".gl", ".debs", ".gpu_state"]
# N: test identities (default 5, the scale's). METHODS: default "ggtalker ggtalker_noprior". DEADLINE: seconds
# after the start by which the shards stop (default 555), leaving the gathering runs their time before the
# call's 600 s.
# The runs record every finished case as a JSON under the records folder, packed into $OUT/records.tgz every
# 20 s (a call's files come back only as a few shallow files, so what a stopped call finished comes back in
# the last pack). Unpack it into .gpu_state/novel_view/ here and carry .gpu_state on the next call: it starts
# from them, and the runner keeps the cases recorded under the same fingerprint (the same GGTALKER_COMMIT and
# configuration), so keep GGTALKER_COMMIT the same across the calls of one run. Once every case of a method is
# recorded, a run without shard writes its leaderboard row ($OUT/lb/novel_view.csv). Logs: $OUT/logs.tgz.
# Measured (d0db4db): rendering the cases of 3 identities (3 clips of 20 s and 45 of 5 s at 512², 14 workers
# beside gsplat's build) took 262 s; six adaptations at once (both methods, 3 identities) did not finish one
# in the 278 s left. One adaptation takes about 110 s alone on the GPU (3,000 steps of 8 at 512 px), about
# 185 s with two other jobs.
set -uo pipefail
t0=$SECONDS
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; N=${N:-5}; DEADLINE=${DEADLINE:-555}
METHODS=${METHODS:-ggtalker ggtalker_noprior}
REC=/tmp/nv/records LOGS=/tmp/nv/logs
mkdir -p "$REC" "$LOGS" "$OUT/lb"
[ -d .gpu_state/novel_view/records ] && cp -r .gpu_state/novel_view/records/. "$REC/"
pack() { tar czf "$OUT/records.tgz.part" -C /tmp/nv records && mv "$OUT/records.tgz.part" "$OUT/records.tgz"; }
(while sleep 20; do pack; done) &
PACKER=$!
S="suite=novel_view scale=full device=cuda +suite.params.source.params.n_identities=$N out_dir=$REC leaderboard_dir=$OUT/lb save_videos=0"
WARM_SCALE=full PREP_SUITES=novel_view NID=$N GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$LOGS/warm.log" 2>&1
echo "warm done at $((SECONDS - t0)) s"
for m in $METHODS; do
  for ((k = 0; k < N; k++)); do
    OMP_NUM_THREADS=2 timeout $((DEADLINE - (SECONDS - t0))) python eval/run.py method=$m $S shard=$k/$N \
      hydra.run.dir=/tmp/nv/hydra/$m$k > "$LOGS/${m}_shard$k.log" 2>&1 &
    SHARDS="${SHARDS:-} $!"
    sleep 2
  done
done
wait $SHARDS
echo "shards done at $((SECONDS - t0)) s"
for m in $METHODS; do  # writes the row when every case is recorded, else goes on with the missing ones
  timeout $((590 - (SECONDS - t0))) python eval/run.py method=$m $S hydra.run.dir=/tmp/nv/hydra/$m \
    > "$LOGS/${m}_gather.log" 2>&1 &
  GATHER="${GATHER:-} $!"
done
wait $GATHER
kill $PACKER; pack; tar czf "$OUT/logs.tgz" -C /tmp/nv logs
for f in "$LOGS"/*_shard*.log "$LOGS"/*_gather.log; do echo "== $f"; grep -E "Error|error:|shard .*recorded" "$f" | tail -n 2; done
find "$REC" -name '*.json' -path '*cases*' | sed "s|$REC/||" | cut -d/ -f2 | sort | uniq -c
echo "end at $((SECONDS - t0)) s"
