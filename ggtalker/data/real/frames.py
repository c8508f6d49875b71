"""The frame and audio conversions now live in :mod:`ggtalker.core.frames` (the tracker, a layer below the data
sources, uses them too); this name stays for existing imports."""

from ggtalker.core.frames import (  # noqa: F401
    CROP_MAX, CROP_SILENT, MAX_SURPLUS, SIZE_TOLERANCE, center_crop, fit_audio, fit_frames, read_video_audio,
    resample_indices, resize_frames,
)
