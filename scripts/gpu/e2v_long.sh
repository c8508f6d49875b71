#!/usr/bin/env bash
# A longer E2V prior training over several H200 calls. Each call trains the prior further and, side by side,
# scores the prior it started from alone (no UV or joint steps) on test identities 0-1 seen from yaw 0/30/60/90
# (docs/ggtalker-fidelity.md, "Novel views at full scale": at 512² the adapted head is no better than the prior
# alone at 60°, so the prior's side views are the ceiling). Carry .whl .gl .debs .gsplat_so/gsplat_cuda.so.xz, and:
#   GGTALKER_COMMIT=<HEAD> OUT=$OUT LABEL=prior_zoo bash scripts/gpu/e2v_long.sh          # from the zoo's e2v_synthtalk_v2
#   GGTALKER_COMMIT=<HEAD> OUT=$OUT INIT=.gpu_state/e2v_long/e2v.ckpt LABEL=prior_long_<steps> bash scripts/gpu/e2v_long.sh
#       # from the last call's prior (carry that 7 MB file): a warm restart, fresh Adam and cosine schedule
# The exact resume (RESUME=1, from the state's parts in .gpu_state/e2v_long/) needs the 45 MB state carried,
# which with the working tree (36 MB) and the carried wheels (20 MB) is over a call's 64 MiB: so each call is
# a warm restart from the last prior, and the state comes back only with KEEP_STATE=1.
# EXTRA: more visual_priors arguments, e.g. EXTRA="--gen-wrap --scene-code 64" extends the prior it starts from
# (E2VConfig.gen_wrap / gen_scene_code).
# Trains on the full corpus (160 training identities x 24 views at 256 px; v2 saw 96), $STEPS steps of 8 on one
# cosine schedule, $MIN minutes a call.
# Back under $OUT (a call returns 8 files at most): e2v_long.tgz (e2v.ckpt fp16, train_log.json, job.log),
# d0.tgz / d1.tgz (fit.csv and figures of the start prior's row $LABEL), logs.tgz, and with KEEP_STATE=1 the
# resumable state in 15 MB parts e2v_state.pt.partNN (split as soon as training stops, before anything else can
# run out the call's time, which lost them the first time). Keep e2v.ckpt in .gpu_state/e2v_long/ for the next call.
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; MIN=${MIN:-5}; STEPS=${STEPS:-5600}; INIT=${INIT:-e2v_synthtalk_v2}; LABEL=${LABEL:-prior_start}
W=/tmp/gpu_batch/e2v_long
mkdir -p "$W"
START=$INIT
if [ -n "${RESUME:-}" ]; then
  ls .gpu_state/e2v_long/e2v_state.pt.part* .gpu_state/e2v_long/e2v.ckpt > /dev/null || {
    echo "RESUME=1 needs .gpu_state/e2v_long/e2v_state.pt.part* and e2v.ckpt"; exit 2; }
  cat .gpu_state/e2v_long/e2v_state.pt.part* > "$W/e2v_state.pt"
  START=$PWD/.gpu_state/e2v_long/e2v.ckpt   # the state's weights (a resumed state overrides --init's)
fi
[ -f "$START" ] && START=$(realpath "$START")
VW='--views 0 30 60 90'
# The corpus and the diagnostic's clips render beside the warm-up (each clip under its own lock).
L=/tmp/e2v_long_logs; mkdir -p $L
python -c "from ggtalker.train.visual_corpus import build_visual_corpus as b; b('full', 0, workers=10)" > $L/corpus.log 2>&1 &
GGTALKER_WORKERS=4 python scripts/diagnose_fit.py --scale full --identities 2 $VW --prepare-only > $L/pre.log 2>&1 &
PREP_SUITES=self_reenact NID=2 GGTALKER_WORKERS=4 bash scripts/gpu/warm.sh > $L/warm.log 2>&1
wait
date > $L/prepared
D="python scripts/diagnose_fit.py --scale full --device cuda --identities 2 $VW --csv \$W/fit.csv --media \$W \
--set adapt.steps_uv=0 adapt.steps_joint=0 e2v=$START"
T="python -m ggtalker.train.visual_priors --scale full --device cuda --threads 4 --only e2v --init $START \
--e2v-steps $STEPS --batch 8 --max-minutes $MIN --ckpt-every 100000 --out $W ${RESUME:+--resume} ${EXTRA:-}; \
cp $W/e2v.pt $W/e2v.ckpt${KEEP_STATE:+ && split -b 15M -d $W/e2v_state.pt $OUT/e2v_state.pt.part}"
# one scoring process per identity: the two take the time of one
STAGGER=2 bash scripts/gpu/run_batch.sh "e2v_long:$((60 * MIN + 60)):$T" \
  "d0:200:$D --only 0 --label $LABEL" "d1:200:$D --only 1 --label $LABEL" > $L/batch.log 2>&1
tar czf "$OUT/logs.tgz" -C /tmp e2v_long_logs
grep -h "psnr_face" /tmp/gpu_batch/d*/job.log | grep -v "^  "
grep -h "^e2v:" /tmp/gpu_batch/e2v_long/job.log
ls -la "$OUT"
