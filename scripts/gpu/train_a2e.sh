#!/usr/bin/env bash
# Train the full-size A2E prior, its regressor twin and the energy baseline on the GPU machine, then score
# all three on the audio_prior suite (smoke scale; CPU work, run in parallel) and draw the mouth plot.
#   bash scripts/gpu/train_a2e.sh OUT
# Writes OUT/{a2e,a2e_reg}/ (a2e.pt, loss.png, log.json, train_state.pt), OUT/zoo/<name>/ (copy these three
# folders into ggtalker/zoo/ and commit), OUT/leaderboards/audio_prior.csv (smoke-scale suite, checkpoints from OUT).
# EVAL=0 skips the scoring. With >1 GPU the diffusion prior trains with torchrun DDP on all but the last GPU; the regressor uses the last.
# RESUME=1 continues the runs saved in OUT/{a2e,a2e_reg}/train_state.pt (resume=true) on a later call.
set -euo pipefail
OUT=${1:?usage: train_a2e.sh OUT}
mkdir -p "$OUT"
export GGTALKER_CACHE=${GGTALKER_CACHE:-$OUT/cache}
NGPU=$(python -c "import torch; print(torch.cuda.device_count())")
STEPS=${STEPS:-5000}
SCALE=${SCALE:-full}    # SCALE=smoke DEVICE=cpu STEPS=3: a dry run of this script on a CPU machine
DEVICE=${DEVICE:-cuda}
MAXMIN=${MAXMIN:-4}
FIT=${FIT:-}            # FIT=6: fit the one-cycle schedule into 6 minutes (train.py's fit_minutes) on a time-boxed call
T0=$(date +%s)
# The corpus (CPU, 16 workers) once, before the trainers read it from the cache.
python -c "from ggtalker.train.a2e_corpus import build_corpus; build_corpus('$SCALE', workers=16)" 2>&1 | tail -n 2
COMMON="scale=$SCALE steps=$STEPS max_minutes=$MAXMIN zoo_root=$OUT/zoo workers=16 threads=4${FIT:+ fit_minutes=$FIT}${RESUME:+ resume=true}"
if [ "$NGPU" -gt 2 ]; then
  CUDA_VISIBLE_DEVICES=$(seq -s, 0 $((NGPU - 2))) torchrun --standalone --nproc_per_node=$((NGPU - 1)) -m ggtalker.train.a2e \
    $COMMON device=$DEVICE out="$OUT/a2e" zoo=a2e_synthtalk > "$OUT/train_a2e.log" 2>&1 &
  REG_GPU=$((NGPU - 1))
else
  CUDA_VISIBLE_DEVICES=0 python -m ggtalker.train.a2e $COMMON device=$DEVICE out="$OUT/a2e" zoo=a2e_synthtalk > "$OUT/train_a2e.log" 2>&1 &
  REG_GPU=$((NGPU - 1))
fi
P1=$!
CUDA_VISIBLE_DEVICES=$REG_GPU python -m ggtalker.train.a2e $COMMON device=$DEVICE mode=regress out="$OUT/a2e_reg" \
  zoo=a2e_regressor_synthtalk > "$OUT/train_reg.log" 2>&1 &
P2=$!
python -m ggtalker.train.energy scale=$SCALE out="$OUT/energy.npz" zoo=a2e_energy_synthtalk zoo_root="$OUT/zoo"
wait $P1 || { tail -c 3000 "$OUT/train_a2e.log"; exit 1; }
wait $P2 || { tail -c 3000 "$OUT/train_reg.log"; exit 1; }
tail -c 400 "$OUT/train_a2e.log"; echo; tail -c 400 "$OUT/train_reg.log"; echo
echo "training done after $(( $(date +%s) - T0 )) s"
# EVAL=0: stop here (score later, e.g. on another call: the zoo entries in OUT/zoo are all it needs).
[ "${EVAL:-1}" = 0 ] && exit 0
python -c "from ggtalker.synth.audio_prior import audio_prior_cases; audio_prior_cases('smoke')"  # cases once, before parallel readers
# Score with the new checkpoints (the runner accepts a checkpoint path instead of the zoo entry).
for m in a2e a2e_regressor a2e_energy; do
  case $m in a2e) CK="$OUT/a2e/a2e.pt";; a2e_regressor) CK="$OUT/a2e_reg/a2e.pt";; a2e_energy) CK="$OUT/energy.npz";; esac
  OMP_NUM_THREADS=4 python eval/run.py method=$m suite=audio_prior scale=smoke +method.params.checkpoint="$CK" \
    out_dir="$OUT/eval" leaderboard_dir="$OUT/lb_$m" > "$OUT/eval_$m.log" 2>&1 &
done
wait
mkdir -p "$OUT/leaderboards"
python - "$OUT" <<'PY'
import sys, pandas as pd, pathlib
out = pathlib.Path(sys.argv[1])
rows = pd.concat([pd.read_csv(p) for p in sorted(out.glob("lb_*/audio_prior.csv"))])
rows.to_csv(out / "leaderboards" / "audio_prior.csv", index=False)
cols = ["method"] + [c for c in rows.columns if c.startswith("lve")] + ["mouth_corr", "expr_mse"]
print(rows[cols].to_string(index=False))
PY
python scripts/bench_a2e.py --threads 2 --checkpoint "$OUT/a2e/a2e.pt" 2>&1 | tail -n 3 || true
echo "total $(( $(date +%s) - T0 )) s"
