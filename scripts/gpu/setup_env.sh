# Source this on the GPU machine (no internet) before any scripts/gpu/* command:
#   source scripts/gpu/setup_env.sh
# It installs the wheels carried in .whl/ (gsplat, hydra, moderngl, ...), unpacks the GL loader
# debs carried in .gl/ (EGL for moderngl on NVIDIA) and the espeak-ng debs in .debs/ (speech for
# SynthTalk) into /opt/esp, and puts the repo on PYTHONPATH. Fetch them here first with
# scripts/gpu/fetch_carry.sh.
set -u
REPO=$(pwd)
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || return 1
  export PYTHONPATH=/tmp/site:$REPO
else
  export PYTHONPATH=$REPO
fi
if ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
if ls .debs/*.deb >/dev/null 2>&1; then
  mkdir -p /opt/esp /opt/esp/missing; for f in .debs/*.deb; do dpkg -x "$f" /opt/esp; done
  # Only libraries the system lacks go on the path: Debian's older copies must not shadow the system's.
  for so in $(find /opt/esp -name 'lib*.so.*' \( -type f -o -type l \)); do
    major=$(basename "$so" | sed -E 's/(\.so\.[0-9]+).*/\1/')
    ldconfig -p | grep -q "^[[:space:]]*$major " || ln -sf "$so" "/opt/esp/missing/$major"
  done
  export LD_LIBRARY_PATH=/opt/esp/missing:${LD_LIBRARY_PATH:-}
  ln -sf /opt/esp/usr/lib/x86_64-linux-gnu/pulseaudio/*.so /opt/esp/missing/ 2>/dev/null
  export ESPEAK_DATA_PATH=/opt/esp/usr/lib/x86_64-linux-gnu  # the folder holding espeak-ng-data/
fi
# gsplat's JIT build is cached between calls when .torch_ext/ is carried back.
export TORCH_EXTENSIONS_DIR=$REPO/.torch_ext
# A gsplat extension built on an earlier call skips the 84-145 s build (1.5 s with it on the H200): carry
# .gsplat_so/gsplat_cuda.so.xz, the library BRING_GSPLAT=1 bash scripts/gpu/warm.sh leaves in $OUT (xz: the raw
# 16 MB put the working tree and carry over a call's 64 MiB). gsplat imports gsplat.csrc before it builds
# anything; this module loads the library under that name, and raises ImportError if it does not load (other
# torch or CUDA), so gsplat builds as before.
GSPLAT_SO=$REPO/.gsplat_so/gsplat_cuda.so
# (unpacked once: setup_env.sh is sourced again by later scripts, and rewriting a loaded library crashes its users)
if [ ! -f "$GSPLAT_SO" ] && [ -f "$GSPLAT_SO.xz" ]; then
  [ -f /tmp/gsplat_cuda.so ] || { xz -dc "$GSPLAT_SO.xz" > /tmp/gsplat_cuda.so.part && mv /tmp/gsplat_cuda.so.part /tmp/gsplat_cuda.so; }
  GSPLAT_SO=/tmp/gsplat_cuda.so
fi
if [ -f "$GSPLAT_SO" ] && [ -d /tmp/site/gsplat ]; then
  cat > /tmp/site/gsplat/csrc.py <<PY
"""gsplat's CUDA extension built on an earlier call (scripts/gpu/setup_env.sh)."""
import importlib.util

try:
    _spec = importlib.util.spec_from_file_location("gsplat_cuda", "$GSPLAT_SO")
    _lib = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_lib)
except Exception as e:
    raise ImportError(f"the carried gsplat_cuda.so does not load: {e}") from e
globals().update({k: v for k, v in vars(_lib).items() if not k.startswith("__")})
PY
fi
export MAX_JOBS=16 PYTHONUNBUFFERED=1 GGTALKER_CACHE=/tmp/ggcache
