"""GaussianTalker (Cho et al., ACM MM 2024): audio-driven deformation of a canonical 3D Gaussian head via tri-plane features."""

from baselines.adapters.spec import MethodSpec
from baselines.specs._common import ADNERF_PREPROCESS, OPENFACE, OPENFACE_AU, ggtalker_row

_COPY = "import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2])"

SPEC = MethodSpec(
    id="gaussiantalker", name="GaussianTalker",
    paper="GaussianTalker: Real-Time High-Fidelity Talking Head Synthesis with Audio-Driven 3D Gaussian Splatting",
    venue="ACM MM 2024", arxiv="2404.16012",
    licence="unconfirmed: LICENSE.md read at commit d6bfe5c35914200c541e5f7f9bbe1f6a5ae91183 holds a copy of the README, no licence terms; check your checkout",
    repo_url="https://github.com/cvlab-kaist/GaussianTalker (README clones github.com/joungbinlee/GaussianTalker)",
    commit="70736fe1bc165d89cc836cbbe2fb906a0030de66",
    commit_note="the commit at which README.md (commands) was read. Not run here.",
    layout="talking_video",
    preprocess=(("{python}", "data_utils/process.py", "{video}"), *OPENFACE_AU),
    train=(("{python}", "train.py", "-s", "{data_dir}", "--model_path", "{workspace}", "--configs",
            "arguments/64_dim_1_transformer.py"),),
    infer=(
        # The README wants <custom_aud>.wav and .npy inside the dataset folder, passed by name.
        ("{python}", "-c", _COPY, "{audio}", "{data_dir}/custom_aud.wav"),
        ("{python}", "data_utils/deepspeech_features/extract_ds_features.py", "--input", "{data_dir}/custom_aud.wav"),
        ("{python}", "render.py", "-s", "{data_dir}", "--model_path", "{workspace}", "--configs",
         "arguments/64_dim_1_transformer.py", "--iteration", "10000", "--batch", "128", "--custom_aud",
         "custom_aud.npy", "--custom_wav", "custom_aud.wav", "--skip_train", "--skip_test"),
    ),
    output="{workspace}/**/*.mp4",
    requires=(*ADNERF_PREPROCESS, OPENFACE),
    unsupplied=("Basel Face Model 2009 (licence-gated)", "OpenFace 2.2 AU45 (au.csv)", "DeepSpeech graph (TensorFlow)"),
    reported=(ggtalker_row(32.94, 0.0531, 0.953, 6.39, 3.06, 2.98, 6.11, 1.0, 73),),
    status="untested here",
    notes="Paper reports 130 FPS on an RTX 4090 (FIELD-NOTES). A torso variant lives on the repository's torso "
          "branch. The paper's own table is not transcribed here.",
)
