#!/usr/bin/env bash
# Model selection for the A2E prior on the GPU machine: train several configurations at once (one shared
# corpus, round-robin over the GPUs), each to STEPS under the same time box, and pack each candidate's
# a2e.pt, log.json and loss.png into OUT/<name>.tgz. Score them on the validation split, never the test suite:
#   python eval/run.py method=a2e suite=audio_prior_val +method.params.checkpoint=<name>/a2e.pt
# Usage (after `source scripts/gpu/setup_env.sh`):
#   bash scripts/gpu/train_a2e_candidates.sh OUT "b256:batch=256" "b256_reg:batch=256 mode=regress" ...
# RESUME=1 continues each candidate from WORK/<name>/train_state.pt.
set -euo pipefail
OUT=${1:?usage: train_a2e_candidates.sh OUT "name:key=value ..." ...}
shift
[ $# -gt 0 ] || { echo "no candidates given" >&2; exit 2; }
STEPS=${STEPS:-5000}
SCALE=${SCALE:-full}    # SCALE=smoke DEVICE=cpu STEPS=3: a dry run on a CPU machine
DEVICE=${DEVICE:-cuda}
MAXMIN=${MAXMIN:-8}
WORK=${WORK:-/tmp/a2e_candidates}
mkdir -p "$OUT" "$WORK"
NGPU=$(python -c "import torch; print(max(1, torch.cuda.device_count()))")
T0=$(date +%s)
python -c "from ggtalker.train.a2e_corpus import build_corpus; build_corpus('$SCALE', workers=16)" 2>&1 | tail -n 1
echo "corpus ready after $(( $(date +%s) - T0 )) s"
THREADS=$(( 16 / $# > 1 ? 16 / $# : 1 ))
i=0; pids=(); names=()
for spec in "$@"; do
  name=${spec%%:*}; overrides=${spec#*:}
  # shellcheck disable=SC2086  # the overrides are separate key=value words
  CUDA_VISIBLE_DEVICES=$(( i % NGPU )) python -m ggtalker.train.a2e scale=$SCALE device=$DEVICE steps="$STEPS" \
    max_minutes="$MAXMIN" threads=$THREADS workers=16 ${RESUME:+resume=true} $overrides out="$WORK/$name" > "$WORK/$name.log" 2>&1 &
  pids+=($!); names+=("$name"); i=$(( i + 1 ))
done
for k in "${!pids[@]}"; do
  rc=0; wait "${pids[$k]}" || rc=$?
  echo "== ${names[$k]} rc=$rc"; tail -c 300 "$WORK/${names[$k]}.log"; echo
  (cd "$WORK" && tar czf "$OUT/${names[$k]}.tgz" "${names[$k]}.log" $(cd "$WORK" && ls "${names[$k]}"/{a2e.pt,log.json,loss.png} 2>/dev/null))
  # The device tool returns files of at most 16 MB: larger archives come back in parts (cat them to join).
  if [ "$(stat -c %s "$OUT/${names[$k]}.tgz")" -gt 15000000 ]; then
    split -b 15000000 -d "$OUT/${names[$k]}.tgz" "$OUT/${names[$k]}.tgz.part" && rm "$OUT/${names[$k]}.tgz"
  fi
done
echo "total $(( $(date +%s) - T0 )) s"
