"""Tracking real or rendered frames: facial landmark detectors (more of a tracker to come: crops, fits, masks)."""
