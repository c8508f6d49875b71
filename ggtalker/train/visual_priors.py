"""Train GGTalker's visual priors (Expression-Visual prior and Body Inpainter) and optionally add them to the zoo.

    python -m ggtalker.train.visual_priors --scale smoke --out /tmp/vp            # CPU, minutes
    python -m ggtalker.train.visual_priors --scale full --device cuda --out OUT    # GPU (scripts/gpu/train_e2v.sh)
    python -m ggtalker.train.visual_priors ... --resume                           # continue an interrupted run
    python -m ggtalker.train.visual_priors ... --zoo                              # also write zoo entries

Writes ``OUT/e2v.pt``, ``OUT/inpainter.pt``, ``OUT/train_log.json`` and the resumable training states
``OUT/e2v_state.pt``, ``OUT/inpainter_state.pt`` (every ``--ckpt-every`` steps). ``--data DIR`` trains on a
folder of clip folders instead of rendering the SynthTalk visual corpus (:mod:`ggtalker.train.visual_corpus`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from ggtalker.gaussians.data import load_identities
from ggtalker.gaussians.inpainter import FILLS, BodyInpainter
from ggtalker.gaussians.prior import HEAD_V2, E2VConfig, E2VPrior
from ggtalker.train.e2v import E2VTrainConfig, train_e2v
from ggtalker.train.inpainter import train_inpainter
from ggtalker.train.visual_corpus import build_visual_corpus

DEFAULTS = {"smoke": {"e2v_steps": 150, "inp_steps": 150, "uv_res": {"v1": 32, "v2": 64}, "batch": 2},
            "full": {"e2v_steps": 3000, "inp_steps": 1500, "uv_res": {"v1": 32, "v2": 256}, "batch": 8}}
#: The E2V prior's design per ``--head``: the first zoo prior's (the E2VConfig defaults) and the head v2.
HEADS = {"v1": {}, "v2": HEAD_V2}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["smoke", "full"], default="smoke")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=None, help="folder of clip folders (default: render the SynthTalk corpus)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--e2v-steps", type=int)
    ap.add_argument("--inp-steps", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=0, help="processes rendering the corpus")
    ap.add_argument("--only", choices=["e2v", "inpainter"], default=None, help="train one of the two priors")
    ap.add_argument("--n-identities", type=int, help="override the corpus size")
    ap.add_argument("--ckpt-every", type=int, default=250, help="steps between saved training states")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/e2v_state.pt and OUT/inpainter_state.pt")
    ap.add_argument("--zoo", action="store_true", help="write zoo entries e2v_synthtalk and inpainter_synthtalk")
    ap.add_argument("--head", choices=sorted(HEADS), default="v1",
                    help="v2: the head that can fit its frames (prior.HEAD_V2; zoo entry e2v_synthtalk_v2); "
                         "v1: the first zoo prior's design (e2v_synthtalk)")
    ap.add_argument("--uv-res", type=int, help="UV map resolution (default: the scale's)")
    ap.add_argument("--inpainter-fill", choices=FILLS, default="region",
                    help="what the Body Inpainter fills behind the head (BodyInpainter.fill); exposed: zoo entry "
                         "inpainter_synthtalk_exposed, region: inpainter_synthtalk")
    ap.add_argument("--init", default=None, metavar="ENTRY_OR_PATH",
                    help="start the E2V prior from this zoo entry or checkpoint (fine-tune; its sizes, not --head/--uv-res)")
    ap.add_argument("--source-max-yaw", type=float, default=None, metavar="DEG",
                    help="draw E2V source frames only within this camera yaw of the front (E2VTrainConfig.source_max_yaw)")
    ap.add_argument("--gen-wrap", action="store_true",
                    help="the generator pads the UV map's columns circularly (E2VConfig.gen_wrap; with --init too)")
    ap.add_argument("--scene-code", type=int, default=0, metavar="N",
                    help="the generator's spatial image code of N numbers (E2VConfig.gen_scene_code; with --init too)")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="stop E2V training after this long and save a resumable state (--resume continues)")
    a = ap.parse_args(argv)
    d = DEFAULTS[a.scale]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    over = {"n_identities": a.n_identities} if a.n_identities else {}
    data = Path(a.data) if a.data else build_visual_corpus(a.scale, a.seed, workers=a.workers, **over)
    ids = load_identities(data)
    if a.device != "cpu":
        ids = {k: v.to(a.device) for k, v in ids.items()}
    t_data = time.perf_counter() - t0
    print(f"data: {len(ids)} identities, {sum(len(v) for v in ids.values())} frames from {data} ({t_data:.0f} s)")

    cfg = E2VTrainConfig(steps=a.e2v_steps or d["e2v_steps"], batch=a.batch or d["batch"], seed=a.seed,
                         ckpt_every=a.ckpt_every, max_seconds=None if a.max_minutes is None else 60 * a.max_minutes,
                         source_max_yaw=a.source_max_yaw)
    inp_steps = a.inp_steps or d["inp_steps"]
    log_e2v, log_inp, t_e2v, t_inp = [], [], 0.0, 0.0
    if a.only in (None, "e2v"):
        ext = {k: v for k, v in (("gen_wrap", a.gen_wrap), ("gen_scene_code", a.scene_code)) if v}
        if a.init:  # a resumed state overrides these weights (train_e2v loads it)
            path = Path(a.init)
            prior = (E2VPrior.load(path, extend=ext) if path.is_file() else E2VPrior.from_zoo(a.init, extend=ext)).to(a.device)
        else:
            prior = E2VPrior(E2VConfig(uv_res=a.uv_res or d["uv_res"][a.head], **HEADS[a.head], **ext)).to(a.device)
        t1 = time.perf_counter()
        log_e2v = train_e2v(prior, ids, cfg, state_path=out / "e2v_state.pt", resume=a.resume)
        t_e2v = time.perf_counter() - t1
        prior.save(out / "e2v.pt")
        print(f"e2v: {log_e2v[-1]['step']} of {cfg.steps} steps {t_e2v:.0f} s, photo {log_e2v[0]['photo']:.4f} -> {log_e2v[-1]['photo']:.4f}")
    if a.only in (None, "inpainter"):
        inp = BodyInpainter(fill=a.inpainter_fill).to(a.device)
        t2 = time.perf_counter()
        log_inp = train_inpainter(inp, ids, steps=inp_steps, batch=max(2, cfg.batch), seed=a.seed,
                                  # an interrupted run may not have reached the inpainter yet
                                  state_path=out / "inpainter_state.pt", ckpt_every=a.ckpt_every,
                                  resume=a.resume and (out / "inpainter_state.pt").is_file())
        t_inp = time.perf_counter() - t2
        inp.save(out / "inpainter.pt")
        print(f"inpainter: {inp_steps} steps {t_inp:.0f} s, loss {log_inp[0]['loss']:.4f} -> {log_inp[-1]['loss']:.4f}")
    device = torch.cuda.get_device_name() if a.device.startswith("cuda") else f"CPU ({platform.processor() or 'x86_64'}, {a.threads} threads)"
    rec = {"scale": a.scale, "data": str(data), "device": device, "e2v": {"steps": log_e2v[-1]["step"] if log_e2v else 0, "seconds": t_e2v, "log": log_e2v},
           "inpainter": {"steps": inp_steps, "seconds": t_inp, "log": log_inp}, "data_s": t_data}
    (out / "train_log.json").write_text(json.dumps(rec, indent=1))
    if a.zoo:
        from ggtalker.zoo import save_entry

        recipe = " ".join(["python -m ggtalker.train.visual_priors", *(x for x in (argv or sys.argv[1:]) if x != "--resume")])
        corpus = f"ggtalker.train.visual_corpus.build_visual_corpus({a.scale!r}, seed={a.seed})" if not a.data else str(a.data)
        if log_e2v:
            save_entry("e2v_synthtalk_v2" if a.head == "v2" else "e2v_synthtalk", out / "e2v.pt", recipe=recipe, data=corpus, steps=log_e2v[-1]["step"], device=device,
                       metrics={"photo_l1_ssim_first": log_e2v[0]["photo"], "photo_l1_ssim_last": log_e2v[-1]["photo"]})
        if log_inp:
            name = "inpainter_synthtalk" if a.inpainter_fill == "region" else f"inpainter_synthtalk_{a.inpainter_fill}"
            save_entry(name, out / "inpainter.pt", recipe=recipe, data=corpus, steps=inp_steps,
                       device=device, metrics={"loss_first": log_inp[0]["loss"], "loss_last": log_inp[-1]["loss"]})
        print("wrote zoo entries")


if __name__ == "__main__":
    main()
