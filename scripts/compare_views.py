#!/usr/bin/env python
"""Stack the render rows of several view figures (``diagnose_fit.py --views``: truth over render, one column per
yaw) under one truth row, each row labelled: configurations side by side at the same views.

    python scripts/compare_views.py OUT.jpg LABEL=fit_a_views.png LABEL=fit_b_views.png ... [--cell 256]

Every figure must show the same identity, frames and yaws (the truth rows are checked to be equal).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from ggtalker.bench.fit_diagnostic import compare_views_figure
from ggtalker.core.atomic import write_bytes


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="an image path (.jpg, .png)")
    ap.add_argument("figures", nargs="+", metavar="LABEL=PNG")
    ap.add_argument("--cell", type=int, default=256, help="height of one row, pixels")
    a = ap.parse_args(argv)
    figs = []
    for spec in a.figures:
        label, sep, path = spec.rpartition("=")  # a label may hold "=", a path seldom does
        if not sep or not Path(path).is_file():
            ap.error(f"{spec}: want LABEL=PATH to an existing figure")
        figs.append((label, np.asarray(iio.imread(path))[..., :3]))
    img = compare_views_figure(figs, a.cell)
    print(write_bytes(a.out, iio.imwrite("<bytes>", img, extension=a.out.suffix or ".png")))


if __name__ == "__main__":
    main()
