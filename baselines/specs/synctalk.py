"""SyncTalk (Peng et al., CVPR 2024): tri-plane hash NeRF with a face-sync controller and a portrait-sync generator."""

from baselines.adapters.spec import MethodSpec, Reported
from baselines.specs._common import ADNERF_PREPROCESS, GGTALKER_OOD, ggtalker_row

SPEC = MethodSpec(
    id="synctalk", name="SyncTalk",
    paper="SyncTalk: The Devil is in the Synchronization for Talking Head Synthesis",
    venue="CVPR 2024", arxiv="2311.17590",
    licence="CC BY-NC 4.0 (non-commercial), per the LICENSE file read at commit cd85adb1a30da60105984019c1f0c4221f4709bf",
    repo_url="https://github.com/ZiqiaoPeng/SyncTalk",
    commit="0522f01803a62b029638126fc821770b471fa66d",
    commit_note="the commit at which README.md (commands, numbers) was read. Not run here.",
    layout="talking_video",
    preprocess=(("{python}", "data_utils/process.py", "{video}", "--asr", "ave"),),
    train=(
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}", "-O", "--iters", "60000",
         "--asr_model", "ave"),
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}", "-O", "--iters", "100000",
         "--finetune_lips", "--patch_size", "64", "--asr_model", "ave"),
    ),
    infer=(
        ("{python}", "main.py", "{data_dir}", "--workspace", "{workspace}", "-O", "--test", "--test_train",
         "--asr_model", "ave", "--portrait", "--aud", "{audio}"),
    ),
    output="{workspace}/results/*.mp4",
    requires=ADNERF_PREPROCESS,
    unsupplied=("Basel Face Model 2009 (licence-gated)",
                "their audio-visual encoder (AVE) weights, shipped in their repository/checkpoints",
                "optional: OpenFace AU45 (--au45) instead of mediapipe blendshapes"),
    reported=(
        Reported("May", "without portrait paste-back", {"psnr": 32.201, "lpips": 0.0394, "lmd": 2.822},
                 "SyncTalk README, 'If it runs correctly' (released May model; one subject)"),
        Reported("May", "--portrait (face pasted back onto the original frame)",
                 {"psnr": 37.644, "lpips": 0.0117, "lmd": 2.825}, "SyncTalk README (released May model)"),
        ggtalker_row(32.55, 0.0334, 0.963, 6.82, 2.96, 3.62, 7.69, 5.0, 32),
        Reported("GGTalker's benchmark", "OOD audio", {"lse_d": 8.73, "lse_c": 5.64}, GGTALKER_OOD),
        Reported("GGTalker's benchmark", "cross-language", {"lse_d": 9.76, "lse_c": 5.30}, GGTALKER_OOD),
    ),
    status="untested here",
    notes="--portrait pastes the generated face onto the original frames (ori_imgs): score it against ori_imgs "
          "(real_processed with images=ori_imgs), and say so. --test_train replays training poses; our cameras are "
          "not used. Results land in <workspace>/results/ (README).",
)
