#!/usr/bin/env bash
# Convergence curves of the in-house baselines (issue 22; docs/baselines.md, "Convergence curves") on one H200:
#   GGTALKER_COMMIT=<this checkout's HEAD> OUT=/root/out bash scripts/gpu/baseline_curves.sh
# Three jobs side by side, one per method (talking_gaussian, nerf_talker, wav2lip2d), each training the $NID
# identities of self_reenact at full scale (full-2id sizes: 512², a 12 s adaptation clip, its last 20 % held out)
# one after another for $STEPS steps, scoring the held-out frames every $EVERY steps (nerf_talker every
# $EVERY_NERF: its full-frame renders cost the most), each identity stopped at its first evaluation past $MAX_S
# training seconds. Warm-up (~190 s) + the jobs ($JOB_S s each, concurrent) fit a 10-minute call.
# The rows' seconds are measured with three jobs sharing the GPU: they are not one job's speed.
# RESUME=1 continues every identity from its training state (saved every 5 × EVERY steps under
# /tmp/gpu_batch/<job>/curves/state: only a machine still warm from the previous call has it), with the time
# cap counted over all calls: raise MAX_S (issue 22's cap: 600 s per identity) to let each identity train on.
# Each job's CSV, plot and summary JSON come back as OUT/<job>.tgz (training states stay behind); merge the CSVs
# into leaderboards/curves/<method>.csv with ggtalker.bench.records.upsert_csv (key ggtalker.train.curves.KEY).
# No videos are written (the GPU machine has no PyAV).
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}
NID=${NID:-3}; STEPS=${STEPS:-3000}; EVERY=${EVERY:-50}; EVERY_NERF=${EVERY_NERF:-100}; MAX_S=${MAX_S:-90}
JOB_S=${JOB_S:-340}; VAL_FRAMES=${VAL_FRAMES:-6}
PREP_SUITES=self_reenact NID=$NID GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
R=${RESUME:+--resume}
C="python scripts/baseline_curves.py --scale full --device cuda --identities $NID --steps $STEPS --max-seconds $MAX_S --val-frames $VAL_FRAMES --out \$W/curves $R"
export OUT
bash scripts/gpu/run_batch.sh \
  "tg:$JOB_S:$C --method talking_gaussian --every $EVERY" \
  "nerf:$JOB_S:$C --method nerf_talker --every $EVERY_NERF" \
  "w2l:$JOB_S:$C --method wav2lip2d --every $EVERY"
