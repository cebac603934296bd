"""The networks, in torch only (never :mod:`prisma_abu.ops`).

:mod:`.backbones` (pretrained encoders cut into named layers: EfficientNet-Lite0,
VGG16/19, GoogLeNet), :mod:`.weights` (embedded and user weights, the cache),
:mod:`.deepdream`, :mod:`.gatys` (style transfer), :mod:`.losses`, :mod:`.optim`.
Nothing is imported here: each module is loaded when it is used.
"""

__all__: list[str] = []
