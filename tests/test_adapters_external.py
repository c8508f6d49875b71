"""Adapters for published methods and the ``precomputed`` method.

The ExternalMethod tests are plumbing tests: a fake "checkout" of small Python scripts that the test writes stands
in for a published method; they check the layout written, the commands run, the logs, the errors and the read-back,
not any method's quality.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from baselines.adapters.external import ExternalMethod, ExternalRunError, PrerequisiteError
from baselines.adapters.spec import PLACEHOLDERS, STATUSES, MethodSpec, Requirement, load_spec, spec_names
from baselines.precomputed import Precomputed
from ggtalker.bench.regress import compose_cfg
from ggtalker.bench.runner import make_request, run
from ggtalker.core.case import Case
from ggtalker.bench.toy import toy_cases, toy_clip
from ggtalker.core.clip import read_clip
from ggtalker.core.registry import CONF_DIR, METHODS
from ggtalker.core.video import read_video, write_video

PUBLISHED = ["er_nerf", "rad_nerf", "geneface", "synctalk", "talkinggaussian", "gaussiantalker", "wav2lip", "sadtalker"]


# ----------------------------------------------------------------------------------------------- specs

@pytest.mark.parametrize("name", PUBLISHED)
def test_spec_is_complete_and_registered(name):
    s = load_spec(name)                                    # check(): only known placeholders, layout, status
    assert s.id == name and s.paper and s.venue and s.arxiv and s.licence and s.repo_url.startswith("https://")
    assert s.commit and s.commit_note and s.status in STATUSES and s.infer and s.output
    assert s.placeholders() <= set(PLACEHOLDERS)
    assert (CONF_DIR / "method" / f"{name}.yaml").is_file()
    assert METHODS.spec(name)["params"]["spec"] == name


def test_spec_names_lists_every_published_method():
    assert set(PUBLISHED) <= set(spec_names())
    with pytest.raises(KeyError, match="unknown method spec 'nope'"):
        load_spec("nope")


def test_registered_adapter_names_all_missing_prerequisites_before_running():
    # Built as eval/run.py builds it: the error comes at construction, before any case exists.
    with pytest.raises(PrerequisiteError) as e:
        METHODS.build("er_nerf")
    msg = str(e.value)
    assert "params.repo is not set" in msg and "params.openface is not set" in msg
    assert "github.com/Fictionarry/ER-NeRF" in msg


# ----------------------------------------------------------------------------------------------- fake checkout

FAKE_PREP = """
import sys, pathlib, av
video, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
with av.open(video) as c:
    assert c.streams.audio, "training video has no audio"
    n = sum(1 for _ in c.decode(c.streams.video[0]))
(data_dir / "prep.txt").write_text(str(n))
print("prepared", n, "frames")
"""
FAKE_TRAIN = """
import sys, pathlib
ws = pathlib.Path(sys.argv[1]); ws.mkdir(parents=True, exist_ok=True)
count = ws / "trained.txt"
count.write_text(str(int(count.read_text()) + 1 if count.exists() else 1))
if "--fail" in sys.argv:
    print("CUDA error: out of memory (fake)", file=sys.stderr); sys.exit(3)
"""
FAKE_INFER = """
import sys, pathlib, json
import numpy as np, soundfile as sf
from ggtalker.core.video import read_video, write_video
audio, pose, out = sys.argv[1], json.loads(pathlib.Path(sys.argv[2]).read_text()), pathlib.Path(sys.argv[3])
if "--no-output" in sys.argv:
    sys.exit(0)
wav, sr = sf.read(audio)
n = int(round(len(wav) / sr * 25))
assert n == len(pose["frames"]), (n, len(pose["frames"]))
frames = np.zeros((n + 3, 30, 40, 3), np.uint8)      # 4:3 and 3 extra frames: the adapter fits them
for i in range(n + 3):
    frames[i, :, 5:35] = 8 * i
write_video(out / "result.mp4", frames, 25.0)
write_video(out / "result_depth.mp4", frames * 0, 25.0)
"""


def fake_spec(**kw) -> MethodSpec:
    base = dict(
        id="fake", name="Fake", paper="-", venue="-", arxiv="-", licence="-", repo_url="https://example.invalid",
        commit="none", commit_note="test double", layout="talking_video",
        preprocess=(("{python}", "prep.py", "{video}", "{data_dir}"),),
        train=(("{python}", "train.py", "{workspace}"),),
        infer=(("{python}", "infer.py", "{audio}", "{pose_json}", "{out_dir}"),),
        output="{out_dir}/*.mp4",
        requires=(Requirement("repo_file", "weights.pth", "fake weights", "the test writes it"),),
    )
    base.update(kw)
    return MethodSpec(**base).check()


@pytest.fixture
def fake_repo(tmp_path):
    repo = tmp_path / "checkout"
    repo.mkdir()
    for name, body in (("prep.py", FAKE_PREP), ("train.py", FAKE_TRAIN), ("infer.py", FAKE_INFER)):
        (repo / name).write_text(textwrap.dedent(body))
    (repo / "weights.pth").write_bytes(b"0")
    return repo


def _request(case_id="c0", n=20, size=48):
    clip = toy_clip(0, 1, n_frames=n, size=size)
    case = Case(id=case_id, identity="toy0", train=[], target=None)
    return make_request(case, clip, oracle=False)


def test_plumbing_external_method_runs_fake_checkout(fake_repo, tmp_path):
    m = ExternalMethod(fake_spec(), repo=str(fake_repo), python=sys.executable, work_dir=str(tmp_path / "work"),
                       log_dir=str(tmp_path / "out"))
    train = [toy_clip(0, 0, n_frames=25, size=48)]
    state = m.prepare("toy 0", train)
    data_dir = tmp_path / "work" / "toy_0" / "data" / "toy_0"
    assert (data_dir / "toy_0.mp4").is_file() and (data_dir / "ref.png").is_file()
    assert (data_dir / "prep.txt").read_text() == "25"
    req = _request()
    gen = m.generate(state, req)
    assert gen.frames.shape == (20, 48, 48, 3)
    assert [w.split(": ", 1)[1] for w in gen.warnings] == [
        "23 frames, the case needs 20: the last 3 dropped",
        "40x30 frames centre-cropped to the case's aspect ratio (25% cut away)",
        "30x30 frames (cropped) resized to the case's 48x48"]
    # Frame order survives and the 4:3 output was centre-cropped (the dark side bands are gone).
    means = gen.frames.reshape(20, -1).mean(1)
    assert np.all(np.diff(means) > 0) and abs(means[5] - 40) < 4
    logs = sorted((tmp_path / "out" / "external-logs" / "fake" / "toy_0").glob("*.log"))
    assert [p.name for p in logs] == ["infer-c0-0.log", "preprocess-0.log", "train-0.log"]
    assert "prepared 25 frames" in (logs[1]).read_text()
    # A finished identity is reused: training does not run twice for the same data.
    m.prepare("toy 0", train)
    assert (tmp_path / "work" / "toy_0" / "model" / "trained.txt").read_text() == "1"
    assert m.describe()["spec"] == "fake"


def test_plumbing_failed_command_raises_with_log_tail(fake_repo, tmp_path):
    m = ExternalMethod(fake_spec(), repo=str(fake_repo), python=sys.executable, work_dir=str(tmp_path / "w"),
                       extra_args={"train": ["--fail"]})
    with pytest.raises(ExternalRunError, match=r"(?s)train command 1/1 failed \(exit 3\).*out of memory \(fake\)"):
        m.prepare("a", [toy_clip(0, 0, n_frames=25, size=48)])


def test_plumbing_missing_output_is_an_error(fake_repo, tmp_path):
    m = ExternalMethod(fake_spec(), repo=str(fake_repo), python=sys.executable, work_dir=str(tmp_path / "w"),
                       extra_args={"infer": ["--no-output"]})
    state = m.prepare("a", [toy_clip(0, 0, n_frames=25, size=48)])
    with pytest.raises(ExternalRunError, match="no new video matches"):
        m.generate(state, _request())


def test_preflight_lists_every_missing_prerequisite_together(tmp_path):
    spec = fake_spec(requires=(
        Requirement("repo_file", "weights.pth", "fake weights", "get them"),
        Requirement("param", "checkpoint", "a checkpoint", "set it"),
        Requirement("executable", "definitely-not-a-binary-xyz", "a tool", "install it"),
    ))
    repo = tmp_path / "empty"
    repo.mkdir()
    with pytest.raises(PrerequisiteError) as e:
        ExternalMethod(spec, repo=str(repo), python="/no/such/python")
    msg = str(e.value)
    for part in ("params.python='/no/such/python'", "weights.pth", "params.checkpoint is not set",
                 "definitely-not-a-binary-xyz"):
        assert part in msg
    with pytest.raises(PrerequisiteError, match="params.repo is not set"):
        ExternalMethod(spec, repo=None, python=sys.executable)


# ----------------------------------------------------------------------------------------------- precomputed

def test_precomputed_scores_a_folder_under_its_label(tmp_path):
    cases = toy_cases("smoke", n_identities=1, n_test=1)
    videos = tmp_path / "videos"
    for c in cases:
        gt = read_clip(c.target)
        write_video(videos / f"{c.id}.mp4", gt.frames, gt.fps, crf=0)     # "a method" that outputs the truth
    cfg = compose_cfg("precomputed", "smoke", [f"out_dir={tmp_path}/out", f"leaderboard_dir={tmp_path}/lb",
                                                f"method.params.dir={videos}", "method.params.label=my_method",
                                                "suite.params.metrics=[psnr]", "suite.params.source.target=ggtalker.bench.toy:toy_cases",
                                                "++suite.params.source.params.n_identities=1",
                                                "++suite.params.source.params.n_test=1"])
    row = run(cfg)
    assert row["method"] == "my_method"
    (run_dir,) = (tmp_path / "out" / "smoke").glob("my_method-*")  # <method>-<config hash>
    assert (run_dir / "summary.json").is_file()
    board = pd.read_csv(tmp_path / "lb" / "smoke.csv")
    assert board["method"].tolist() == ["my_method"]
    # The recorded PSNR is that of the decoded video against the truth (yuv420p loses some chroma).
    gt = read_clip(cases[0].target)
    pred, _ = read_video(videos / f"{cases[0].id}.mp4")
    mse = ((pred / 255.0 - gt.frames / 255.0) ** 2).reshape(len(pred), -1).mean(1)
    recs = pd.read_csv(run_dir / "records.csv")
    got = recs[(recs.case == cases[0].id) & (recs.metric == "psnr")].value.item()
    assert got == pytest.approx(np.mean(-10 * np.log10(mse)), abs=1e-3)


def test_precomputed_errors(tmp_path):
    with pytest.raises(ValueError, match="method.params.dir"):
        Precomputed(dir=None)
    (tmp_path / "v").mkdir()
    m = Precomputed(dir=str(tmp_path / "v"), label="x")
    with pytest.raises(FileNotFoundError, match=r"c0\.mp4: no video for case 'c0'"):
        m.generate(None, _request())
    write_video(tmp_path / "v" / "c0.mp4", np.zeros((20, 32, 32, 3), np.uint8), 25.0)
    with pytest.raises(ValueError, match="fit=strict"):
        Precomputed(dir=str(tmp_path / "v"), fit="strict").generate(None, _request())
