"""OOD robustness post-processing and preflight, on hand-made records and toy cases."""

import numpy as np
import pandas as pd
import pytest

from ggtalker.bench.preflight import PreflightError, preflight
from ggtalker.bench.robustness import ood_robustness
from ggtalker.bench.toy import toy_cases
from ggtalker.metrics.image import PSNR
from ggtalker.metrics.landmarks import LMD


def _rec(method, family, metric, value, hib):
    return {"method": method, "case": f"{family}_{value}", "metric": metric, "value": value, "status": "ok",
            "higher_is_better": hib, "tag.family": family}


def test_ood_robustness_by_hand():
    df = pd.DataFrame([
        _rec("a", "in_dist", "sync_conf", 4.0, True), _rec("a", "in_dist", "sync_conf", 6.0, True),
        _rec("a", "noise", "sync_conf", 2.5, True), _rec("a", "in_dist", "lmd", 2.0, False),
        _rec("a", "noise", "lmd", 4.0, False), _rec("a", "noise", "psnr", 1.0, True),
        {**_rec("a", "noise", "lmd", 99.0, False), "status": "error"},
    ])
    out = ood_robustness(df).set_index(["family", "metric"])
    assert out.loc[("noise", "sync_conf"), "retention"] == pytest.approx(2.5 / 5.0)
    assert out.loc[("noise", "lmd"), "retention"] == pytest.approx(2.0 / 4.0)  # lower is better: ref / value
    assert ("noise", "psnr") not in out.index  # not a lip metric
    assert out.loc[("summary", "lip"), "retention"] == pytest.approx(0.5)


def test_ood_robustness_needs_family_tag():
    with pytest.raises(KeyError, match="family"):
        ood_robustness(pd.DataFrame([{"metric": "lmd", "value": 1.0, "status": "ok", "higher_is_better": False}]))


def test_preflight_reports_every_problem_together(tmp_path, monkeypatch):
    monkeypatch.setenv("GGTALKER_CACHE", str(tmp_path))
    cases = toy_cases(n_identities=1, n_test=2)
    assert preflight(cases, {"psnr": PSNR(), "lmd": LMD()}).errors == []
    # Break both targets: audio one second too long on one, a missing clip.json on the other.
    import soundfile as sf

    wav = cases[0].target / "audio.wav"
    a, sr = sf.read(wav)
    sf.write(wav, np.concatenate([a, np.zeros(sr)]), sr)
    (cases[1].target / "clip.json").unlink()
    rep = preflight(cases, {"psnr": PSNR()})
    assert len(rep.errors) >= 2 and any("audio lasts" in e for e in rep.errors)
    with pytest.raises(PreflightError, match="problem"):
        import logging

        rep.raise_or_log(logging.getLogger("test"))
