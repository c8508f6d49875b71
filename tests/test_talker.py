"""The assembled model: Talker.adapt → Identity (saved and loaded) → drive / drive_chunks; the benchmark method and
scripts/talk.py as its callers. Tiny and on CPU: untrained priors at 32×32, a stub or a tiny A2E."""

from __future__ import annotations

import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

from ggtalker import REPO_ROOT
from ggtalker.core.audio import save_audio
from ggtalker.core.clip import Cameras
from ggtalker.core.params import PARAM_DIMS
from ggtalker.talker import A2EAdaptConfig, AdaptConfig, HeadAdaptConfig, Identity, Talker
from tiny_head import SIZE, TINY_E2V, cameras, tiny_clip, tiny_prior

torch.set_num_threads(2)
TINY_BUDGET = HeadAdaptConfig(steps_uv=2, steps_joint=1, steps_inpaint=1, max_side=SIZE)


class StubA2E:
    """Stands in for the audio prior: opens the jaw with the audio's loudness (a test double)."""

    def predict(self, audio16k, fps=25.0, n_frames=None, pose=None, style=None, seed=0, **kw):
        n = n_frames
        p = {k: np.zeros((n, d), np.float32) for k, d in PARAM_DIMS.items()}
        env = np.abs(audio16k[: n * 640].reshape(n, -1)).mean(1) if len(audio16k) >= n * 640 else np.zeros(n)
        p["jaw"][:, 0] = np.clip(env * 5, 0, 1)
        if pose is not None:
            p["pose"] = pose
        return p


def tiny_a2e():
    """An untrained A2E regressor small enough to adapt in a second."""
    from ggtalker.a2e.diffusion import Diffusion
    from ggtalker.a2e.model import A2EConfig, A2ENet
    from ggtalker.a2e.prior import A2EPrior

    torch.manual_seed(0)
    cfg = A2EConfig(audio_dim=800, d_model=32, n_heads=2, n_layers=1, audio_layers=1, window=20, prev=4)
    return A2EPrior(A2ENet(cfg), Diffusion(50), {"kind": "logmel"}, np.zeros(19), np.ones(19), [], mode="regress")


def _audio(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(int(n / 25 * 16000)) / 16000
    return (0.2 * np.sin(2 * np.pi * 200 * t) * (1 + np.sin(2 * np.pi * 3 * t + seed))).astype(np.float32)


@pytest.fixture(scope="module")
def talker() -> Talker:
    return Talker(None, None, StubA2E(), e2v_config=TINY_E2V, chunk=2)


@pytest.fixture(scope="module")
def identity(talker) -> Identity:
    return talker.adapt([tiny_clip(tiny_prior(), 4, seed=2)], AdaptConfig(head=TINY_BUDGET, a2e=None), name="tiny")


def test_adapt_gives_a_typed_identity(identity) -> None:
    assert identity.name == "tiny" and identity.a2e is None and identity.a2e_style is None
    assert identity.head.report["loss_uv"] and identity.head.inpainter is not None
    assert identity.head.context.shape == (SIZE, SIZE, 3) and identity.report["seconds"] > 0


def test_drive_gives_frames_params_and_depth(talker, identity) -> None:
    n = 3
    K, w2c = cameras(n)
    talk = talker.drive(identity, _audio(n), Cameras(K, w2c), SIZE, controls={"pose": np.zeros((n, 6), np.float32)})
    assert talk.frames.shape == (n, SIZE, SIZE, 3) and talk.frames.dtype == np.uint8
    assert talk.depth.shape == (n, SIZE, SIZE) and talk.params["jaw"].shape == (n, 1)
    d = talk.depth[np.isfinite(talk.depth)]
    assert d.size > 0 and np.all((d > 0.4) & (d < 0.7))  # the head's surface, 0.55 m away ± its size


def test_chunks_are_the_drive_cut_in_pieces(talker, identity) -> None:
    n = 5
    cams = Cameras(*cameras(n))
    whole = talker.drive(identity, _audio(n), cams, SIZE)
    params, chunks = talker.drive_chunks(identity, _audio(n), cams, SIZE, depth=False)
    chunks = list(chunks)
    assert [c.start for c in chunks] == [0, 2, 4] and all(c.depth is None for c in chunks)
    assert np.array_equal(np.concatenate([c.frames for c in chunks]), whole.frames)
    assert all(np.array_equal(params[k], whole.params[k]) for k in params)


def test_a_saved_identity_drives_the_same(talker, identity, tmp_path) -> None:
    path = identity.save(tmp_path / "id.pt")
    loaded = Identity.load(path)
    assert torch.equal(loaded.head.uvmap, identity.head.uvmap) and loaded.name == "tiny"
    cams = Cameras(*cameras(2))
    assert np.array_equal(talker.drive(loaded, _audio(2), cams, SIZE).frames,
                          talker.drive(identity, _audio(2), cams, SIZE).frames)


def test_identity_files_name_their_problem(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="adapt_identity"):
        Identity.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt: not a readable identity checkpoint"):
        Identity.load(tmp_path / "junk.pt")
    torch.save({"format": "something/1"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an identity checkpoint"):
        Identity.load(tmp_path / "other.pt")


def test_identity_files_of_the_first_format_still_load(identity, tmp_path) -> None:
    h = identity.head
    old = {"format": "ggtalker-identity/1", "e2v_config": h.e2v_config, "uvmap": h.uvmap, "color_mlp": h.color_mlp,
           "inpainter": h.inpainter, "context": h.context, "context_head": h.context_head, "a2e_style": None,
           "a2e_state": None, "report": {**h.report, "prepare_s": 1.0}}
    torch.save(old, tmp_path / "v1.pt")
    loaded = Identity.load(tmp_path / "v1.pt")
    assert torch.equal(loaded.head.uvmap, h.uvmap) and loaded.report == {"prepare_s": 1.0}
    assert loaded.head.report == h.report


def test_the_audio_prior_is_adapted_and_travels_with_the_identity(tmp_path) -> None:
    prior = tiny_a2e()
    talker = Talker(None, None, prior, e2v_config=TINY_E2V, use_inpainter=False, chunk=4)
    clip = tiny_clip(tiny_prior(), 40, seed=3)
    clip.audio = np.random.default_rng(0).normal(0, 0.1, len(clip.audio)).astype(np.float32)
    before = {k: v.clone() for k, v in prior.net.state_dict().items()}
    me = talker.adapt([clip], AdaptConfig(head=HeadAdaptConfig(steps_uv=1, steps_joint=0, steps_inpaint=0,
                                                               max_side=SIZE),
                                          a2e=A2EAdaptConfig(steps=4, eval_every=2), max_frames=4))
    assert me.a2e is not None and me.a2e is not prior and me.a2e_style.shape == (64,)
    assert all(torch.equal(v, prior.net.state_dict()[k]) for k, v in before.items())  # the Talker's prior is untouched
    loaded = Identity.load(me.save(tmp_path / "me.pt"))
    assert loaded.a2e is not None and np.array_equal(loaded.a2e_style, me.a2e_style)
    talk = talker.drive(loaded, _audio(6), Cameras(*cameras(6)), SIZE)
    assert talk.frames.shape == (6, SIZE, SIZE, 3) and talk.depth is not None


def test_controls_are_checked(talker, identity) -> None:
    with pytest.raises(ValueError, match=r"blink control must have shape \(3, 2\)"):
        talker.drive(identity, _audio(3), Cameras(*cameras(3)), SIZE, controls={"blink": np.zeros((2, 2))})


def test_the_benchmark_method_is_the_talker(tmp_path) -> None:
    from ggtalker.bench.method import DriveRequest
    from ggtalker.methods.ggtalker import GGTalker

    m = GGTalker(use_visual_prior=False, adapt={"steps_uv": 2, "steps_joint": 1, "steps_inpaint": 1, "max_side": SIZE},
                 adapt_a2e={"steps": 0}, e2v_config=TINY_E2V, progress=False)
    assert m.adapt_config.a2e is None and m.describe()["e2v"] == "scratch"
    m.talker.a2e = StubA2E()
    prep = m.prepare("tiny", [tiny_clip(tiny_prior(), 4, seed=2)])
    assert isinstance(prep, Identity) and prep.name == "tiny"
    n = 3
    req = DriveRequest(case_id="c", audio=_audio(n), fps=25.0, cameras=Cameras(*cameras(n)), width=SIZE, height=SIZE,
                       controls={"pose": np.zeros((n, 6), np.float32)})
    gen = m.generate(prep, req)
    assert gen.frames.shape == (n, SIZE, SIZE, 3) and gen.depth.shape == (n, SIZE, SIZE)
    assert np.array_equal(gen.params["pose"], req.controls["pose"])


def test_the_model_imports_without_the_benchmark_or_the_world() -> None:
    code = ("import sys; from ggtalker import Talker; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('ggtalker.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout
    loaded = set(eval(out))
    assert loaded & {"synth", "bench", "metrics", "methods", "data", "track", "train"} == set(), loaded


def test_talk_py_streams_to_the_video_and_refuses_bad_inputs(identity, tmp_path, monkeypatch, capsys) -> None:
    from ggtalker.core.video import read_video

    ident = identity.save(tmp_path / "id.pt")
    wav = tmp_path / "speech.wav"
    save_audio(wav, _audio(7))
    talk = REPO_ROOT / "scripts" / "talk.py"
    monkeypatch.setattr(Talker, "from_zoo", classmethod(lambda cls, device="cpu", **kw: cls(None, None, StubA2E(), device,
                                                                                           chunk=kw.get("chunk", 8))))

    def run(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", ["talk.py", *args])
        runpy.run_path(str(talk), run_name="__main__")

    out = tmp_path / "talk.mp4"
    run("--identity", str(ident), "--audio", str(wav), "--out", str(out), "--size", str(SIZE), "--chunk", "3")
    frames, fps = read_video(out)
    assert frames.shape == (7, SIZE, SIZE, 3) and fps == 25.0
    assert "wrote" in capsys.readouterr().out
    for args, needle in [(("--audio", str(tmp_path / "none.wav"), "--identity", str(ident)), "none.wav: audio file not found"),
                         (("--audio", str(wav), "--identity", str(wav)), "speech.wav: not a readable identity checkpoint")]:
        with pytest.raises(SystemExit) as e:
            run(*args, "--out", str(tmp_path / "x.mp4"))
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert needle in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x.mp4").exists()


def test_talk_py_never_holds_the_whole_video(identity, tmp_path, monkeypatch) -> None:
    """Issue 21, defect 5: frames reach the encoder a chunk at a time and no whole-video array (frames or
    depth) is ever made, so memory is bounded whatever the audio's length."""
    from ggtalker.core import video_writer

    ident = identity.save(tmp_path / "id.pt")
    wav = tmp_path / "speech.wav"
    save_audio(wav, _audio(11))
    monkeypatch.setattr(Talker, "from_zoo", classmethod(lambda cls, device="cpu", **kw: cls(None, None, StubA2E(), device,
                                                                                           chunk=kw.get("chunk", 8))))

    def no_whole_video(*a, **k):
        raise AssertionError("talk.py asked for the whole video at once")

    monkeypatch.setattr(Talker, "drive", no_whole_video)
    written, depth_asked = [], []
    real_write, real_render = video_writer.VideoWriter.write, Talker.render
    monkeypatch.setattr(video_writer.VideoWriter, "write", lambda self, f: (written.append(len(f)), real_write(self, f))[1])
    monkeypatch.setattr(Talker, "render", lambda self, *a, **k: (depth_asked.append(a[5] if len(a) > 5 else k.get("depth")),
                                                                  real_render(self, *a, **k))[1])
    monkeypatch.setattr(sys, "argv", ["talk.py", "--identity", str(ident), "--audio", str(wav), "--out",
                                      str(tmp_path / "t.mp4"), "--size", str(SIZE), "--chunk", "4"])
    runpy.run_path(str(REPO_ROOT / "scripts" / "talk.py"), run_name="__main__")
    assert written == [4, 4, 3] and depth_asked == [False]


def test_stream_yields_every_frame_as_the_audio_arrives(identity) -> None:
    from ggtalker.a2e.stream import MotionStream

    talker = Talker(None, None, tiny_a2e(), e2v_config=TINY_E2V, chunk=4)
    n, chunk = 12, 1280  # 80 ms chunks
    audio = _audio(n)
    arrived, got = 0, []

    def chunks():
        nonlocal arrived
        for s in range(0, len(audio), chunk):
            arrived = s + chunk
            yield audio[s:s + chunk]

    for c in talker.stream(identity, chunks(), "frontal", SIZE, lookahead=2):
        assert c.depth is None and c.frames.shape[1:] == (SIZE, SIZE, 3)
        assert c.start + len(c.frames) <= max(arrived // 640 - 2, 0) or arrived >= len(audio)  # no frame early
        got.append(c)
    assert [c.start for c in got] == list(np.cumsum([0] + [len(c.frames) for c in got[:-1]]))
    frames = np.concatenate([c.frames for c in got])
    assert len(frames) == n
    # The same frames as rendering the streamed parameters in one go.
    params = {k: [] for k in PARAM_DIMS}
    ms = MotionStream(talker.a2e, lookahead=2)
    for s in range(0, len(audio), chunk):
        for k, v in ms.push(audio[s:s + chunk]).items():
            params[k].append(v)
    for k, v in ms.flush().items():
        params[k].append(v)
    params = {k: np.concatenate(v) for k, v in params.items()}
    from ggtalker.core.cameras import camera_path

    whole = np.concatenate([c.frames for c in talker.render(identity, params, camera_path("frontal", n, SIZE), SIZE, SIZE,
                                                            depth=False)])
    assert np.array_equal(frames, whole)


def test_talk_py_stream_mode_writes_the_video_and_its_latency(identity, tmp_path, monkeypatch, capsys) -> None:
    from ggtalker.core.video import read_video

    ident = identity.save(tmp_path / "id.pt")
    wav = tmp_path / "speech.wav"
    save_audio(wav, _audio(10))
    monkeypatch.setattr(Talker, "from_zoo", classmethod(lambda cls, device="cpu", **kw: cls(None, None, tiny_a2e(), device,
                                                                                           chunk=kw.get("chunk", 8))))
    out, speed = tmp_path / "live.mp4", tmp_path / "speed.csv"
    import ggtalker.bench.speed as speed_mod

    monkeypatch.setattr(speed_mod, "SPEED_CSV", speed)
    monkeypatch.setattr(speed_mod.record_speed, "__defaults__", (speed,))
    monkeypatch.setattr(sys, "argv", ["talk.py", "--identity", str(ident), "--audio", str(wav), "--out", str(out),
                                      "--size", str(SIZE), "--stream", "--chunk-ms", "120", "--record-speed"])
    runpy.run_path(str(REPO_ROOT / "scripts" / "talk.py"), run_name="__main__")
    frames, _ = read_video(out)
    assert frames.shape == (10, SIZE, SIZE, 3)
    assert "latency p50" in capsys.readouterr().out
    import pandas as pd

    row = pd.read_csv(speed).iloc[0]
    assert row["what"] == "stream" and row["latency_p95_ms"] >= row["latency_p50_ms"] > 0


def test_a_camera_path_taken_piece_by_piece_is_the_whole_path() -> None:
    from ggtalker.core.cameras import camera_path

    whole = camera_path("orbit", 100, SIZE)
    piece = camera_path("orbit", 40, SIZE, start=60)
    np.testing.assert_allclose(piece.w2c, whole.w2c[60:])
    np.testing.assert_allclose(piece.K, whole.K[60:])


def test_adapt_identity_py_uses_the_methods_preset_at_its_scale(tmp_path) -> None:
    """``scripts/adapt_identity.py --scale S`` adapts with what ``eval/run.py ... scale=S`` runs: at smoke the head
    v2's prior at a 64² map (``preset/ggtalker/smoke.yaml``), at full at its own 256² map, and at full-2id the first
    prior's 32² map."""
    import importlib.util

    from ggtalker.core.clip import write_clip
    from ggtalker.talker import Identity
    from tiny_head import tiny_clip, tiny_prior

    clip = write_clip(tiny_clip(tiny_prior(), 3), tmp_path / "clip")
    spec = importlib.util.spec_from_file_location("adapt_identity", REPO_ROOT / "scripts" / "adapt_identity.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tiny = ["adapt.steps_uv=1", "adapt.steps_joint=1", "adapt.steps_inpaint=0", "adapt.max_side=32",
            "adapt_a2e.steps=0", "progress=false"]
    res = {}
    for scale in ("smoke", "full", "full-2id"):
        out = tmp_path / f"{scale}.pt"
        mod.main(["--clip", str(clip), "--out", str(out), "--scale", scale, "--set", *tiny])
        res[scale] = Identity.load(out).head.uvmap.shape[-1]
    assert res == {"smoke": 64, "full": 256, "full-2id": 32}
