"""Paper-style tables from the leaderboards.

    python scripts/make_tables.py [--leaderboard-dir leaderboards] [--out leaderboards/tables] [--scale full]

One CSV per suite (rows = leaderboard rows by label, columns = metrics with ↑/↓ in the header, best value in **bold**,
reference bounds ground_truth/static never marked) plus combined.csv over suites.
"""

import argparse
from pathlib import Path

from ggtalker import REPO_ROOT
from ggtalker.bench.tables import make_tables

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaderboard-dir", type=Path, default=REPO_ROOT / "leaderboards")
    ap.add_argument("--out", type=Path, default=None, help="default: <leaderboard-dir>/tables")
    ap.add_argument("--scale", default=None, help="only rows of this scale (smoke|full)")
    a = ap.parse_args()
    for p in make_tables(a.leaderboard_dir, a.out or a.leaderboard_dir / "tables", a.scale):
        print(p)
