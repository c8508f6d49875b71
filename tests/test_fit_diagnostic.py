"""The fit diagnostic (issue 16): driving by known parameters, the three splits, the CSV, and the script
end to end at a tiny size."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from ggtalker import REPO_ROOT
from ggtalker.bench.fit_diagnostic import COLUMNS, SPLITS, diagnose_identity, figure, rows, views_figure, write_rows
from ggtalker.core.clip import write_clip
from ggtalker.metrics.silhouette import silhouette_iou
from ggtalker.methods.ggtalker import GGTalker
from ggtalker.talker import Talker
from tiny_head import TINY_E2V, tiny_clip, tiny_prior

torch.set_num_threads(2)


class NoA2E:
    """Fails if called: driving by known parameters must not run the audio prior."""

    def predict(self, *a, **k):
        raise AssertionError("the audio prior ran although expr and jaw were given")


class StillA2E:
    """A closed, still mouth for any audio (a test double of the audio prior)."""

    def predict(self, audio16k, fps=25.0, n_frames=None, pose=None, style=None, seed=0, **kw):
        from ggtalker.core.params import PARAM_DIMS

        p = {k: np.zeros((n_frames, d), np.float32) for k, d in PARAM_DIMS.items()}
        if pose is not None:
            p["pose"] = pose
        return p


def test_known_parameters_drive_the_head_without_the_audio_prior() -> None:
    clip = tiny_clip(tiny_prior(), 3)
    t = Talker(None, None, NoA2E(), e2v_config=TINY_E2V)
    got = t.motion(None, clip.audio, 3, controls=clip.params)
    for k, v in clip.params.items():
        np.testing.assert_array_equal(got[k], v)
    with pytest.raises(ValueError, match="expr control must have shape"):
        t.motion(None, clip.audio, 3, controls={**clip.params, "expr": clip.params["expr"][:2]})


def test_silhouette_iou() -> None:
    a = np.zeros((2, 4, 4), bool)
    b = a.copy()
    a[0, :2] = True
    b[0, :1] = True
    np.testing.assert_allclose(silhouette_iou(a, b), [0.5, 1.0])


def test_three_splits_and_the_csv(tmp_path) -> None:
    prior = tiny_prior()
    train = write_clip(tiny_clip(prior, 6, seed=0), tmp_path / "train")
    targets = [write_clip(tiny_clip(prior, 3, seed=s), tmp_path / f"t{s}") for s in (1, 2)]
    method = GGTalker(use_visual_prior=False, e2v_config=TINY_E2V, adapt={"steps_uv": 3, "steps_joint": 2,
                      "steps_inpaint": 1, "max_side": 32}, adapt_a2e={"steps": 0}, max_train_frames=4, progress=False)
    method.talker = Talker(None, None, StillA2E(), e2v_config=TINY_E2V, chunk=4)
    results, adapt_s, n_g = diagnose_identity(method, "tiny", [train], targets, "cpu", {"view_yaw+30": targets[1]})
    assert [r.split for r in results] == list(SPLITS) + ["view_yaw+30"]
    by = {r.split: r for r in results}
    # A view split is driven by its clip's true parameters, as test_oracle is.
    assert by["view_yaw+30"].n_frames == 3 and np.array_equal(by["view_yaw+30"].pred, by["test_oracle"].pred[3:])
    import imageio.v3 as iio

    assert iio.imread(views_figure(tmp_path / "views.png", {"tiny": results})).shape == (2 * 32, 32, 3)
    assert views_figure(tmp_path / "none.png", {"tiny": results[:3]}) is None
    results = results[:3]
    assert by["train"].n_frames == 4 and by["test_oracle"].n_frames == 6 == by["test_audio"].n_frames
    for r in results:
        assert np.isfinite(r.values["psnr_face"]) and 0 <= r.values["silhouette_iou"] <= 1
    # A still mouth scores differently from the true parameters on talking frames.
    assert by["test_oracle"].values["psnr_face"] != by["test_audio"].values["psnr_face"]
    assert n_g == method.talker._fresh_e2v(0).head.n_gaussians and adapt_s > 0

    csv = tmp_path / "fit.csv"
    write_rows(csv, rows("a", "smoke", "cpu", "tiny", results, n_g, adapt_s))
    write_rows(csv, rows("b", "smoke", "cpu", "tiny", results, n_g, adapt_s))
    df = write_rows(csv, rows("a", "smoke", "cpu", "tiny", results[:1], n_g, 1.0))   # replaces a's train row only
    assert list(df.columns) == COLUMNS and len(df) == 6
    assert float(pd.read_csv(csv).query("method == 'a' and split == 'train'")["adapt_s"].iloc[0]) == 1.0
    from ggtalker.bench.fit_diagnostic import frame_tables

    assert frame_tables(results).empty and by["train"].regions is None  # the tiny clips have no landmarks
    png = figure(tmp_path / "fit.png", {"tiny": results})
    assert iio.imread(png).shape == (3 * 32, 3 * 32, 3)


@pytest.mark.slow
def test_script_runs_at_a_tiny_size(tmp_path) -> None:
    """``scripts/diagnose_fit.py`` end to end on SynthTalk at 48², a few adaptation steps."""
    csv, media = tmp_path / "fit.csv", tmp_path / "media"
    out = subprocess.run(
        [sys.executable, "scripts/diagnose_fit.py", "--identities", "1", "--size", "48", "--csv", str(csv),
         "--media", str(media), "--frames", str(media), "--views", "45", "--set", "adapt.steps_uv=2", "adapt.steps_joint=1", "adapt.steps_inpaint=1",
         "adapt_a2e.steps=0", "max_train_frames=8", "progress=false"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    df = pd.read_csv(csv)
    assert sorted(df["split"]) == sorted(SPLITS + ("view_yaw+45",)) and (df["method"] == "ggtalker").all()
    assert df["psnr_face"].between(5, 60).all() and df["silhouette_iou"].between(0, 1).all()
    assert (media / "fit_ggtalker_smoke.png").is_file() and (media / "fit_ggtalker_smoke_views.png").is_file()
    per_frame = pd.read_csv(media / "frames_ggtalker_synth0.csv")
    assert set(per_frame["split"]) == set(SPLITS) | {"view_yaw+45"} and per_frame["psnr_face"].between(5, 60).all()


def test_parameter_errors_split_the_unobservable_bias() -> None:
    from ggtalker.bench.fit_diagnostic import param_errors

    truth = {"pose": np.zeros((4, 6)), "jaw": np.zeros((4, 1)), "expr": np.zeros((4, 10))}
    fitted = {k: v.copy() for k, v in truth.items()}
    fitted["pose"][:, 3] = 0.002                      # a constant 2 mm offset: all bias
    fitted["pose"][:, 0] = [0.01, -0.01, 0.01, -0.01]  # zero-mean rotation error: no bias
    e = param_errors(fitted, truth)
    assert abs(e["trans_bias_mm"] - 2.0) < 1e-9 and abs(e["trans_err_mm"] - 2.0 / 3) < 1e-9
    assert e["rot_bias"] < 1e-12 and abs(e["rot_err"] - 0.01 / 3) < 1e-12 and e["jaw_err"] == 0.0


def test_a_synthtalk_recipe_gives_back_its_true_parameters() -> None:
    from ggtalker.synth.recipes import ClipRecipe, CameraSpec, build_performance, exact_params

    r = ClipRecipe(identity=3, texts=("Hello there.",), perf_seed=5, seconds=0.4, camera=CameraSpec("static"),
                   tracker_noise=1.0, role="train")
    assert ClipRecipe.from_dict(r.to_dict()) == r
    got = exact_params({"recipe": r.to_dict()})
    for k, v in build_performance(r).params.items():
        np.testing.assert_array_equal(got[k], v)
    assert exact_params({}) is None and exact_params({"recipe": {**r.to_dict(), "world": -1}}) is None


def test_tracker_ceiling_script_runs_tiny() -> None:
    out = subprocess.run([sys.executable, "scripts/tracker_ceiling.py", "--scale", "smoke", "--identities", "1",
                          "--size", "48", "--frames", "2"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    psnrs = [float(v) for v in line.split()[-5::2]]  # "rot | trans | both"
    assert line.startswith("synth") and all(np.isfinite(psnrs)) and all(p > 10 for p in psnrs)


def test_the_tracker_keeps_its_error_but_not_its_mean() -> None:
    from ggtalker.synth.recipes import ClipRecipe, CameraSpec
    from ggtalker.synth.sources import SCALES, train_recipe
    from ggtalker.synth.world import tracked_params

    truth = {"pose": np.zeros((60, 6), np.float32), "jaw": np.full((60, 1), 0.5, np.float32)}
    unbiased = tracked_params(truth, 25.0, 1.0, seed=3)
    biased = tracked_params(truth, 25.0, 1.0, seed=3, bias=True)
    e0, e1 = biased["pose"] - truth["pose"], unbiased["pose"] - truth["pose"]
    np.testing.assert_allclose(e1.mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(e1, e0 - e0.mean(0), atol=1e-6)  # the same draws, less their mean
    assert np.abs(e0.mean(0)).max() > 1e-3 and np.abs(e1).max() > 1e-3
    # Adaptation clips are unbiased by default; the source param puts the mean back.
    assert train_recipe(0, dict(SCALES["smoke"])).tracker_bias is False
    assert train_recipe(0, {**SCALES["smoke"], "train_tracker_bias": True}).tracker_bias is True
    # Keys: a clip cached with the mean kept (no field, as first rendered) keeps its key and reads back
    # as biased; an unbiased tracked clip gets a key of its own; exact clips name no field at all.
    r = ClipRecipe(identity=1, texts=("Hi.",), camera=CameraSpec("static"), tracker_noise=1.0, role="train")
    assert r.to_dict()["tracker_bias"] is False and "tracker_bias" not in r.with_(tracker_bias=True).to_dict()
    assert r.key() != r.with_(tracker_bias=True).key()
    for q in (r, r.with_(tracker_bias=True)):
        assert ClipRecipe.from_dict(q.to_dict()) == q
    exact = ClipRecipe(identity=1, texts=("Hi.",), camera=CameraSpec("static"))
    assert "tracker_bias" not in exact.to_dict() and ClipRecipe.from_dict(exact.to_dict()) == exact


def test_region_errors_put_a_mouth_error_in_the_mouth() -> None:
    """An error painted on the lips is all the mouth's: its share is 1 and the other regions are exact."""
    from ggtalker.bench.fit_diagnostic import REGIONS, region_errors, region_masks

    h = w = 64
    masks = np.zeros((1, h, w), np.uint8)
    masks[0, 8:60, 12:52] = 1
    lmk = np.zeros((1, 68, 2), np.float32)
    lmk[0, 36:42] = [[20, 24], [26, 24], [23, 22], [23, 26], [21, 24], [25, 24]]
    lmk[0, 42:48] = lmk[0, 36:42] + [18, 0]
    lmk[0, 48:60] = [[26, 44], [38, 44], [32, 41], [32, 47]] * 3
    regions = region_masks(masks, lmk)
    union = np.zeros_like(masks, bool)
    for r in REGIONS:
        assert not (union & regions[r]).any()        # disjoint
        union |= regions[r]
    np.testing.assert_array_equal(union, masks == 1)
    truth = np.full((1, h, w, 3), 100, np.uint8)
    pred = truth.copy()
    pred[0, 43:46, 30:35] = 140                      # on the lips
    e, table = region_errors(truth, pred, masks, lmk, {"blink": np.array([[0.2, 0.3]], np.float32)})
    assert e["err_share_mouth"] == 1.0 and e["err_share_inner"] == 0.0
    assert e["psnr_inner"] == 100.0 and e["psnr_mouth"] < 40
    assert list(table["blink_r"]) == [np.float32(0.3)] and np.isnan(table["jaw"][0])
    assert table["mse_inner"][0] == 0.0 and table["mse_mouth"][0] > 0 and table["psnr_face"][0] > e["psnr_mouth"]


def test_figure_shows_the_most_open_mouth_and_a_face_close_up(tmp_path) -> None:
    """The middle row is the frame with the largest true jaw; with landmarks a fourth row crops it to the face."""
    import imageio.v3 as iio

    from ggtalker.bench.fit_diagnostic import SplitResult

    n, h, w = 10, 40, 40
    truth = np.zeros((n, h, w, 3), np.uint8)
    truth[:, :, :, 0] = np.arange(n)[:, None, None] * 20     # each frame its own red level
    pred = truth.copy()
    lmk = np.tile(np.stack(np.meshgrid(np.linspace(15, 25, 17), [18, 22]), -1).reshape(-1, 2)[:68], (n, 2, 1))[:, :68]
    table = pd.DataFrame({"frame": np.arange(n), "jaw": np.r_[np.zeros(7), 0.9, 0.0, 0.0]})
    res = [SplitResult("test_oracle", {}, n, truth, pred),
           SplitResult("test_audio", {}, n, truth, pred, frames_table=table, landmarks=lmk.astype(np.float32))]
    img = iio.imread(figure(tmp_path / "f.png", {"x": res}))
    assert img.shape == (4 * h, 3 * w, 3)
    assert img[h + h // 2, 5, 0] == 7 * 20 and img[3 * h + h // 2, 5, 0] == 7 * 20   # frame 7, then its close-up
    res[1].landmarks = None
    assert iio.imread(figure(tmp_path / "g.png", {"x": res})).shape == (3 * h, 3 * w, 3)


def test_compare_views_figure_stacks_render_rows_under_one_truth(tmp_path):
    from ggtalker.bench.fit_diagnostic import compare_views_figure

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 255, (16, 48, 3), dtype=np.uint8)
    a = np.concatenate([truth, np.zeros_like(truth)], 0)
    b = np.concatenate([truth, np.full_like(truth, 200)], 0)
    out = compare_views_figure([("a", a), ("b=1", b)], cell=8)
    assert out.shape == (3 * 8, 24, 3)
    assert out[8:16].mean() < out[16:].mean()           # a's black render row above b's grey one
    with pytest.raises(ValueError, match="same truth"):
        compare_views_figure([("a", a), ("other", np.concatenate([255 - truth, truth], 0))], cell=8)
    import imageio.v3 as iio

    subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "compare_views.py"), str(tmp_path / "c.png"),
                    f"a={_png(tmp_path / 'a.png', a)}", f"b=1={_png(tmp_path / 'b.png', b)}", "--cell", "8"], check=True)
    assert iio.imread(tmp_path / "c.png").shape == (24, 24, 3)


def _png(path, img):
    import imageio.v3 as iio

    iio.imwrite(path, img)
    return path
