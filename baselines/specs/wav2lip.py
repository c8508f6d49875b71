"""Wav2Lip (Prajwal et al., ACM MM 2020): 2D mouth-region inpainting from audio with a lip-sync expert."""

from baselines.adapters.spec import MethodSpec, Requirement

SPEC = MethodSpec(
    id="wav2lip", name="Wav2Lip",
    paper="A Lip Sync Expert Is All You Need for Speech to Lip Generation In the Wild",
    venue="ACM MM 2020", arxiv="2008.10010",
    licence="personal/research/non-commercial use only (README, 'License and Citation'; trained on LRS2)",
    repo_url="https://github.com/Rudrabha/Wav2Lip",
    commit="06b5fdbb09d1a7241d652e8bb29393f4fd00c227",
    commit_note="the commit at which README.md (commands) was read. Not run here.",
    layout="reference",
    preprocess=(), train=(),
    infer=(("{python}", "inference.py", "--checkpoint_path", "{checkpoint}", "--face", "{video}", "--audio",
            "{audio}", "--outfile", "{out_dir}/result_voice.mp4"),),
    output="{out_dir}/result_voice.mp4",
    requires=(
        Requirement("param", "checkpoint", "Wav2Lip or Wav2Lip+GAN weights (wav2lip.pth / wav2lip_gan.pth)",
                    "download from the README's 'Getting the weights' table and set params.checkpoint"),
        Requirement("repo_file", "face_detection/detection/sfd/s3fd.pth", "S3FD face-detector weights",
                    "download s3fd-619a316812.pth per the README to face_detection/detection/sfd/s3fd.pth"),
        Requirement("executable", "ffmpeg", "ffmpeg", "apt-get install ffmpeg"),
    ),
    unsupplied=("Wav2Lip weights (not downloadable here)", "S3FD weights"),
    reported=(),
    status="untested here",
    notes="No per-identity training: the identity's training video (25 fps, audio muxed) is the --face input and "
          "its frames are re-lip-synced to the case's audio, so head motion comes from the training video and our "
          "target cameras are ignored. The output keeps the input video's resolution.",
)
