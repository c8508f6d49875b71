"""Prerequisites and numbers shared by several specs (the AD-NeRF preprocessing most NeRF/3DGS talkers reuse)."""

from baselines.adapters.spec import Reported, Requirement

#: AD-NeRF-family ``data_utils/process.py``: BiSeNet face parsing, BFM 2009 3DMM tracking, ffmpeg.
ADNERF_PREPROCESS = (
    Requirement("repo_file", "data_utils/face_parsing/79999_iter.pth", "BiSeNet face-parsing weights",
                "download per the README (AD-NeRF's data_util/face_parsing/79999_iter.pth)"),
    Requirement("repo_file", "data_utils/face_tracking/3DMM/exp_info.npy", "AD-NeRF 3DMM helper files",
                "download exp_info.npy, keys_info.npy, sub_mesh.obj, topology_info.npy from AD-NeRF per the README"),
    Requirement("repo_file", "data_utils/face_tracking/3DMM/3DMM_info.npy", "the converted Basel Face Model 2009",
                "licence-gated: request 01_MorphableModel.mat from faces.dmi.unibas.ch, copy it to "
                "data_utils/face_tracking/3DMM/ and run `python convert_BFM.py` in data_utils/face_tracking"),
    Requirement("executable", "ffmpeg", "ffmpeg", "apt-get install ffmpeg"),
)

#: OpenFace 2.2 FeatureExtraction, for ``au.csv`` (AU45 blinks, TalkingGaussian's AU features).
OPENFACE = Requirement("executable", "openface", "OpenFace 2.2 FeatureExtraction (au.csv)",
                       "build OpenFace (github.com/TadasBaltrusaitis/OpenFace) and set params.openface=/path/to/FeatureExtraction")

#: Runs OpenFace on the training video and puts the csv where these methods look for it.
OPENFACE_AU = (
    ("{openface}", "-f", "{video}", "-out_dir", "{data_dir}/openface"),
    ("{python}", "-c", "import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2])",
     "{data_dir}/openface/{id}.csv", "{data_dir}/au.csv"),
)

#: GGTalker (arXiv 2506.21513) self-reenactment table, as transcribed in /work/shared/FIELD-NOTES.md from a
#: third-party summary of the paper: not checked against the PDF here.
GGTALKER_TABLE = "GGTalker (arXiv 2506.21513), self-reenactment table; transcribed from a third-party summary, unverified"
GGTALKER_OOD = "GGTalker (arXiv 2506.21513), OOD-audio / cross-identity / cross-language table; third-party summary, unverified"


def ggtalker_row(psnr, lpips, ssim, fid, lmd, aue, lse_c, train_h, fps) -> Reported:
    """One row of GGTalker's comparison table (their evaluation of the method, not the method's own paper)."""
    return Reported("GGTalker's benchmark (HDTF-style identities)", "self-reenactment, as evaluated by GGTalker",
                    {"psnr": psnr, "lpips": lpips, "ssim": ssim, "fid": fid, "lmd": lmd, "aue": aue, "lse_c": lse_c,
                     "train_hours": train_h, "fps": fps}, GGTALKER_TABLE)
