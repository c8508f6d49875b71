"""CI regression gate on metrics.

    python eval/regress.py                 # re-run regression suites, compare with leaderboards/
    python eval/regress.py --suites smoke  # only some suites

Exits 1 when any metric moved the wrong way beyond its tolerance, naming method, suite, metric, the
committed and the new value. Improvements pass and print how to update the committed reference.
"""

import argparse
import logging
import sys
from pathlib import Path

from ggtalker import REPO_ROOT
from ggtalker.bench.regress import REGRESSION_SCALE, regress


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaderboard-dir", type=Path, default=REPO_ROOT / "leaderboards")
    ap.add_argument("--suites", nargs="*", default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    findings = regress(args.leaderboard_dir, args.suites)
    bad = [f for f in findings if f.kind == "regression"]
    for f in findings:
        print(f)
        if f.kind in ("improvement", "missing"):
            print(f"  to update the reference: python eval/run.py method={f.method} suite={f.suite} "
                  f"scale={REGRESSION_SCALE} leaderboard_dir={args.leaderboard_dir} overwrite=true")
    print(f"regress: {len(bad)} regression(s), {sum(f.kind == 'improvement' for f in findings)} improvement(s), "
          f"{sum(f.kind == 'missing' for f in findings)} missing reference row(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
