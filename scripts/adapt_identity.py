"""Adapt GGTalker to a person from their clip(s) and save the identity checkpoint that scripts/talk.py reads.

    python scripts/adapt_identity.py --clip CLIP_DIR [CLIP_DIR ...] --out me.pt [--method ggtalker] [--device cpu]

Clip folders are in the harness' clip format (frames, audio, cameras, tracked params, masks). The
adaptation budget is the registered method's (``eval/conf/method/<method>.yaml``); override with
``--set adapt.steps_uv=200`` style arguments.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ggtalker.core.clip import read_clip
from ggtalker.core.registry import METHODS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--method", default="ggtalker")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--set", nargs="*", default=[], help="dotted overrides of the method params, e.g. adapt.steps_uv=200")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    spec = METHODS.spec(a.method)
    params = spec.get("params") or {}
    for item in a.set:
        key, _, val = item.partition("=")
        node = params
        *parents, leaf = key.split(".")
        for k in parents:
            node = node.setdefault(k, {})
        node[leaf] = json.loads(val) if val[:1] in "0123456789-[{tf" else val
    method = METHODS.build({**spec, "params": params}, device=a.device)
    clips = [read_clip(p) for p in a.clip]
    t0 = time.perf_counter()
    prep = method.prepare(clips[0].meta.get("identity", clips[0].id), clips)
    prep["state"].report["prepare_s"] = time.perf_counter() - t0
    path = prep["state"].save(a.out)
    print(f"wrote {path} in {time.perf_counter() - t0:.0f} s: {json.dumps(prep['state'].report, default=str)}")


if __name__ == "__main__":
    main()
