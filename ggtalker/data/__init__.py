"""Data sources for the harness: real recordings (:mod:`ggtalker.data.real`)."""
