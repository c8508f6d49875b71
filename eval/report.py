"""One static HTML page of the results: ``python eval/report.py [--suite S] [--out outputs/report.html]``.

Reads the leaderboards (``--leaderboards``, default leaderboards/) and the run folders (``--runs``, the runs'
out_dir, default outputs/); writes the page and its plots (``<stem>_files/``) beside it. Open the page from
disk: the videos are the run folders' own files, linked by relative paths. See ggtalker/bench/report.py.
"""

import argparse
import sys
from pathlib import Path

# The code of the tree this script is in (as eval/run.py): its report builder, not another checkout's.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ggtalker.bench.report import build  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", action="append", default=None, help="a suite to show (repeatable; default: all)")
    ap.add_argument("--leaderboards", type=Path, default=Path("leaderboards"))
    ap.add_argument("--runs", type=Path, default=Path("outputs"), help="the runs' out_dir")
    ap.add_argument("--out", type=Path, default=Path("outputs/report.html"))
    a = ap.parse_args()
    print(f"wrote {build(a.leaderboards, a.runs, a.out, a.suite)}")
