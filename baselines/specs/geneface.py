"""GeneFace (Ye et al., ICLR 2023): audio → 3D landmarks (generic VAE + person postnet) → landmark-conditioned NeRF."""

from baselines.adapters.spec import MethodSpec, Requirement

_COPY = "import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2])"
# GeneFace wants a config folder per person, made by copying May's and renaming (its README's instruction).
_CONFIGS = ("import pathlib, shutil, sys; src = pathlib.Path('egs/datasets/videos/May'); "
            "dst = pathlib.Path('egs/datasets/videos') / sys.argv[1]; shutil.copytree(src, dst, dirs_exist_ok=True); "
            "[p.write_text(p.read_text().replace('May', sys.argv[1])) for p in dst.glob('*.yaml')]")

SPEC = MethodSpec(
    id="geneface", name="GeneFace",
    paper="GeneFace: Generalized and High-Fidelity Audio-Driven 3D Talking Face Synthesis",
    venue="ICLR 2023", arxiv="2301.13430",
    licence="MIT, per the LICENSE file read at commit d2a47eb9c684c22ee6db2bf630297bbfba61e024",
    repo_url="https://github.com/yerfor/GeneFace",
    commit="15ff4e5c8fb5bb7dd8fc4cf7befca832ec40754c",
    commit_note="the commit at which README.md was read; docs/process_data/process_target_person_video.md at "
                "226d7d2056c33cbfe3a93cf70fe737bd6475a8bb and docs/train_models/train_models.md at "
                "1198fcf0b8e0fb70b9ef035eecd2c04ea388a90f. Not run here.",
    layout="talking_video",
    preprocess=(
        ("{python}", "-c", _COPY, "{video}", "data/raw/videos/{id}.mp4"),
        ("{python}", "-c", _CONFIGS, "{id}"),
        ("bash", "data_gen/nerf/process_data.sh", "{id}"),
    ),
    train=(
        ("{python}", "tasks/run.py", "--config=egs/datasets/videos/{id}/lm3d_postnet_sync.yaml",
         "--exp_name=checkpoints/{id}/postnet"),
        ("{python}", "tasks/run.py", "--config=egs/datasets/videos/{id}/lm3d_nerf.yaml",
         "--exp_name=checkpoints/{id}/lm3d_nerf"),
        ("{python}", "tasks/run.py", "--config=egs/datasets/videos/{id}/lm3d_nerf_torso.yaml",
         "--exp_name=checkpoints/{id}/lm3d_nerf_torso"),
    ),
    infer=(("bash", "scripts/infer_postnet.sh"), ("bash", "scripts/infer_lm3d_nerf.sh")),
    output="infer_out/{id}/pred_video/*.mp4",
    env={"PYTHONPATH": "./"},
    requires=(
        Requirement("repo_file", "checkpoints/lrs3/lm3d_vae_sync", "the generic LRS3 audio2motion model",
                    "download lrs3.zip from the GeneFace v1.1.0 release into checkpoints/"),
        Requirement("repo_file", "checkpoints/lrs3/syncnet", "GeneFace's LRS3 SyncNet",
                    "download lrs3.zip from the GeneFace v1.1.0 release into checkpoints/"),
        Requirement("repo_file", "egs/datasets/videos/May", "the example per-person config folder", "part of the repository"),
        Requirement("repo_file", "data_util/face_tracking/3DMM/3DMM_info.npy", "the converted Basel Face Model 2009",
                    "licence-gated: get 01_MorphableModel.mat and run convert_BFM.py per docs/prepare_env"),
        Requirement("executable", "ffmpeg", "ffmpeg", "apt-get install ffmpeg"),
    ),
    unsupplied=("Basel Face Model 2009 (licence-gated)", "LRS3-trained audio2motion and SyncNet checkpoints (their release)",
                "HuBERT / DeepSpeech features (their extractors download weights)"),
    reported=(),
    status="untested here",
    notes="The README's inference scripts hard-code the May identity and data/raw/val_wavs/zozo.wav ('you may need "
          "to modify the path names'): edit them or set params.commands.infer to your own command using {audio}. "
          "The README notes the NeRF renderer takes ~2 h per 250 frames at 512x512 on an RTX 2080Ti (v1.1.0 adds a "
          "RAD-NeRF renderer: egs .../lm3d_radnerf*.yaml). The paper's own table is not transcribed here.",
)
