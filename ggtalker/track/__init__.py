"""Tracking real or rendered frames into clips: face crop (:mod:`.crop`), landmark detectors (:mod:`.landmarks`),
the tracked heads (:mod:`.heads`) and their fit (:mod:`.fit`), masks (:mod:`.segment`), the whole pipeline with its
cache (:mod:`.pipeline`) and accuracy against a known truth (:mod:`.accuracy`). See docs/tracking.md."""
