#!/usr/bin/env bash
# Does the E2V prior give better side views when its training pairs start from frontal sources, as adaptation
# does? (docs/ggtalker-fidelity.md, "Novel views at full scale"). One H200 call, about 9 minutes:
#   GGTALKER_COMMIT=<this checkout's HEAD> OUT=$OUT bash scripts/gpu/e2v_frontal.sh   # carry .whl .gl .debs
# 1. Fine-tunes the zoo prior e2v_synthtalk_v2 for $MIN minutes (default 4) on its own 96-identity corpus, twice
#    side by side: sources within 15 deg of yaw of the front (ft_front) and any source (ft_any: what the same
#    extra steps give alone).
# 2. Scores the prior alone (no UV or joint steps) for the zoo prior and both fine-tuned ones on identities 0-1,
#    seen from yaw 0/30/60/90 (diagnose_fit.py --views: rows prior_zoo, prior_front, prior_any).
# Each job comes back as $OUT/<job>.tgz; a fine-tuned prior is in it as <job>/e2v.ckpt (fp16, 7 MB; the
# resumable state stays behind). Merge the fit.csv files with ggtalker.bench.fit_diagnostic.write_rows.
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}; MIN=${MIN:-4}
VW='--views 0 30 60 90'
# The corpus and the diagnostic's clips render beside the warm-up (each clip under its own lock).
python -c "from ggtalker.train.visual_corpus import build_visual_corpus as b; b('full', 0, workers=8, n_identities=96)" \
  > "$OUT/pre.log" 2>&1 &
GGTALKER_WORKERS=4 python scripts/diagnose_fit.py --scale full --identities 2 $VW --prepare-only >> "$OUT/pre.log" 2>&1 &
PREP_SUITES=self_reenact NID=2 GGTALKER_WORKERS=6 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
wait
T="python -m ggtalker.train.visual_priors --scale full --device cuda --threads 4 --n-identities 96 --only e2v \
--init e2v_synthtalk_v2 --e2v-steps 1500 --batch 8 --max-minutes $MIN --ckpt-every 100000 --out \$W"
KEEP='cp $W/e2v.pt $W/e2v.ckpt'
STAGGER=2 bash scripts/gpu/run_batch.sh \
  "ft_front:$((60 * MIN + 90)):$T --source-max-yaw 15 && $KEEP" \
  "ft_any:$((60 * MIN + 90)):$T && $KEEP"
D="python scripts/diagnose_fit.py --scale full --device cuda --identities 2 $VW --csv \$W/fit.csv --media \$W \
--set adapt.steps_uv=0 adapt.steps_joint=0"
STAGGER=2 bash scripts/gpu/run_batch.sh \
  "d_zoo:150:$D --label prior_zoo" \
  "d_front:150:$D e2v=/tmp/gpu_batch/ft_front/e2v.pt --label prior_front" \
  "d_any:150:$D e2v=/tmp/gpu_batch/ft_any/e2v.pt --label prior_any"
grep -h "psnr_face" /tmp/gpu_batch/d_*/job.log | grep -v "^  "
