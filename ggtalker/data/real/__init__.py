"""Real data, for users who have it: loaders that turn recordings into harness clips and suite sources.

* :mod:`.video_folder`: a folder of talking-head videos with audio (HDTF style).
* :mod:`.processed`: the processed layout of ER-NeRF / RAD-NeRF / TalkingGaussian (reader and writer).
* :mod:`.sources`: suite sources (``fn(scale, seed, **params) -> list[Case]``) over both.
* :mod:`.cameras`, :mod:`.frames`: camera conventions and frame/audio resampling they share.
"""
