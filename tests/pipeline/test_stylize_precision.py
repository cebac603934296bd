"""stylize's precision: ``auto`` is fp32 on the CPU (the fastest measured path), bf16 stays within fp32's picture,
and ``prisma-abu doctor`` says why."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from prisma_abu.params import StylizeParams
from prisma_abu.pipeline.stylize import auto_precision_note, model_identity, stylize

ORT = importlib.util.find_spec("onnxruntime") is not None


def _photo():
    from pathlib import Path

    from prisma_abu.io import read_image

    return read_image(Path(__file__).resolve().parents[2] / "sample" / "chelsea.jpg")


def test_auto_on_the_cpu_is_fp32_through_the_fastest_runtime():
    how = model_identity(StylizeParams(model="multistyle26:7", device="cpu"))
    assert (how["precision"], how["runtime"]) == ("fp32", "onnxruntime" if ORT else "torch")


def test_bf16_is_within_the_tolerance_of_fp32s_picture():
    photo = _photo()
    fp32 = stylize(photo, StylizeParams(model="multistyle26:7", precision="fp32", device="cpu", size=160)).astype(float)
    bf16 = stylize(photo, StylizeParams(model="multistyle26:7", precision="bf16", device="cpu", size=160)).astype(float)
    assert bf16.shape == fp32.shape
    difference = np.abs(bf16 - fp32)
    assert difference.mean() < 1.5 and np.mean(difference > 16) < 0.01, (difference.mean(), difference.max())


def test_doctor_says_why_stylize_stays_fp32(capsys):
    from prisma_abu.cli import main

    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert auto_precision_note() in lines
    assert auto_precision_note().startswith("stylize --precision auto: fp32 on the CPU through "
                                            + ("onnxruntime" if ORT else "torch"))
