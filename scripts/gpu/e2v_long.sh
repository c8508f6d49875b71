#!/usr/bin/env bash
# A longer E2V prior training, resumable over several H200 calls, each scored by the prior-alone view diagnostic
# (docs/ggtalker-fidelity.md, "Novel views at full scale": at 512² the adapted head is no better than the prior
# alone at 60°, so the prior's side views are the ceiling):
#   GGTALKER_COMMIT=<HEAD> OUT=$OUT bash scripts/gpu/e2v_long.sh            # first call: carry .whl .gl .debs .gsplat_so
#   GGTALKER_COMMIT=<HEAD> OUT=$OUT RESUME=1 bash scripts/gpu/e2v_long.sh   # later calls: carry .gpu_state/e2v_long too
# Fine-tunes the zoo prior e2v_synthtalk_v2 on the full corpus (160 training identities x 24 views at 256 px; v2
# saw 96) for $STEPS steps of 8 on one cosine schedule, $MIN minutes a call. After each call the prior alone (no
# UV or joint steps) is scored on test identities 0-1 from yaw 0/30/60/90 (row prior_long_<step>); the first call
# also scores the zoo prior (row prior_zoo) beside the training.
# Back under $OUT (a call returns 8 files at most): e2v_long.tgz (e2v.ckpt fp16, train_log.json, job.log),
# d_zoo.tgz / d_long<K>.tgz (fit.csv, figures), logs.tgz and the resumable state in 15 MB parts,
# e2v_state.pt.partNN: copy the parts into .gpu_state/e2v_long/ for the next call.
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; MIN=${MIN:-5}; STEPS=${STEPS:-5600}
W=/tmp/gpu_batch/e2v_long
mkdir -p "$W"
if [ -n "${RESUME:-}" ]; then
  ls .gpu_state/e2v_long/e2v_state.pt.part* > /dev/null || { echo "RESUME=1 needs .gpu_state/e2v_long/e2v_state.pt.part*"; exit 2; }
  cat .gpu_state/e2v_long/e2v_state.pt.part* > "$W/e2v_state.pt"
fi
VW='--views 0 30 60 90'
# The corpus and the diagnostic's clips render beside the warm-up (each clip under its own lock).
L=/tmp/e2v_long_logs; mkdir -p $L
python -c "from ggtalker.train.visual_corpus import build_visual_corpus as b; b('full', 0, workers=10)" > $L/corpus.log 2>&1 &
GGTALKER_WORKERS=4 python scripts/diagnose_fit.py --scale full --identities 2 $VW --prepare-only > $L/pre.log 2>&1 &
PREP_SUITES=self_reenact NID=2 GGTALKER_WORKERS=4 bash scripts/gpu/warm.sh > $L/warm.log 2>&1
wait
D="python scripts/diagnose_fit.py --scale full --device cuda --identities 2 $VW --csv \$W/fit.csv --media \$W \
--set adapt.steps_uv=0 adapt.steps_joint=0"
T="python -m ggtalker.train.visual_priors --scale full --device cuda --threads 4 --only e2v --init e2v_synthtalk_v2 \
--e2v-steps $STEPS --batch 8 --max-minutes $MIN --ckpt-every 100000 --out $W ${RESUME:+--resume} && cp $W/e2v.pt $W/e2v.ckpt"
JOBS=("e2v_long:$((60 * MIN + 60)):$T")
[ -z "${RESUME:-}" ] && JOBS+=("d_zoo:250:$D --label prior_zoo")
STAGGER=2 bash scripts/gpu/run_batch.sh "${JOBS[@]}" > $L/batch1.log 2>&1
step=$(python -c "import json; print(json.load(open('$W/train_log.json'))['e2v']['steps'])" 2>/dev/null || echo x)
# one process per identity: two scored side by side take the time of one
STAGGER=2 bash scripts/gpu/run_batch.sh "d_long0:150:$D e2v=$W/e2v.pt --only 0 --label prior_long_$step" \
  "d_long1:150:$D e2v=$W/e2v.pt --only 1 --label prior_long_$step" > $L/batch2.log 2>&1
[ -f "$W/e2v_state.pt" ] && split -b 15M -d "$W/e2v_state.pt" "$OUT/e2v_state.pt.part"
tar czf "$OUT/logs.tgz" -C /tmp e2v_long_logs
grep -h "psnr_face" /tmp/gpu_batch/d_*/job.log | grep -v "^  "
ls -la "$OUT"
