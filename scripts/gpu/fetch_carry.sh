#!/usr/bin/env bash
# Run HERE (with registry access) once: downloads what the offline GPU machine lacks into
# .whl/ (Python 3.12 wheels), .gl/ (GL loaders) and .debs/ (espeak-ng), all git-ignored.
# PyAV (36 MB) is left out: with the tree it would pass the 64 MiB carry limit. GPU runs write no videos
# (eval/run.py ... save_videos=0); ggtalker.core.video_writer imports it only when it writes one.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .whl .gl .debs /tmp/amd64/partial
D="python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp -d .whl -q"
for plat in manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64 any; do D="$D --platform $plat"; done
for p in gsplat==1.5.3 hydra-core==1.3.2 omegaconf==2.3.0 moderngl glcontext soundfile cffi pycparser lpips==0.1.4; do $D "$p"; done
python3 -m pip wheel -q --no-deps -w .whl antlr4-python3-runtime==4.9.3 python_speech_features==0.6
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
(cd .debs && apt-get $o download libespeak-ng1 espeak-ng-data libpcaudio0 libsonic0 libasound2 libasound2-data libpulse0 libdbus-1-3 libcap2 libgpg-error0 libsndfile1 libsystemd0 libasyncns0 libx11-xcb1 libxcb1 libgcrypt20 liblz4-1 libzstd1 libflac12 libogg0 libvorbis0a libvorbisenc2 libopus0 libmpg123-0 libmp3lame0 libxau6 libxdmcp6 libx11-6 libbsd0 libmd0)
