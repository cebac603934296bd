"""Job kinds: how each command's jobs make a batch — input roles, parameters, file names.

A command's roles and the fields its file names carry are its descriptor's
(:class:`prisma_abu.commands.Naming`), so every command described with a naming
is batchable as it is; :class:`JobKind` subclasses add a command's own rules
(``mix``'s ``all_mask`` variants, ``dream``'s ``layer``, ``stylize``'s model files)
and :func:`register_kind` adds others. :func:`format_value` is how a value
appears in a file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from ..commands import COMMANDS
from ..errors import InvalidParameterError
from ..modelspec import builtin_source, parse_model_spec
from ..params import DreamParams, MixParams, Params

__all__ = ["JobKind", "MixKind", "DreamKind", "StyleKind", "StylizeKind", "register_kind", "job_kind", "format_value",
           "shallow_layers", "safe_label"]

_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f]')


# --- job kinds: input roles and naming per command -----------------------------------------------

class JobKind:
    """How a command's jobs make a batch: its input roles, parameters and file names.

    ``JobKind("name")`` takes them from the command's descriptor (:mod:`prisma_abu.commands`);
    a subclass names its ``command`` and adds its rules; :func:`register_kind` batches it.

    Attributes
    ----------
    command : str
        The :class:`~prisma_abu.jobs.Job` command.
    params_cls : type
        Its parameter class.
    roles : tuple of str
        Input roles, one folder level each, in order.
    optional_roles : frozenset of str
        Roles that may be ``None`` (written ``none`` in lists; folder
        ``none_folders[role]``, e.g. ``none_gd``, or ``none_<role>``).
    name_fields : tuple of str
        Always in the file name, in order (``_<v1>_<v2>...``).
    product_order : tuple of str
        Grid axes that come first in the product, in this order (the others follow as given).
    """

    command: str = ""
    params_cls: type[Params] = Params
    roles: tuple[str, ...] = ()
    optional_roles: frozenset[str] = frozenset()
    name_fields: tuple[str, ...] = ()
    product_order: tuple[str, ...] = ()
    none_folders: Mapping[str, str] = MappingProxyType({})

    def __init__(self, command: str | None = None) -> None:
        if command is not None:
            self.command = command
        described = COMMANDS.get(self.command)
        if described is not None and described.naming is not None:  # the descriptor's, unless a subclass says
            naming = described.naming
            given = {"params_cls": described.params_cls, "roles": naming.roles,
                     "optional_roles": naming.optional_roles, "none_folders": naming.none_folders,
                     "name_fields": naming.name_fields, "product_order": naming.product_order}
            for name, value in given.items():
                if getattr(type(self), name) is getattr(JobKind, name):
                    setattr(self, name, value)

    def fields(self) -> tuple[str, ...]:
        """Every name a grid or ``params`` may use."""
        return self.params_cls.field_names()

    def variants(self, values: dict[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
        """Expand one combination further (``mix``: ``all_mask`` over the shallow layers)."""
        return [values]

    def variant_factor(self, params: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]) -> int:
        """At most how many pictures :meth:`variants` makes of one combination (without building any)."""
        return 1

    def build(self, values: Mapping[str, Any], inputs: Mapping[str, str | None]) -> Params:
        """The parameter object of one combination (validated)."""
        return self.params_cls.from_dict(values)

    def job_inputs(self, params: Params, files: Mapping[str, str | None],
                   values: Mapping[str, Any]) -> dict[str, str | None]:
        """The job's input files: the roles' files, plus any a value names (a model file)."""
        return dict(files)

    def name_value(self, name: str, params: Params, values: Mapping[str, Any]) -> Any:
        return getattr(params, name) if hasattr(params, name) else values.get(name)

    def plain(self, params: Params, inputs: Mapping[str, str | None]) -> tuple[frozenset[str], dict[str, str]]:
        """Fields that do not change this picture, and name labels that replace values."""
        return frozenset(), {}

    def validate(self, params: Sequence[Params]) -> None:
        """Check values the parameter class cannot check alone (presets, layers, weights); here the backbone
        and layers each names, without torch (:func:`prisma_abu.pipeline.models.check_names`)."""
        from ..pipeline.models import check_names

        for p in params:  # static look-ups: cheap for any batch
            check_names(p)

    def folder(self, role: str, path: str | None) -> str:
        if path is None:
            return self.none_folders.get(role, f"none_{role}")
        return safe_label(Path(path).stem)


#: mask/blend fields a plain dream (no guide) does not use
_PLAIN_DREAM_IGNORES = frozenset({
    "mask", "dd", "cb", "std_factor", "loop_factor", "n1", "n2", "n3", "convd_median_factor",
    "convd_big_factor", "all_mask", "all_mask_rb_rate", "spots_keep", "spots_drop", "iter_n"})


class MixKind(JobKind):
    """``mix``: sources × guides (or none: a plain dream), the original's names."""

    command = "mix"

    def build(self, values, inputs):
        """As the command line: a mask or blend knob given turns ``auto`` off, a dream knob ``texture``
        (unless ``auto`` / ``texture`` are given too)."""
        values = dict(values)
        if isinstance(values.get("guide_model"), str):  # a model file is an input (path and sha256 in metadata)
            values["guide_model"] = parse_model_spec(values["guide_model"]).name
        return MixParams.from_dict(MixParams.given(values))

    def job_inputs(self, params, files, values):
        model = values.get("guide_model")
        spec = parse_model_spec(model) if isinstance(model, str) else None
        return {**files, **({} if spec is None or spec.builtin else {"guide_model": str(Path(spec.path).resolve())})}

    def name_value(self, name, params, values):
        # auto chooses the mask per picture: the name says auto; a texture stands where its layer would.
        # Without auto and texture (the original's knobs) the names are the original's.
        if name == "mask" and params.auto and not params.all_mask:
            return "auto"
        if name == "layer" and params.layer == "auto" and params.texture is not None:
            return f"texture-{params.texture}"
        return super().name_value(name, params, values)

    def variants(self, values, grid):
        if not values.get("all_mask") or "layer" in values:
            return [values]
        layers = shallow_layers(values.get("backbone", "efficientnet_lite0"), values.get("weights"))
        return [{**values, "layer": layer} for layer in layers]

    def variant_factor(self, params, grid):
        if params.get("all_mask") or any(grid.get("all_mask", ())):
            if "layer" not in params and "layer" not in grid:
                return len(shallow_layers(params.get("backbone", "efficientnet_lite0"), params.get("weights")))
        return 1

    def plain(self, params, inputs):
        if inputs.get("guide") is None and params.layer is not None:
            return _PLAIN_DREAM_IGNORES, {"mask": "mask"}
        return frozenset(), {}

    def validate(self, params):
        from ..pipeline.mix import check_enhance, check_mask_spec
        from ..pipeline.models import check_layers, check_weights

        super().validate(params)
        for enhance in sorted({p.enhance for p in params}, key=str):
            check_enhance(enhance)
        for mask in sorted({p.mask for p in params}):
            check_mask_spec(mask)
        check_layers({(p.backbone, p.weights, p.layer) for p in params if p.layer not in (None, "auto")})
        check_weights({(p.backbone, p.weights) for p in params if p.layer is not None})


class DreamKind(JobKind):
    """``dream``: images × guides; a guide makes the objective ``guide`` unless it is set."""

    command = "dream"

    def fields(self):
        return ("layer",) + super().fields()

    def build(self, values, inputs):
        values = dict(values)
        if "layer" in values:
            layer = values.pop("layer")
            values["layers"] = () if layer in (None, "none", "None") else (layer,)
        if inputs.get("guide") is not None:
            values.setdefault("objective", "guide")
        return DreamParams.from_dict(values)

    def name_value(self, name, params, values):
        if name == "layer":
            return params.layers[0] if len(params.layers) == 1 else "+".join(params.layers) or "default"
        return super().name_value(name, params, values)

    def validate(self, params):
        from ..pipeline.models import check_layers, check_weights

        super().validate(params)
        check_layers({(p.backbone, p.weights, layer) for p in params for layer in p.layers})
        check_weights({(p.backbone, p.weights) for p in params})


class StyleKind(JobKind):
    """``style``: contents × styles (the original TensorPrisma's parallel product)."""

    command = "style"


class StylizeKind(JobKind):
    """``stylize``: photos × models × strengths (built-in names or model files)."""

    command = "stylize"

    def build(self, values, inputs):
        values = dict(values)
        if isinstance(values.get("model"), str):  # a file is an input (path and sha256 in the metadata)
            values["model"] = parse_model_spec(values["model"]).name
        return self.params_cls.from_dict(values)

    def job_inputs(self, params, files, values):
        model = values.get("model")
        spec = parse_model_spec(model) if isinstance(model, str) else None
        return {**files, "model": None if spec is None or spec.builtin else str(Path(spec.path).resolve())}

    def name_value(self, name, params, values):
        if name == "model" and builtin_source(params.model) is None:
            return Path(params.model).stem
        return super().name_value(name, params, values)


_KINDS: dict[str, JobKind] = {"mix": MixKind(), "dream": DreamKind(), "style": StyleKind(),
                              "stylize": StylizeKind()}  # commands with rules of their own


def register_kind(kind: JobKind) -> JobKind:
    """Make ``kind.command`` batchable (its renderer must be registered in :mod:`prisma_abu.jobs`)."""
    _KINDS[kind.command] = kind
    return kind


def job_kind(command: str) -> JobKind:
    """The :class:`JobKind` of ``command``: its own rules, else its descriptor's naming alone."""
    kind = _KINDS.get(command) if isinstance(command, str) else None
    if kind is None and isinstance(command, str) and getattr(COMMANDS.get(command), "naming", None) is not None:
        kind = JobKind(command)
    if kind is None:
        batchable = sorted({*_KINDS, *(name for name, c in COMMANDS.items() if c.naming is not None)})
        raise InvalidParameterError(
            f"command: expected one of {', '.join(batchable)} for a batch, got {command!r}")
    return kind


def shallow_layers(backbone: str, weights: str | None) -> tuple[str, ...]:
    """About ten early layers of ``backbone`` (the original's all-mask loop)."""
    from ..pipeline.models import shallow_layers as layers

    return layers(backbone, weights)


# --- values in file names ----------------------------------------------------------------------

def safe_label(text: str) -> str:
    """A file-name-safe label: ``/`` and other unsafe characters become ``_``, blanks go.

    A label never names a folder outside its own (``..``, ``.``) nor a hidden
    file: leading dots become ``_``; empty becomes ``_``; at most 120 characters.

    >>> safe_label(".."), safe_label("conv2/3x3_reduce"), safe_label(".hidden")
    ('__', 'conv2_3x3_reduce', '_hidden')
    """
    label = _UNSAFE.sub("_", re.sub(r"\s+", "", text))
    stripped = label.lstrip(".")
    label = "_" * (len(label) - len(stripped)) + stripped
    return label[:120] or "_"


def format_value(value: Any, field_name: str | None = None) -> str:
    """A value as it appears in a file name.

    ``None`` is ``none`` (the empty string for ``enhance``, as in the
    original), floats keep their ``repr`` (``1.0``, ``0.88``), a layer's ``/``
    becomes ``_`` and blanks are dropped (``otsu_func + stdmean_func`` ->
    ``otsu_func+stdmean_func``).

    >>> format_value("conv2/3x3_reduce"), format_value(None, "enhance"), format_value(1.0)
    ('conv2_3x3_reduce', '', '1.0')
    """
    if value is None:
        return "" if field_name == "enhance" else "none"
    if isinstance(value, (tuple, list)):
        return "-".join(format_value(v) for v in value) or "empty"
    return safe_label(repr(value) if isinstance(value, float) else str(value))

