"""DeepDream's knobs (the original's ``do_prisma`` / ``do_prisma_step``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Mapping

from ..errors import InvalidParameterError
from .base import PRECISIONS, Params, check_int, check_range, device_knob, knob, register_kind

__all__ = ["DreamParams", "PRECISIONS", "OBJECTIVES"]

#: DeepDream objectives: amplify the layer, or pull it toward a guide.
OBJECTIVES = ("l2", "guide")

_NET = "network"
_PYRAMID = "dream"


@dataclass(frozen=True)
class DreamParams(Params):
    """DeepDream knobs: which network and layer, the octave pyramid, the step, the seed.

    Each field's meaning, range and metavar are in its :func:`~prisma_abu.params.knob`
    (``prisma-abu dream --help`` shows them).
    """

    kind: ClassVar[str] = "dream"
    OPTION_NAMES: ClassVar[Mapping[str, str]] = MappingProxyType({"layers": "layer"})

    backbone: str = knob("efficientnet_lite0", "the network that dreams (see `prisma-abu doctor`)",
                         metavar="NAME", group=_NET)
    layers: tuple[str, ...] = knob((), "the layer(s) to amplify, in the backbone's names (see `prisma-abu "
                                   "layers`); none: the backbone's default layer", metavar="LAYER[,LAYER...]",
                                   group=_NET)
    layer_weights: tuple[float, ...] = knob((), "one weight per layer (none: all 1)", metavar="W[,W...]",
                                            group=_NET)
    channels: tuple[int, ...] = knob((), "amplify only these channels of the layer (none: all)",
                                     metavar="C[,C...]", group=_NET)
    iter_n: int = knob(10, "gradient steps per octave", metavar="STEPS", low=0, high=1_000, unit="steps",
                       group=_PYRAMID)
    octave_n: int = knob(4, "octaves: the picture is dreamed at this many sizes, smallest first",
                         metavar="N", low=1, high=16, group=_PYRAMID)
    octave_scale: float = knob(1.4, "size ratio between two octaves", metavar="RATIO", low=1.0, high=16.0,
                               group=_PYRAMID)
    step_size: float = knob(1.5, "how far each step moves the pixels (0..255 scale, per mean |gradient|)",
                            metavar="STEP", low=0.0, high=255.0, group=_PYRAMID)
    jitter: int = knob(32, "random shift of the picture before each step, at most this many pixels",
                       metavar="PIXELS", low=0, high=4096, unit="px", group=_PYRAMID)
    objective: str = knob("l2", "l2 amplifies whatever the layer sees; guide pulls it toward the guide "
                          "picture's features", choices=OBJECTIVES, group=_NET)
    tile_size: int = knob(512, "largest tile run through the network at once (bounds memory)",
                          metavar="PIXELS", low=32, high=16_384, unit="px", group=_PYRAMID)
    precision: str = knob("auto", "arithmetic of the network: auto is the faster of fp32 and bf16, measured once "
                          "on this machine (fp32 where the device has no native bf16)", choices=PRECISIONS,
                          group=_NET)
    device: str = device_knob()
    seed: int = knob(0, "seeds the jitter and tile shifts: same seed, same bytes", metavar="N", low=0,
                     high=2**63 - 1, group=_PYRAMID)
    weights: str | None = knob(None, "a weights file, for backbones whose weights are not embedded",
                               metavar="FILE", group=_NET)
    size: int | None = knob(None, "resize the picture first so its longer side is this many pixels "
                            "(none: keep its size)", metavar="PIXELS", low=1, high=100_000, unit="px",
                            aliases=("width",), group="output")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.layers, tuple) or not all(isinstance(x, str) and x for x in self.layers):
            raise InvalidParameterError(f"layers: expected a tuple of layer names, got {self.layers!r}")
        if self.layer_weights and len(self.layer_weights) != len(self.layers):
            raise InvalidParameterError(
                f"layer_weights: expected one weight per layer ({len(self.layers)}), "
                f"got {len(self.layer_weights)}")
        for w in self.layer_weights:
            check_range("layer_weights", w, None, None)
        for c in self.channels:
            check_int("channels", c, 0)


register_kind(DreamParams)
