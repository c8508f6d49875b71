"""The HTML report: built from a toy run's records and leaderboard; rendered in headless Chromium, its table and
its videos load (Debian's chromium plays the runs' H.264 mp4s)."""

import json
import re
import shutil
import subprocess

import pytest
from test_harness_runner import run_dir, toy_cfg

from ggtalker.bench.report import build
from ggtalker.bench.runner import run

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    run(toy_cfg("static", tmp))
    run(toy_cfg("ground_truth", tmp, "save_videos=1"))
    page = build(tmp / "lb", tmp / "out", tmp / "site" / "report.html")
    return tmp, page


def test_page_holds_the_table_directions_provenance_and_videos(report):
    tmp, page = report
    text = page.read_text()
    assert text.count('<tr class="row">') == 2 and "psnr↑" in text and "scale=smoke" in text
    # The best value of a column is bold; the bounds (ground_truth, static) never are: here nothing is.
    assert "<td><b>" not in text
    srcs = re.findall(r'<video [^>]*src="([^"]+)"', text)
    assert len(srcs) == 3 and all(s.startswith("../out/toy/") for s in srcs)  # relative: opens from disk
    assert all((page.parent / s).is_file() for s in srcs)
    summary = json.loads((run_dir(tmp / "out", "toy", "static") / "summary.json").read_text())
    assert summary["command"].startswith("python eval/run.py ") and summary["command"] in text
    assert summary["row"]["config_hash"] in text and summary["row"]["commit"] in text
    assert (page.parent / "report_files" / "toy_by_take.png").is_file()  # the suite's group_by tag: take


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (scripts/install.sh installs Debian's)")
def test_chromium_renders_the_table_and_plays_the_videos(report, tmp_path):
    _, page = report
    flags = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--mute-audio",
             "--virtual-time-budget=8000", f"--user-data-dir={tmp_path / 'profile'}"]
    url = page.resolve().as_uri()
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert dom.count('<tr class="row">') == 2
    # The page's script marks a video once it decoded its first frame (loadeddata), or failed.
    assert dom.count('data-state="loaded"') >= 2 * 3 and 'data-state="error"' not in dom  # video + caption each
    assert re.search(r'id="videos-loaded" data-count="3"', dom)
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1000,800", url], capture_output=True,
                   timeout=120)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
