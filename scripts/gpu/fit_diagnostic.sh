#!/usr/bin/env bash
# The fit diagnostic rows of leaderboards/fit_diagnostic.csv (docs/ggtalker-fidelity.md), side by side on one H200:
#   OUT=/root/out bash scripts/gpu/fit_diagnostic.sh           (after nothing: it sources setup_env.sh and warms up)
# v1: the first head with its zoo prior at the full-2id budget, 3 identities; v1s: the first head from scratch,
# uv 128, 3,000 + 1,000 steps at 512 px; v2s / v2s128: the head v2 from scratch at uv 256 / 128, same budget.
# Each job's files come back as OUT/<job>.tgz (fit.csv, the figure, job.log); merge the CSVs with
# scripts/diagnose_fit.py's write_rows (ggtalker.bench.fit_diagnostic).
set -uo pipefail
source scripts/gpu/setup_env.sh
OUT=${OUT:?set OUT}
PREP_SUITES=self_reenact NID=3 GGTALKER_WORKERS=14 bash scripts/gpu/warm.sh > "$OUT/warm.log" 2>&1
F='--scale full --device cuda --csv $W/fit.csv --media $W'
V1='adapt.steps_uv=300 adapt.steps_joint=100 adapt.steps_inpaint=150 adapt.batch=4 adapt.max_side=256 adapt_a2e.steps=50 max_train_frames=300 chunk=32 progress=false'
V2='e2v_config.uv_res=256 e2v_config.template=head_template_v2 e2v_config.offset_unit=0.01 e2v_config.dynamic_opacity=true e2v_config.gen_levels=4 adapt.one_optimizer=true adapt.lr_final=0.1 adapt.batch=4 adapt.max_side=512 adapt.steps_inpaint=150 adapt_a2e.steps=50 max_train_frames=150 chunk=32 progress=false'
BIG='adapt.steps_uv=3000 adapt.steps_joint=1000'
export OUT
bash scripts/gpu/run_batch.sh \
  "v1:380:python scripts/diagnose_fit.py --method ggtalker --identities 3 $F --label ggtalker_v1 --set $V1" \
  "v1s:380:python scripts/diagnose_fit.py --method ggtalker_noprior --identities 1 $F --label noprior_v1_uv128_big --set $V1 e2v_config.uv_res=128 adapt.max_side=512 $BIG" \
  "v2s:380:python scripts/diagnose_fit.py --method ggtalker_noprior --identities 1 $F --label noprior_v2_uv256_big --set $V2 $BIG" \
  "v2s128:380:python scripts/diagnose_fit.py --method ggtalker_noprior --identities 1 $F --label noprior_v2_uv128_big --set $V2 e2v_config.uv_res=128 $BIG"
