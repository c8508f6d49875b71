"""Adapters that run the published code of other methods (for users who have it) inside the harness.

* :mod:`.spec`: the declarative :class:`MethodSpec` (paper, licence, pinned repository, commands, prerequisites,
  the paper's own numbers, implementation status); one spec per method in :mod:`baselines.specs`.
* :mod:`.external`: :class:`ExternalMethod`, one generic Method driven by a spec.
"""
