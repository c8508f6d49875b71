"""In-house re-implementations of the talking-head methods GGTalker is compared against.

Each is trained per identity from that identity's clip alone (no priors), behind the harness's
:class:`ggtalker.bench.method.Method` interface, and registered by one YAML in ``eval/conf/method/``:

* :mod:`baselines.nerf_talker`: an audio-conditioned tri-plane radiance field (ER-NeRF / RAD-NeRF family).
* :mod:`baselines.talking_gaussian`: canonical 3D Gaussians + an audio-driven deformation field
  (TalkingGaussian / GaussianTalker family).
* :mod:`baselines.wav2lip2d`: 2D mouth inpainting from audio (Wav2Lip family), warped to novel views.
"""
