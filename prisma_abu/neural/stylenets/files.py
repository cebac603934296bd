"""Model files users already own, registered by suffix: pytorch-examples ``.pth``/``.model`` (and the files
``train-style`` writes), ONNX exports of that network, and jcjohnson's Torch7 ``.t7``.

Importing this module (the package does, on first use) registers the three loaders with
:func:`prisma_abu.neural.stylenets.register_file_loader`; each checks a file's content (``sniff``)
before it claims it, so an ONNX file of the Magenta networks or of another network is not mistaken
for a TransformerNet.
"""

from __future__ import annotations

from typing import Any, Callable

from . import register_file_loader, torch7, transformer_net, transformer_onnx

__all__: list[str] = []


def _on_device(load: Callable[[Any], Any]) -> Callable[..., Any]:
    def loader(path, *, device=None, **options):
        net = load(path)
        return net.to(device) if device is not None else net

    return loader


register_file_loader("pytorch-examples TransformerNet (.pth / .model, train-style files)", transformer_net.SUFFIXES,
                     _on_device(transformer_net.load), sniff=transformer_net.sniff)
register_file_loader("ONNX export of a TransformerNet", transformer_onnx.SUFFIXES, _on_device(transformer_onnx.load),
                     sniff=transformer_onnx.sniff)
register_file_loader("Torch7 fast-neural-style (.t7)", torch7.SUFFIXES, _on_device(torch7.load), sniff=torch7.sniff)
