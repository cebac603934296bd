"""An unknown network name is refused in a fresh process before torch is imported: one line with the closest
name, exit 2 (issue 21: a typo took 1.3-3 s to be refused, after torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
from prisma_abu.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "torch": "torch" in sys.modules}))
"""


@pytest.mark.parametrize("argv, said", [
    (["stylize", "sample/chelsea.jpg", "--model", "multistyle2:7"], "unknown model 'multistyle2:7'"
                                                                   ": no such name or file; expected one of "),
    (["stylize", "sample/chelsea.jpg", "--model", "arbitary"], "closest: arbitrary"),
    (["stylize", "sample/chelsea.jpg", "--model", "multistyle26:99"], "style: expected multistyle26:N with N in 0..25"),
    (["stylize", "sample/chelsea.jpg", "--style", "30"], "got '30'"),
    (["mix", "sample/chelsea.jpg", "--guide", "stylized:nosuch"], "--guide stylized:nosuch: unknown model 'nosuch'"),
    (["mix", "sample/chelsea.jpg", "--guide", "stylized:multistyl26:7"], "closest: multistyle26"),
    (["mix", "sample/chelsea.jpg", "--guide-model", "nosuch.pth"], "--guide-model: unknown model 'nosuch.pth'"),
    (["dream", "sample/chelsea.jpg", "--backbone", "vgg17"], "unknown backbone 'vgg17'; expected one of: "
                                                             "efficientnet_lite0, vgg16"),
    (["dream", "sample/chelsea.jpg", "--layer", "blocks.99"], "closest: blocks.9"),
    (["mix", "sample/chelsea.jpg", "--layer", "blok.3"], "closest: blocks.3"),
    (["mix", "sample/chelsea.jpg", "--backbone", "vgg16", "--layer", "relu9_9"], "unknown layer 'relu9_9' for vgg16"),
    (["style", "sample/chelsea.jpg", "--style", "sample/chelsea.jpg", "--style-layers", "relu9_1"],
     "unknown layer 'relu9_1' for vgg16"),
], ids=lambda v: "-".join(v).replace("/", "_") if isinstance(v, list) else "")
def test_an_unknown_name_is_refused_before_torch(argv, said, tmp_path):
    env = {**os.environ, "PRISMA_ABU_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv, "-o", str(tmp_path / "o.png")], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 2, "torch": False}
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], lines
    assert not (tmp_path / "o.png").exists()


def test_aliases_and_other_letter_cases_are_not_refused():
    from prisma_abu.params import DreamParams, MixParams
    from prisma_abu.pipeline.models import check_names

    check_names(DreamParams(backbone="googlenet", layers=("Inception4c", "inception_4c", "conv1")))
    check_names(MixParams(backbone="vgg16", layer="block4_conv2"))
    check_names(MixParams(backbone="efficientnet_lite0", layer="_blocks.3"))
    check_names(MixParams(layer="auto"))
    check_names(MixParams(layer=None))


def test_a_weights_file_s_own_layers_are_not_refused_by_name():
    # neural-style's NIN line: -model_file nin_imagenet_conv.caffemodel with layers relu0, relu3... of its own
    from prisma_abu.params import StyleParams
    from prisma_abu.pipeline.models import check_names

    check_names(StyleParams(weights="models/nin.caffemodel", content_layers=("relu0",), style_layers=("relu3",)))
