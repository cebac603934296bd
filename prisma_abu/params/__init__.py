"""Every knob of prisma_abu as a frozen parameter object.

The command line, the GUI, the batch grid, replay and the PNG metadata all
build the same objects, so a picture's parameters can be read back and the
picture rendered again bit for bit. Each field carries its help text, range
and choices (:func:`knob`): the one source of ``--help``, the window's
tooltips and the docs (:func:`knobs`).

Examples
--------
>>> p = DreamParams(iter_n=5, seed=3)
>>> DreamParams.from_json(p.to_json()) == p
True
>>> p.replace(iter_n=7).iter_n
7
>>> knobs(MixParams)["n1"].metavar
'PIXELS'
"""

from __future__ import annotations

from .base import (NO_LEGACY, Knob, Params, knob, knobs, load_text, param_kinds, params_from_dict,
                   params_from_metadata, register_kind)
from .dream import OBJECTIVES, PRECISIONS, DreamParams
from .mix import TEXTURES, MixParams
from .options import option_words
from .style import STYLE_INITS, STYLE_OPTIMIZERS, STYLE_POOLINGS, StyleParams
from .stylize import StylizeParams
from .train import TrainStyleParams

#: the old private name of :class:`Params`
_Params = Params

__all__ = ["Params", "Knob", "knob", "knobs", "DreamParams", "MixParams", "StyleParams", "StylizeParams", "TrainStyleParams",
           "PRECISIONS",
           "OBJECTIVES", "STYLE_INITS", "STYLE_OPTIMIZERS", "STYLE_POOLINGS", "params_from_dict", "params_from_metadata",
           "register_kind", "param_kinds", "NO_LEGACY", "TEXTURES", "load_text", "option_words"]
