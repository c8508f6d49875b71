"""GGTalker as a library: ``Talker`` adapts to a person (``Identity``) and drives their head with speech (``Talk``).

    from ggtalker import AdaptConfig, Talker
    talker = Talker.from_zoo("cuda")
    me = talker.adapt(clips, AdaptConfig())
    talk = talker.drive(me, audio16k, "orbit", size=512)

See docs/ggtalker.md.
"""

from ggtalker.a2e.adapt import A2EAdaptConfig
from ggtalker.gaussians.adapt import HeadAdaptConfig
from ggtalker.talker.identity import Identity
from ggtalker.talker.talker import AdaptConfig, Talk, TalkChunk, Talker

__all__ = ["A2EAdaptConfig", "AdaptConfig", "HeadAdaptConfig", "Identity", "Talk", "TalkChunk", "Talker"]
