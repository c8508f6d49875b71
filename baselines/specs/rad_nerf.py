"""RAD-NeRF (Tang et al., 2022): real-time audio-spatial decomposed NeRF talking portraits."""

from baselines.adapters.spec import MethodSpec
from baselines.specs._common import ADNERF_PREPROCESS

SPEC = MethodSpec(
    id="rad_nerf", name="RAD-NeRF",
    paper="Real-time Neural Radiance Talking Portrait Synthesis via Audio-spatial Decomposition",
    venue="arXiv 2022", arxiv="2211.12368",
    licence="unconfirmed: no LICENSE file was found for this repository in the index searched; check your checkout",
    repo_url="https://github.com/ashawkey/RAD-NeRF",
    commit="24ee8831cc4f5a80a062255e3de61f97b3c9a7bf",
    commit_note="the commit at which readme.md (commands) was read. Not run here.",
    layout="talking_video",
    preprocess=(("{python}", "data_utils/process.py", "{video}"),),
    train=(
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}/head", "-O", "--iters", "200000"),
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}/head", "-O", "--iters", "250000",
         "--finetune_lips"),
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}/torso", "-O", "--torso",
         "--head_ckpt", "{workspace}/head/checkpoints/ngp.pth", "--iters", "200000"),
    ),
    infer=(
        ("{python}", "nerf/asr.py", "--wav", "{audio}", "--save_feats"),
        ("{python}", "test.py", "--pose", "{pose_json}", "--ckpt", "{workspace}/torso/checkpoints/ngp.pth",
         "--aud", "{audio_stem}_eo.npy", "--workspace", "{case_dir}/render", "-O", "--torso"),
    ),
    output="{case_dir}/render/results/*.mp4",
    requires=ADNERF_PREPROCESS,
    unsupplied=("Basel Face Model 2009 (licence-gated)",
                "wav2vec2 esperanto model (downloaded from the Hugging Face hub by nerf/asr.py at first use)"),
    reported=(),
    status="untested here",
    notes="Inference renders the case's cameras through --pose (our transforms_target.json, OpenGL camera-to-world "
          "in their tracker's frame): meaningful only when the case's cameras come from their tracker (the "
          "real_processed suite); with the pinhole guess of real_video the head sits where that guess puts it. "
          "The paper's own numbers are not transcribed here.",
)
