"""Vowel acoustics against vowel labels, per language: does the world's lip target agree with its audio?

SynthTalk labels each espeak-ng vowel mnemonic with one viseme for every language (``ggtalker.synth.visemes``:
a length mark such as ``a:`` keeps ``a``'s target). espeak-ng, though, may realise one mnemonic with other
formants in another language. Jaw opening follows the first formant (F1 rises as the jaw lowers), so where a
language's F1 for a mnemonic sits far from the others', its labels ask for a mouth shape its audio does not
carry, and an audio-driven predictor cannot follow them. This script measures it:

    python scripts/vowel_formants.py                                   # all languages of the bank, table to stdout
    python scripts/vowel_formants.py --languages en de vi fi --prior a2e_synthtalk --out vowels.csv
    python scripts/vowel_formants.py --calibrate     # rewrite the world's calibration table (voices m1 m3 f3)

The world itself uses this measurement: ``--calibrate`` writes ``ggtalker/synth/assets/vowel_f1.csv``, from
which :mod:`ggtalker.synth.vowel_acoustics` moves each language's vowel jaw targets to match its F1. Changing
that table changes the world's labels: bump ``WORLD_VERSION`` (``ggtalker/synth/recipes.py``) with it.

For each (language, vowel mnemonic as espeak-ng reports it) it gives the median F1/F2 (Hz) at the centre of
the vowel's segments (``ggtalker.audio.formants``: autocorrelation LPC of order 12 at 11 kHz), the viseme's
jaw target, and with ``--prior`` the mean true and predicted jaw over
the frames of those segments. Speech: every sentence of the language's bank (all splits), voice m3 unless
``--voices`` says otherwise (one row per voice).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ggtalker.audio.formants import formants  # noqa: E402
from ggtalker.synth import sentences as bank  # noqa: E402
from ggtalker.synth.espeak import base_mnemonic, synthesize  # noqa: E402
from ggtalker.synth.visemes import classify  # noqa: E402
from ggtalker.synth.vowel_acoustics import TABLE  # noqa: E402

#: Vowel segments shorter than this give no stable formant estimate at their centre.
MIN_VOWEL_S = 0.05
#: The voices the world's calibration is measured with: the median over voices damps one voice's LPC errors.
CALIBRATION_VOICES = ("m1", "m3", "f3")
WINDOW_S = 0.03


def vowel_table(languages: list[str], voices: tuple[str, ...] = ("m3",), prior: str | None = None) -> pd.DataFrame:
    """One row per (language, mnemonic, voice): ``n``, ``f1``, ``f2`` (medians, Hz), ``jaw_target`` (the
    calibrated one) and, with a ``prior`` zoo name, ``jaw_true``/``jaw_pred`` (means over the segments' frames)."""
    from tqdm.auto import tqdm

    from ggtalker.synth.performance import VoiceSpec, perform

    model = None
    if prior:
        from ggtalker.a2e.prior import A2EPrior

        model = A2EPrior.from_zoo(prior)
    rows: dict[tuple[str, str, str], dict[str, list]] = {}
    jobs = [(lang, text, voice) for lang in languages for split in bank.SPLITS for text in bank.sentences(lang, split)
            for voice in voices]
    for lang, text, voice in tqdm(jobs, desc="sentences", unit="sent"):
        utt = synthesize(text, f"{lang}+{voice}")
        sr = utt.sample_rate
        ends = [t for t, _ in utt.phonemes[1:]] + [len(utt.wav) / sr]
        perf = pred = None
        if model is not None:
            perf = perform(text, VoiceSpec(lang, voice))
            pred = model.predict(perf.audio, perf.fps, seed=0)
        for (start, name), end in zip(utt.phonemes, ends):
            vis = classify(name)
            if len(vis) != 1 or vis[0].kind != "vowel" or end - start < MIN_VOWEL_S:
                continue
            mid = 0.5 * (start + end)
            f = formants(utt.wav[int((mid - WINDOW_S / 2) * sr) : int((mid + WINDOW_S / 2) * sr)], sr)
            if len(f) < 2:
                continue
            row = rows.setdefault((lang, name, voice), {"f1": [], "f2": [], "jaw_true": [], "jaw_pred": []})
            row["f1"].append(f[0])
            row["f2"].append(f[1])
            if perf is not None:
                # perform() re-synthesises the same text and voice: the same phoneme times (deterministic).
                a, b = int(start * perf.fps), max(int(start * perf.fps) + 1, int(end * perf.fps))
                row["jaw_true"].append(float(perf.params["jaw"][a:b, 0].mean()))
                row["jaw_pred"].append(float(pred["jaw"][a:b, 0].mean()))
    out = []
    for (lang, name, voice), r in sorted(rows.items()):
        rec = {"language": lang, "vowel": name, "voice": voice, "n": len(r["f1"]), "f1": float(np.median(r["f1"])),
               "f2": float(np.median(r["f2"])),
               "jaw_target": classify(name, lang)[0].target["jaw"]}
        if r["jaw_true"]:
            rec |= {"jaw_true": float(np.mean(r["jaw_true"])), "jaw_pred": float(np.mean(r["jaw_pred"]))}
        out.append(rec)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--languages", nargs="+", default=None, help="default: every language of the sentence bank")
    ap.add_argument("--voices", nargs="+", default=["m3"], help="espeak-ng variants")
    ap.add_argument("--calibrate", action="store_true",
                    help=f"measure every language with voices {' '.join(CALIBRATION_VOICES)} and write {TABLE.name}")
    ap.add_argument("--prior", default=None, help="zoo name of an A2E prior: add its mean jaw per vowel")
    ap.add_argument("--min-n", type=int, default=3, help="print vowels with at least this many segments")
    ap.add_argument("--out", default=None, help="CSV of the whole table")
    args = ap.parse_args(argv)
    langs = args.languages or (list(bank.PRIOR_LANGUAGES) + list(bank.OOD_LANGUAGES) + list(bank.VAL_LANGUAGES))
    if args.calibrate:
        table = vowel_table(langs, CALIBRATION_VOICES)
        TABLE.parent.mkdir(exist_ok=True)
        table.drop(columns="jaw_target").to_csv(TABLE, index=False, float_format="%.1f")
        print(f"wrote {TABLE} ({len(table)} rows); bump WORLD_VERSION if it changed")
        return
    table = vowel_table(langs, tuple(args.voices), args.prior)
    if args.out:
        table.to_csv(args.out, index=False, float_format="%.3f")
    shown = table[table.n >= args.min_n].copy()
    # How far each language's F1 for a base vowel sits from the median of the other languages' for it.
    shown["base"] = shown.vowel.map(base_mnemonic)
    med = shown.groupby(["voice", "base"]).f1.transform("median")
    shown["f1_vs_median"] = shown.f1 / med
    print(shown.drop(columns="base").to_string(index=False, float_format=lambda x: f"{x:.2f}" if x < 10 else f"{x:.0f}"))


if __name__ == "__main__":
    main()
