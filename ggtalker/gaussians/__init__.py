"""GGTalker's Gaussian head: template mesh, triangle-bound Gaussians, Identity-Gaussian Generator (the
Expression-Visual prior), color MLP, Body Inpainter and the visual Customized Adaptation. Assembled with the
audio prior by :class:`ggtalker.talker.Talker`; trained by :mod:`ggtalker.train`."""
