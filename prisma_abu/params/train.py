"""Training a feed-forward style network (Johnson et al. 2016): the knobs of ``prisma-abu train-style``."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Mapping

from ..errors import InvalidParameterError
from .base import Params, device_knob, knob, register_kind
from .dream import PRECISIONS

__all__ = ["TrainStyleParams", "MAX_STEPS"]

#: the most optimiser steps a training takes (25 times the published recipe's ~40,000)
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class TrainStyleParams(Params):
    """Training knobs of a feed-forward style network (``prisma-abu train-style --help`` shows them).

    The network is pytorch-examples' ``TransformerNet`` (instance norm),
    trained with Adam on random crops (and flips) of photos against Johnson's
    perceptual loss on the embedded VGG16: content at ``relu2_2``, style
    (Gram matrices) at ``relu1_2, relu2_2, relu3_3, relu4_3``, plus total
    variation; see :mod:`prisma_abu.neural.stylenets.train`. The loss weights
    are Johnson's own scale (Caffe VGG16 on 0..255, Gram matrices over C·H·W),
    not pytorch-examples' 1e5/1e10 (made for torchvision's VGG on 0..1 input).
    """

    kind: ClassVar[str] = "train_style"
    #: ``--width`` is the output size in ``dream``: the knob ``width`` (kept in Python, experiment files and every
    #: model's metadata) is ``--channel-multiplier``
    OPTION_NAMES: ClassVar[Mapping[str, str]] = MappingProxyType({"width": "channel_multiplier"})

    style_image_size: int | None = knob(256, "the style picture's longer side for its Gram matrices (none: its "
                                        "own size)", metavar="PIXELS", low=16, high=8192, unit="px", group="data")
    image_size: int = knob(256, "the side of the square training crops (a multiple of 4)", metavar="PIXELS",
                           low=16, high=4096, unit="px", group="data")
    batch_size: int = knob(4, "crops per step", metavar="N", low=1, high=256, group="optimisation")
    # Johnson's and pytorch-examples' recipe is 2 epochs of COCO at batch 4: ~40,000 steps; 1e6 is 25 times
    # that (weeks on a GPU), so a real training fits and a typo (1e7) is refused instead of run for months
    steps: int = knob(4000, "optimiser steps in all", metavar="N", low=1, high=MAX_STEPS, group="optimisation")
    learning_rate: float = knob(1e-3, "Adam's step size", metavar="RATE", low=0.0, high=1.0, low_open=True,
                                group="optimisation")
    content_weight: float = knob(16.0, "how much the painting keeps the photo (Johnson's 1 loses the subject on "
                                 "short CPU runs; 16 keeps it)", metavar="WEIGHT", low=0.0, group="loss")
    style_weight: float = knob(5.0, "how much the painting takes the style", metavar="WEIGHT", low=0.0,
                               group="loss")
    tv_weight: float = knob(1e-6, "total-variation smoothing", metavar="WEIGHT", low=0.0, group="loss")
    width: float = knob(1.0, "channel multiplier: 1 is pytorch-examples' network (32, 64, 128 channels), 0.25 is "
                        "16 times cheaper, for a CPU", metavar="FACTOR", low=0.0, high=8.0, low_open=True,
                        group="network")
    precision: str = knob("auto", "arithmetic: auto is bf16 where the device runs it natively, else fp32",
                          choices=PRECISIONS, group="network")
    device: str = device_knob()
    seed: int = knob(0, "seeds the initial weights and the crops: same seed, same run", metavar="N", low=0,
                     high=2**63 - 1, group="optimisation")
    checkpoint_every: int = knob(500, "write a checkpoint (network, optimiser, random state, step) every so many "
                                 "steps and at the end (0: never)", metavar="N", low=0, high=MAX_STEPS,
                                 group="optimisation")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.image_size % 4:
            raise InvalidParameterError(f"image_size: expected a multiple of 4, got {self.image_size}")


register_kind(TrainStyleParams)
