"""GGTalker's Gaussian head: template mesh, triangle-bound Gaussians, Identity-Gaussian Generator,
color MLP, Body Inpainter, Customized Adaptation and the audio → video pipeline."""
