"""Write the README's speed table from ``leaderboards/speed.csv`` (between the speed-table markers).

    python scripts/speed_table.py          # rewrite the block in README.md
    python scripts/speed_table.py --check  # exit 1 if the README's block is not the CSV's rendering
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ggtalker.bench.records import atomic_write_text
from ggtalker.bench.speed import README, SPEED_CSV, read_speed, speed_table, with_table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when the README differs")
    ap.add_argument("--csv", type=Path, default=SPEED_CSV)
    ap.add_argument("--readme", type=Path, default=README)
    args = ap.parse_args()
    text = args.readme.read_text()
    new = with_table(text, speed_table(read_speed(args.csv)))
    if args.check:
        if new != text:
            print(f"{args.readme}: the speed table differs from {args.csv}; run python scripts/speed_table.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        atomic_write_text(args.readme, new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
