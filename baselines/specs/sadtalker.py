"""SadTalker (Zhang et al., CVPR 2023): audio → 3DMM motion coefficients → 3D-aware face render, from one image."""

from baselines.adapters.spec import MethodSpec, Requirement

SPEC = MethodSpec(
    id="sadtalker", name="SadTalker",
    paper="SadTalker: Learning Realistic 3D Motion Coefficients for Stylized Audio-Driven Single Image Talking Face Animation",
    venue="CVPR 2023", arxiv="2211.12194",
    licence="MIT in the LICENSE file read at commit bc214d703216558aa0c8534285e08d421cb14ef4; check your checkout's",
    repo_url="https://github.com/OpenTalker/SadTalker",
    commit="unconfirmed",
    commit_note="No README version with the inference command could be read here (the stored README, at "
                "060f1cc3d0f96ca8404ff7b49c35d3f34c3eca9f, predates it). The command follows the widely used form "
                "`python inference.py --driven_audio <wav> --source_image <img> --result_dir <dir> --still "
                "--preprocess full`; check it against your checkout.",
    layout="reference",
    preprocess=(), train=(),
    infer=(("{python}", "inference.py", "--driven_audio", "{audio}", "--source_image", "{ref_image}",
            "--result_dir", "{out_dir}", "--still", "--preprocess", "full"),),
    output="{out_dir}/**/*.mp4",
    requires=(
        Requirement("repo_file", "checkpoints", "SadTalker checkpoints folder",
                    "run the repository's scripts/download_models.sh on a machine with internet and copy checkpoints/"),
        Requirement("repo_file", "gfpgan/weights", "face-enhancer / alignment weights folder used by its preprocessing",
                    "also fetched by scripts/download_models.sh"),
        Requirement("executable", "ffmpeg", "ffmpeg", "apt-get install ffmpeg"),
    ),
    unsupplied=("SadTalker checkpoints", "3DMM / face-alignment weights its preprocessing uses"),
    reported=(),
    status="untested here",
    notes="One-shot: animates the identity's first training frame (ref.png). --still keeps the head nearly still "
          "and --preprocess full pastes the face back into the full image. Our target cameras are ignored.",
)
