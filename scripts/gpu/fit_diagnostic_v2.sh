#!/usr/bin/env bash
# Next fit diagnostics of the head v2 (docs/ggtalker-fidelity.md, "What is not solved"), one H200 call:
#   OUT=/root/out bash scripts/gpu/fit_diagnostic_v2.sh
# v2p0..2: ggtalker from the v2 prior (zoo e2v_synthtalk_v2), one identity each, 2,000 + 500 steps at 512 px;
# v2n0: the v2 head from scratch (uv 128) on a noise-free training clip (train_tracker_noise=0), the budget of
# the committed noprior_v2_uv128_big row: does the tracker noise explain the 4 dB train/test gap?
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}
PREP_SUITES=self_reenact NID=3 GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
F='--scale full --device cuda --identities 3 --csv $W/fit.csv --media $W'
V2='adapt.one_optimizer=true adapt.lr_final=0.1 adapt.batch=4 adapt.max_side=512 adapt.steps_inpaint=150 adapt_a2e.steps=50 max_train_frames=150 chunk=32 progress=false'
HEAD='e2v_config.uv_res=128 e2v_config.template=head_template_v2 e2v_config.offset_unit=0.01 e2v_config.dynamic_opacity=true e2v_config.gen_levels=4'
P='e2v=e2v_synthtalk_v2 adapt.steps_uv=2000 adapt.steps_joint=500'
export OUT
bash scripts/gpu/run_batch.sh \
  "v2p0:380:python scripts/diagnose_fit.py --method ggtalker --only 0 $F --label ggtalker_v2 --set $V2 $P" \
  "v2p1:380:python scripts/diagnose_fit.py --method ggtalker --only 1 $F --label ggtalker_v2 --set $V2 $P" \
  "v2p2:380:python scripts/diagnose_fit.py --method ggtalker --only 2 $F --label ggtalker_v2 --set $V2 $P" \
  "v2n0:380:python scripts/diagnose_fit.py --method ggtalker_noprior --only 0 $F --label noprior_v2_uv128_exact --source train_tracker_noise=0 --set $V2 $HEAD adapt.steps_uv=3000 adapt.steps_joint=1000"
