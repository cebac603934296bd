"""The commands the window renders, in one table: what each takes from the window, how far its progress goes.

The window holds a photo, a guide and a style picture, and the knobs of
each command. A row of :data:`WINDOW_COMMANDS` says which of the job's
input roles those pictures fill and how many steps the renderer's callback
reports; the parameter class and the renderer are the library's
(:data:`prisma_abu.jobs.COMMANDS`), so the knobs shown are that class's
(:mod:`.knob_traits`) and the picture is what ``prisma-abu <command>``
renders (:func:`prisma_abu.jobs.render_job`). No Qt and no traits here.

Adding a command to the window is one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from prisma_abu.errors import InvalidParameterError
from prisma_abu.jobs import COMMANDS, Job
from prisma_abu.params import Params
from prisma_abu.pipeline.progress import dream_steps, mix_steps, style_steps

__all__ = ["WindowCommand", "WINDOW_COMMANDS", "Pictures", "command_for", "window_kinds"]

#: the window's pictures: (photo, guide, style picture); None where none is chosen
Pictures = tuple[str, "str | None", "str | None"]
Inputs = Callable[[Params, str, "str | None", "str | None"], "tuple[Params, dict[str, str | None]]"]


@dataclass(frozen=True)
class WindowCommand:
    """One command the window offers.

    Attributes
    ----------
    name : str
        The library's command (a key of :data:`prisma_abu.jobs.COMMANDS`).
    label : str
        What the command selector says.
    photo_role, second_role : str
        The job's roles the window shows as "Photo" and beside it.
    second : {"guide", "style_image"}
        Which of the window's other pictures the command takes.
    second_flag : str
        Its option on the command line (``--guide``, ``--style-image``, ``--style``).
    inputs : callable
        ``inputs(params, photo, guide, style_image) -> (params, roles)``: the
        job's inputs (a file a knob names becomes an input, as on the command line).
    steps : callable
        ``steps(params, has_second) -> int | None``: the callback's steps (None: one).
    """

    name: str
    label: str
    photo_role: str
    second_role: str
    second: str
    second_flag: str
    inputs: Inputs
    steps: Callable[[Params, bool], "int | None"]

    @property
    def params_cls(self) -> type[Params]:
        return COMMANDS[self.name].params_cls

    def job(self, params: Params, photo: str | None, guide: str | None, style_image: str | None) -> Job:
        """The job rendering ``params`` on the window's pictures (InvalidParameterError if one is missing)."""
        if not photo:
            raise InvalidParameterError("source: expected a picture, got none (pick one or open a file)")
        params, roles = self.inputs(params, photo, guide, style_image)
        return Job(self.name, params, roles)

    def progress_total(self, job: Job) -> int:
        """How many times the job's renderer will call back (at least 1)."""
        return max(1, self.steps(job.params, job.inputs.get(self.second_role) is not None) or 1)


def _mix_inputs(params, photo, guide, style_image):
    return params, {"source": photo, "guide": guide}


def _dream_inputs(params, photo, guide, style_image):
    return params, {"image": photo, "guide": guide if params.objective == "guide" else None}


def _stylize_inputs(params, photo, guide, style_image):
    from prisma_abu.pipeline.stylize import model_spec

    params, model_file = model_spec(params)  # a model file becomes an input (path and sha256 kept)
    arbitrary = params.model.strip().lower().startswith("arbitrary")
    return params, {"photo": photo, "model": model_file, "style_image": style_image if arbitrary else None}


def _style_inputs(params, photo, guide, style_image):
    if style_image is None:
        raise InvalidParameterError("style: expected a style picture, got none (pick one or open a file)")
    roles: dict[str, str | None] = {"content": photo, "style0": style_image}
    changes = {}
    if params.init_image is not None:  # the files themselves are inputs; the parameters keep their names
        roles["init_image"], changes["init_image"] = params.init_image, Path(params.init_image).name
    if params.mask is not None and Path(params.mask).is_file():
        roles["mask_file"], changes["mask"] = params.mask, Path(params.mask).name
    return (params.replace(**changes) if changes else params), roles


def _one(params, has_second):
    return 1


WINDOW_COMMANDS: Mapping[str, WindowCommand] = {c.name: c for c in (
    WindowCommand("mix", "mix: the photo kept where the mask says, the rest painted",
                  "source", "guide", "guide", "--guide", _mix_inputs, mix_steps),
    WindowCommand("dream", "dream: DeepDream on the photo",
                  "image", "guide", "guide", "--guide", _dream_inputs, lambda params, has_second: dream_steps(params)),
    WindowCommand("stylize", "stylize: a fast style network",
                  "photo", "style_image", "style_image", "--style-image", _stylize_inputs, _one),
    WindowCommand("style", "style: Gatys style transfer with the style picture",
                  "content", "style0", "style_image", "--style", _style_inputs,
                  lambda params, has_second: style_steps(params)),
)}


def window_kinds() -> tuple[str, ...]:
    """The parameter kinds the window has knobs for."""
    return tuple(c.params_cls.kind for c in WINDOW_COMMANDS.values())


def command_for(params: Params) -> str:
    """The window's command whose knobs ``params`` are (InvalidParameterError if none)."""
    for name, command in WINDOW_COMMANDS.items():
        if type(params) is command.params_cls:
            return name
    raise InvalidParameterError(f"expected parameters of kind {', '.join(window_kinds())}, got {params.kind}")
