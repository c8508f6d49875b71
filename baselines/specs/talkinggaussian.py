"""TalkingGaussian (Li et al., ECCV 2024): structure-persistent 3D Gaussian talking heads (face + inside-mouth branches)."""

from baselines.adapters.spec import MethodSpec, Reported, Requirement
from baselines.specs._common import ADNERF_PREPROCESS, GGTALKER_OOD, OPENFACE, OPENFACE_AU

SPEC = MethodSpec(
    id="talkinggaussian", name="TalkingGaussian",
    paper="TalkingGaussian: Structure-Persistent 3D Talking Head Synthesis via Gaussian Splatting",
    venue="ECCV 2024", arxiv="2404.15264",
    licence="unconfirmed: no LICENSE file was found for this repository in the index searched; check your checkout",
    repo_url="https://github.com/Fictionarry/TalkingGaussian",
    commit="9bd34f732e30cd94c0a9a087a125d2dda228e258",
    commit_note="the commit at which README.md (commands) was read. Not run here.",
    layout="talking_video",
    preprocess=(
        ("{python}", "data_utils/process.py", "{video}"),
        *OPENFACE_AU,
        ("{python}", "./data_utils/easyportrait/create_teeth_mask.py", "{data_dir}"),
    ),
    train=(("bash", "scripts/train_xx.sh", "{data_dir}", "{workspace}", "0"),),
    infer=(
        ("{python}", "data_utils/deepspeech_features/extract_ds_features.py", "--input", "{audio}"),
        ("{python}", "synthesize_fuse.py", "-S", "{data_dir}", "-M", "{workspace}", "--use_train",
         "--audio", "{audio_stem}.npy"),
    ),
    output="{workspace}/**/*.mp4",
    env={"PYTHONPATH": "./data_utils/easyportrait"},
    requires=(*ADNERF_PREPROCESS, OPENFACE,
              Requirement("repo_file", "data_utils/easyportrait/fpn-fp-512.pth", "EasyPortrait teeth-segmentation weights",
                          "download fpn-fp-512.pth per the README into data_utils/easyportrait/ (needs mmcv-full 1.7.1)")),
    unsupplied=("Basel Face Model 2009 (licence-gated)", "OpenFace 2.2 action units (au.csv, required)",
                "EasyPortrait weights", "DeepSpeech graph (TensorFlow)"),
    reported=(
        Reported("GGTalker's benchmark", "OOD audio", {"lse_d": 9.50, "lse_c": 4.34}, GGTALKER_OOD),
        Reported("GGTalker's benchmark", "cross-language", {"lse_d": 9.83, "lse_c": 3.12}, GGTALKER_OOD),
    ),
    status="untested here",
    notes="The README's scripts/train_xx.sh takes <data> <output> <GPU id>; we pass GPU 0 (set device=cuda:K to "
          "remap via CUDA_VISIBLE_DEVICES). The README says test renders go to output/<project>/test/ours_None/"
          "renders; the output glob takes the newest mp4 under the workspace. The paper's own table is not "
          "transcribed here.",
)
