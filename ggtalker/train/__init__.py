"""Training of GGTalker's models and of the benchmark's sync expert, each resumable from its checkpoint.

``a2e`` (the Audio-Expression prior and its regressor twin, on :mod:`ggtalker.train.a2e_corpus`), the
visual priors on :mod:`ggtalker.train.visual_corpus`.
"""
