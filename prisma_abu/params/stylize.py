"""Fast feed-forward stylization's knobs: which network, how strong, what size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import InvalidParameterError
from .base import PRECISIONS, Params, device_knob, knob, register_kind

__all__ = ["StylizeParams"]


@dataclass(frozen=True)
class StylizeParams(Params):
    """Feed-forward stylization knobs (``prisma-abu stylize --help`` shows them)."""

    kind: ClassVar[str] = "stylize"

    model: str = knob("multistyle26:7", "the style network: multistyle26:N (N in 0..25), a blend such as "
                      "multistyle26:3=0.5,12=0.5, arbitrary (with --style-image), or a model file (.pth, .model, "
                      ".t7, .onnx); see `prisma-abu models`", metavar="NAME|FILE", group="model")
    strength: float = knob(1.0, "how much style: 1 is the network's picture, 0 the photo (arbitrary: the style "
                           "vector moves toward the photo's own)", metavar="0..1", low=0.0, high=1.0,
                           group="look")
    preserve_color: bool = knob(False, "keep the photo's colours: only the style's luminance is taken",
                                group="look")
    size: int | None = knob(None, "the output's longer side in pixels (none: the photo's own size)",
                            metavar="PIXELS", low=32, high=16_384, unit="px", group="output")
    tile: int | None = knob(None, "run pictures larger than this many pixels a side in overlapping tiles "
                            "(bounds memory; none: whole, unless the run would pass the memory budget: 2 GiB or half "
                            "the available memory, PRISMA_ABU_MEMORY_MB overrides)", metavar="PIXELS", low=128, high=16_384, unit="px",
                            group="output")
    precision: str = knob("auto", "arithmetic of the network: auto picks the fastest measured path",
                          choices=PRECISIONS, group="output")
    device: str = device_knob()
    seed: int = knob(0, "seeds anything random (nothing is, for the built-in networks): same seed, same bytes",
                     metavar="N", low=0, high=2**63 - 1, group="output")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidParameterError(f"model: expected a model name or file, got {self.model!r}")


register_kind(StylizeParams)
