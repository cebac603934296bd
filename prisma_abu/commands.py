"""Each rendering command described once: what it renders, with which parameters and inputs, how many progress
steps it reports and how a batch names its pictures.

A :class:`Command` is the one descriptor of a command (``dream``, ``mix``, ``mask``, ``features``, ``style``,
``stylize``): :mod:`prisma_abu.jobs` renders and replays by it, :mod:`prisma_abu.batch` names a batch's files by
its :class:`Naming`, the command line and the window count progress with :func:`progress_steps`. Adding a
command is a renderer and a :func:`register_command` here (a batch's own rules, if any, in
:mod:`prisma_abu.batch.kinds`). A :class:`Job` is one command with its parameters and input files;
:func:`resolve_job` is the one place its ``auto`` device and precision become what runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from .errors import InvalidParameterError
from .io import read_image
from .params import DreamParams, MixParams, Params, StyleParams, StylizeParams

__all__ = ["Job", "Rendered", "Command", "Naming", "COMMANDS", "register_command", "command_of", "progress_steps",
           "resolve_job", "style_roles", "render_mix_job"]

Callback = Callable[[int, int, float], None]
#: ``renderer(job, callback)`` -> an (M, N, 3) uint8 array, or a :class:`Rendered`
Renderer = Callable[["Job", "Callback | None"], "np.ndarray | Rendered"]


@dataclass(frozen=True)
class Job:
    """``command`` with ``params`` on ``inputs`` (role -> file path or None)."""

    command: str
    params: Params
    inputs: Mapping[str, str | None] = field(default_factory=dict)

    def input_image(self, role: str) -> np.ndarray | None:
        path = self.inputs.get(role)
        return None if path is None else read_image(path)

    def with_params(self, params: Params) -> Job:
        return Job(self.command, params, self.inputs)


@dataclass(frozen=True)
class Rendered:
    """A rendered picture and how it was made.

    Attributes
    ----------
    image : (M, N, 3) ndarray of uint8
    job : Job
        The job as rendered: every ``auto`` the renderer resolved is replaced
        by what it chose (``precision="auto"`` becomes ``fp32`` or ``bf16``).
    requested : Params
        The parameters asked for (``job.params`` before resolving).
    arithmetic : mapping
        What else decides the bytes: ``{"threads": 2}`` (torch intra-op
        threads) for a network run, empty when no network ran.
    """

    image: np.ndarray
    job: Job
    requested: Params
    arithmetic: Mapping[str, Any] = field(default_factory=dict)

@dataclass(frozen=True)
class Naming:
    """How a batch lays out a command's pictures (see :mod:`prisma_abu.batch`).

    Attributes
    ----------
    roles : tuple of str
        Input roles, one folder level each, in order.
    optional_roles : frozenset of str
        Roles that may be ``None`` (written ``none`` in lists; folder ``none_folders[role]``, else ``none_<role>``).
    name_fields : tuple of str
        Always in the file name, in order (``_<v1>_<v2>...``).
    product_order : tuple of str
        Grid axes that come first in the product, in this order (the others follow as given).
    """

    roles: tuple[str, ...]
    optional_roles: frozenset[str] = frozenset()
    name_fields: tuple[str, ...] = ()
    product_order: tuple[str, ...] = ()
    none_folders: Mapping[str, str] = field(default_factory=dict)


def _no_steps(job: Job) -> int | None:
    return None


@dataclass(frozen=True)
class Command:
    """A rendering command, described once.

    ``roles`` are regular expressions (``style\\d*``); ``required`` the roles that must be given;
    ``steps(job)`` the progress steps the renderer reports (None: not known, or instant);
    ``naming`` how a batch names its pictures (None: not batchable); ``job_precision`` whether the job's
    ``precision`` is resolved into the job as rendered (False: the network's run plan decides it and the
    picture records it with the arithmetic, as ``stylize``'s); ``help`` its line in ``prisma-abu --help``
    and ``shell`` whether the command line offers it (a described command without a sub-command of its own
    gets a generic one: the first role's pictures as inputs, the other roles as ``--ROLE PICTURE``).
    """

    name: str
    params_cls: type[Params]
    roles: tuple[str, ...]
    required: tuple[str, ...]
    renderer: Renderer
    steps: Callable[[Job], int | None] = _no_steps
    naming: Naming | None = None
    job_precision: bool = True
    help: str = ""
    shell: bool = True

    def takes(self, role: str) -> bool:
        return any(re.fullmatch(pattern, role) for pattern in self.roles)


COMMANDS: dict[str, Command] = {}


def register_command(command: Command) -> Command:
    """Make ``command.name`` renderable (and replayable; batchable with a :class:`Naming`)."""
    COMMANDS[command.name] = command
    return command


def command_of(job: Job) -> Command:
    """The :class:`Command` that renders ``job``, its parameters checked to be that command's."""
    command = COMMANDS.get(job.command) if isinstance(job.command, str) else None
    if command is None:
        raise InvalidParameterError(
            f"unknown command {job.command!r}; expected one of {', '.join(sorted(COMMANDS))}")
    if not isinstance(job.params, command.params_cls):
        raise InvalidParameterError(
            f"{job.command}: expected {command.params_cls.kind} parameters, got {job.params.kind} parameters")
    return command


def progress_steps(job: Job) -> int | None:
    """The progress steps ``job``'s renderer reports through its callback (None: not known, or instant)."""
    return command_of(job).steps(job)


# --- resolving: the one place a job's auto device and precision become what runs ---------------------

def resolve_job(job: Job, uses_network: bool = True) -> tuple[Job, dict[str, Any]]:
    """The job with its device and precision resolved (what runs, replayed as it ran), and the arithmetic.

    Once per job, in its renderer, after its pictures are read (a bad one is refused before torch); below
    here the resolved values are taken as they are. A command whose network's run plan decides its
    precision (``job_precision`` False: ``stylize``, :func:`prisma_abu.pipeline.stylize.model_identity`
    records it) keeps the precision asked for.
    """
    if not uses_network:
        return job, {}
    from .pipeline.models import arithmetic, resolve_run

    params = resolve_run(job.params, precision=command_of(job).job_precision)
    return job.with_params(params), {**arithmetic(), "device": getattr(params, "device", None) or "cpu"}


# --- the renderers -------------------------------------------------------------------------------

def _render_dream(job: Job, callback: Callback | None) -> Rendered:
    from .pipeline import dream

    image, guide = job.input_image("image"), job.input_image("guide")  # a bad picture is refused before torch
    resolved, arithmetic = resolve_job(job, True)
    image = dream(image, resolved.params, guide=guide, callback=callback)
    return Rendered(image, resolved, job.params, arithmetic)


def render_mix_job(job: Job, *, callback: Callback | None = None, plain_dream_without_guide: bool = True):
    """A ``mix`` job rendered as ``render_job`` renders it, keeping all that :func:`prisma_abu.pipeline.mix`
    made (``.mask``, ``.blended``...): ``(MixResult, Rendered)``. The Python API's ``mix`` returns both."""
    from .pipeline import mix, uses_saliency

    source, guide = job.input_image("source"), job.input_image("guide")  # a bad picture: refused before torch
    networks = job.params.layer is not None or uses_saliency(job.params) or job.params.guide_model is not None
    painted = guide is not None or job.params.guide_model is not None
    asked = job
    if networks and painted and job.params.with_texture().layer is None and job.params.precision == "auto":
        # no dream: the networks that run (the classifier's saliency, the style network) run fp32 from their
        # stored ONNX graphs, so nothing is calibrated and, from the second run on, torch is not imported
        job = job.with_params(job.params.replace(precision="fp32"))
    resolved, arithmetic = resolve_job(job, networks)
    result = mix(source, guide, resolved.params,
                 plain_dream_without_guide=plain_dream_without_guide, callback=callback,
                 guide_model_file=job.inputs.get("guide_model"))
    return result, Rendered(result.image, resolved.with_params(result.params), asked.params, arithmetic)


def _mix_renderer(plain_dream_without_guide: bool) -> Renderer:
    """``mix``; ``mix_black_guide`` is the original PrismaWorker's (no guide: a black one)."""

    def render_mix(job: Job, callback: Callback | None) -> Rendered:
        return render_mix_job(job, callback=callback, plain_dream_without_guide=plain_dream_without_guide)[1]

    return render_mix


def _render_mask(job: Job, callback: Callback | None) -> Rendered:
    from .pipeline import mask_picture, uses_saliency

    source = job.input_image("source")  # a bad picture is refused before torch
    resolved, arithmetic = resolve_job(job, uses_saliency(job.params))
    return Rendered(mask_picture(source, resolved.params), resolved, job.params, arithmetic)


def _render_features(job: Job, callback: Callback | None) -> np.ndarray:
    from .pipeline import feature_picture

    return feature_picture(job.input_image("source"), job.params)


def style_roles(inputs: Mapping[str, str | None]) -> list[str]:
    """The style inputs' roles in order: ``style0``, ``style1``, ... (``style`` alone is the first)."""
    found = [(int(m.group(1) or -1), role) for role in inputs
             if (m := re.fullmatch(r"style(\d*)", role)) and inputs[role] is not None]
    return [role for _, role in sorted(found)]


def _render_style(job: Job, callback: Callback | None) -> Rendered:
    """Neural style transfer: roles ``content``, ``style0``..``styleN``, optional ``init_image``, ``mask_file``."""
    from .pipeline import style

    roles = style_roles(job.inputs)
    if job.inputs.get("content") is None or not roles:
        raise InvalidParameterError("style: expected a content picture and at least one style picture")
    content, styles = job.input_image("content"), [job.input_image(r) for r in roles]  # refused before torch
    mask, init_image = job.input_image("mask_file"), job.input_image("init_image")
    resolved, arithmetic = resolve_job(job, True)
    image = style(content, styles, resolved.params, mask=mask, init_image=init_image, callback=callback)
    return Rendered(image, resolved, job.params, arithmetic)


def _render_stylize(job: Job, callback: Callback | None) -> Rendered:
    """Feed-forward stylization: ``photo``, optional ``model`` file and ``style_image``; tiled within memory."""
    from .pipeline.stylize import model_identity, resolve_tile, stylize_and_say_how

    requested, style_image, photo = job.params, job.input_image("style_image"), job.input_image("photo")
    job = job.with_params(resolve_tile(photo.shape, job.params))
    image, how = stylize_and_say_how(photo, job.params, style_image=style_image,
                                     model_file=job.inputs.get("model"), callback=callback)
    if how is not None:  # a built-in network from its stored graph: decided without torch
        resolved = job.with_params(job.params.replace(device="cpu")) if job.params.device is not None else job
        return Rendered(image, resolved, requested, how)
    resolved, arithmetic = resolve_job(job, True)  # after the stored graph's chance: it needs no torch
    arithmetic = {**arithmetic, **model_identity(resolved.params, job.inputs.get("model"), style_image)}
    return Rendered(image, resolved, requested, arithmetic)


# --- progress steps (:mod:`prisma_abu.pipeline.progress` counts them from the parameters) ---------------

def _dream_steps(job: Job) -> int | None:
    from .pipeline.progress import dream_steps

    return dream_steps(job.params) or None


def _mix_steps(job: Job) -> int | None:
    from .pipeline.progress import mix_steps

    return mix_steps(job.params, job.inputs.get("guide") is not None, job.command)


def _style_steps(job: Job) -> int | None:
    from .pipeline.progress import style_steps

    return style_steps(job.params) or None


def _one_step(job: Job) -> int:
    return 1


_GUIDE_NAMING = dict(optional_roles=frozenset({"guide"}), none_folders=MappingProxyType({"guide": "none_gd"}))
for _command in (
    Command("dream", DreamParams, ("image", "guide"), ("image",), _render_dream, _dream_steps,
            Naming(("image", "guide"), name_fields=("layer",), product_order=("layer",), **_GUIDE_NAMING)),
    Command("mix", MixParams, ("source", "guide", "guide_model"), ("source",), _mix_renderer(True), _mix_steps,
            Naming(("source", "guide"), name_fields=("enhance", "layer", "rb_rate", "mask"),
                   # the original's product(org, gd, nbk, enhance, rb_rate)
                   product_order=("layer", "enhance", "rb_rate", "mask"), **_GUIDE_NAMING)),
    Command("mix_black_guide", MixParams, ("source", "guide"), ("source",), _mix_renderer(False), _mix_steps,
            shell=False),  # the PrismaWorker façade's
    Command("mask", MixParams, ("source",), ("source",), _render_mask),
    Command("features", MixParams, ("source",), ("source",), _render_features),
    Command("style", StyleParams, ("content", r"style\d*", "init_image", "mask_file"), ("content",),
            _render_style, _style_steps, Naming(("content", "style0"), name_fields=("content_weight", "style_weight"),
                                                product_order=("content_weight", "style_weight"))),
    Command("stylize", StylizeParams, ("photo", "model", "style_image"), ("photo",), _render_stylize, _one_step,
            Naming(("photo",), name_fields=("model", "strength"), product_order=("model", "strength")),
            job_precision=False),
):
    register_command(_command)
