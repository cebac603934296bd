"""The backbones' layer names are known without torch (static tables): the tables are each module's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from prisma_abu.errors import InvalidParameterError
from prisma_abu.neural import names


@pytest.mark.parametrize("backbone", names.backbone_names())
def test_the_static_layers_are_the_module_s(backbone):
    assert names.layer_names(backbone) == names.backbone_module(backbone).layer_names(backbone)


@pytest.mark.parametrize("backbone", ["efficientnet_lite0", "vgg16"])
def test_the_static_aliases_are_the_loaded_network_s(backbone):
    from prisma_abu.neural.backbones import load_backbone

    net = load_backbone(backbone)
    for alias, layer in names.layer_aliases(backbone).items():
        assert net.resolve_layer(alias) == layer
        assert net.resolve_layer(alias.upper()) == layer
    assert len(names.layer_aliases(backbone)) == len({a for a in names.layer_aliases(backbone)})


def test_the_static_aliases_of_networks_without_weights_here_follow_their_modules():
    from prisma_abu.neural import bvlc_googlenet, googlenet, vgg

    assert dict(names.layer_aliases("vgg19")) == vgg._aliases(vgg.layer_names("vgg19"))
    google = names.layer_aliases("googlenet")
    assert all(google[module] == caffe and google[caffe.removesuffix("/output")] == caffe
               for caffe, module in googlenet.LAYERS)
    assert {a: names.canonical_layer("bvlc_googlenet", a) for a in names.layer_aliases("bvlc_googlenet")} == {
        f"inception_{m}": f"inception_{m}/output" for m in bvlc_googlenet.INCEPTIONS}


def test_names_are_checked_without_importing_torch():
    code = ("import sys\nfrom prisma_abu.neural import names\n"
            "assert names.canonical_layer('googlenet', 'Inception4C') == 'inception_4c/output'\n"
            "try:\n    names.canonical_layer('vgg16', 'relu9_9')\nexcept Exception as e:\n    print(e)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("\n")[-2] == "False" and "unknown layer 'relu9_9' for vgg16" in out.stdout


def test_an_unknown_backbone_names_the_closest():
    with pytest.raises(InvalidParameterError, match=r"unknown backbone 'vgg17'; expected one of: .*closest: vgg19"):
        names.check_backbone("vgg17")
    with pytest.raises(InvalidParameterError, match="unknown backbone"):
        names.layer_names(None)
