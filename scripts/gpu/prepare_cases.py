"""Render the cases of the SynthTalk suites at one scale, before any method runs (in parallel workers).

    python scripts/gpu/prepare_cases.py [SCALE]       # default full-2id; $PREP_SUITES limits the suites

``$NID`` (optional) renders that many test identities instead of the scale's (scripts/gpu/fit_diagnostic.sh's
diagnostic adapts 3); an eval/run.py run takes the same with ``suite.params.scales.<SCALE>.source.n_identities=N``,
or at a source's own scale (smoke, full) with ``+suite.params.source.params.n_identities=N``.

The sizes are the suites' own (``scales.<SCALE>`` in ``eval/conf/suite/<suite>.yaml``): this script holds none,
so ``eval/run.py suite=S scale=SCALE`` then finds exactly these clips in the cache. A file, not a heredoc:
spawned workers re-import the main module, which stdin cannot provide.
"""

import os
import sys

from ggtalker.core.registry import SUITES

#: The suites the GPU scripts evaluate.
SUITES_RENDERED = ("ood_audio", "novel_view", "self_reenact", "cross_identity")

if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "full-2id"
    for name in os.environ.get("PREP_SUITES", " ".join(SUITES_RENDERED)).split():
        suite = SUITES.build(name)
        suite.name = name
        if os.environ.get("NID") and scale in suite.scales:
            suite.scales[scale] = {**suite.scales[scale], "source": {**suite.scales[scale].get("source", {}),
                                                                     "n_identities": int(os.environ["NID"])}}
        elif os.environ.get("NID"):  # a source's own scale (smoke, full): eval/run.py's
            # +suite.params.source.params.n_identities=N
            suite.source = {**suite.source, "params": {**suite.source.get("params", {}),
                                                       "n_identities": int(os.environ["NID"])}}
        suite.cases(scale=scale)
    print("cases ready")
