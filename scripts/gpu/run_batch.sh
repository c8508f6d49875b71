#!/usr/bin/env bash
# Runs several GPU jobs concurrently on one machine, each under its own time limit, and packs each job's
# results (logs, JSON/CSV, zoo entries; caches excluded) into $OUT/<name>.tgz as soon as it ends.
#   bash scripts/gpu/run_batch.sh "name1:seconds:command ..." "name2:seconds:command ..." ...
# Each job gets its own work folder W=/tmp/gpu_batch/<name> (passed as $W); its output goes to $W/job.log.
set -u
source scripts/gpu/setup_env.sh
OUT=${OUT:?OUT must be set}
ROOT=/tmp/gpu_batch
mkdir -p "$ROOT"
# gsplat's JIT loader takes a file lock and may relink its extension on each process's first render; four
# jobs loading it at once after warm.sh's build crashed two of them ("gsplat_cuda.so: file too short",
# a vanished lock). One serial load first, then the jobs start $STAGGER s apart.
python -c "from gsplat.cuda._backend import _C" > /dev/null 2>&1 || true
# Each job's results are packed the moment it ends, so a call stopped at its limit still brings back the jobs
# that finished (the first try of set views lost a finished job with the three still running).
# Zoo entries (folders with a card.json) go whole into <name>_zoo.tgz; other small files into <name>.tgz
# (training checkpoints with optimizer state stay behind; $OUT takes 16 MB a file and 8 files: a job without
# zoo entries writes no <name>_zoo.tgz).
pack_job() {
  local name=$1
  if [ -n "$(find "$ROOT/$name" -name card.json -print -quit)" ]; then
    (cd "$ROOT" && find "$name" -name card.json -printf '%h\0' | tar czf "$OUT/${name}_zoo.tgz.part" --null -T - \
      && mv "$OUT/${name}_zoo.tgz.part" "$OUT/${name}_zoo.tgz")
  fi
  (cd "$ROOT" && find "$name" -type f -size -12M -not -path '*/cache/*' -not -path '*/corpus/*' \
      -not -path '*/cases/*' -not -name '*.pt' -print0 | tar czf "$OUT/$name.tgz.part" --null -T - \
      && mv "$OUT/$name.tgz.part" "$OUT/$name.tgz")
}
pids=()
first=1
for spec in "$@"; do
  [ $first = 1 ] || sleep "${STAGGER:-10}"; first=0
  name=${spec%%:*}; rest=${spec#*:}; secs=${rest%%:*}; cmd=${rest#*:}
  W=$ROOT/$name; mkdir -p "$W"
  ( export W; t0=$(date +%s); timeout "$secs" bash -c "$cmd" > "$W/job.log" 2>&1; rc=$?
    echo "== $name rc=$rc wall_s=$(( $(date +%s) - t0 ))" | tee -a "$W/job.log"; pack_job "$name" ) &
  pids+=($!)
done
wait "${pids[@]}"
for d in "$ROOT"/*/; do
  name=$(basename "$d")
  echo "---------------- $name (tail)"; tail -n 25 "$d/job.log"
  ls -la "$OUT/$name"*.tgz
done
