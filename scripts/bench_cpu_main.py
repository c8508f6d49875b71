"""Time the smoke main command from an empty cache and record it in ``leaderboards/speed.csv`` (``cpu_main``).

    python scripts/bench_cpu_main.py                       # method=ggtalker suite=ood_audio, this machine
    python scripts/bench_cpu_main.py --method static --suite smoke

The command runs as a user would type it, in a subprocess with ``$GGTALKER_CACHE`` pointed at a fresh
temporary folder (so SynthTalk's clips are rendered and the zoo is read from scratch) and its outputs in a
temporary folder (the committed leaderboards are not touched). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ggtalker import REPO_ROOT
from ggtalker.bench.records import device_name
from ggtalker.bench.speed import SPEED_CSV, record_speed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="ggtalker")
    ap.add_argument("--suite", default="ood_audio")
    ap.add_argument("--csv", default=str(SPEED_CSV))
    a = ap.parse_args()
    typed = f"python eval/run.py method={a.method} suite={a.suite}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "eval/run.py", f"method={a.method}", f"suite={a.suite}", f"out_dir={tmp}/out",
               f"leaderboard_dir={tmp}/lb"]
        env = {**os.environ, "GGTALKER_CACHE": f"{tmp}/cache"}
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=env)
        seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"bench_cpu_main.py: error: {shlex.join(cmd)} failed (rc {done.returncode})")
    record_speed({"what": "cpu_main", "device": device_name("cpu"), "gaussians": "",
                  "size": "", "batch": "", "seconds": round(seconds, 1), "command": typed}, Path(a.csv))
    print(f"{typed}: {seconds:.0f} s from an empty cache -> {a.csv}")


if __name__ == "__main__":
    main()
