"""Fast feed-forward stylization as a pipeline: a photo and :class:`StylizeParams` in, a painting out.

The network comes from :func:`prisma_abu.neural.stylenets.load_stylenet`: a
built-in (``multistyle26:7``, a blend, ``arbitrary`` with a style picture) or
a model file (pytorch-examples ``.pth``/``.model``, Torch7 ``.t7``, ONNX).
It runs at the photo's own size (or ``size``, its longer side), tiled when
``tile`` says so or when the whole picture would take more memory than
:func:`memory_budget` allows (:func:`resolve_tile`; the picture records the
tile); ``strength`` blends the painting with the photo (for ``arbitrary``,
the style vector moves toward the photo's own) and
``preserve_color`` keeps the photo's colours. Nothing here writes files;
networks are loaded once per process.

Examples
--------
>>> from prisma_abu.params import StylizeParams
>>> painted = stylize(photo, StylizeParams(model="multistyle26:7", size=512))   # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..errors import InvalidParameterError
from ..modelspec import builtin_source, file_label, parse_model_spec
from ..params import StylizeParams
from .dream import check_pixels, check_rgb

__all__ = ["stylize", "stylize_and_say_how", "stylize_frames", "style_sheet", "load_model", "model_identity", "builtin_models", "model_files", "models_folder", "is_builtin",
           "auto_precision_note", "resolve_tile", "memory_budget", "MEMORY_ENV", "model_spec"]

Callback = Callable[[int, int, float], None]


@functools.lru_cache(maxsize=8)
def _cached(spec: str, file_key: tuple[str, int, int] | None, device: str) -> Any:
    from ..neural.stylenets import load_stylenet

    return load_stylenet(spec, device=device)


def _resolved(params: StylizeParams) -> StylizeParams:
    """``params`` with its device resolved (:func:`prisma_abu.pipeline.models.resolve_device`): a job's comes
    resolved and stays as it is; below here the name is trusted."""
    from .models import resolve_device

    device = resolve_device(params.device)
    return params if device == params.device else params.replace(device=device)


def load_model(params: StylizeParams, model_file: str | os.PathLike | None = None) -> Any:
    """The network ``params.model`` names (or the file given) on ``params.device``, loaded once per process."""
    return _load(_resolved(params), model_file)


def _load(params: StylizeParams, model_file) -> Any:
    if model_file is None and builtin_source(params.model) == "arbitrary":
        raise InvalidParameterError("model arbitrary: expected a style picture (--style-image PAINTING)")
    if model_file is not None:
        stat = os.stat(model_file)
        return _cached(str(model_file), (str(model_file), stat.st_mtime_ns, stat.st_size), params.device)
    return _cached(params.model, None, params.device)


@functools.lru_cache(maxsize=4)
def _arbitrary(device: str) -> Any:
    from ..neural.stylenets.magenta import load_arbitrary

    return load_arbitrary(device=device)


def _arbitrary_network(params: StylizeParams, model_file) -> bool:
    """Whether ``params.model`` is the arbitrary network alone (it takes its painting as ``style_image``)."""
    if model_file is not None:
        return False
    spec = parse_model_spec(params.model, must_exist=False)
    return spec.arbitrary and not spec.args


def _network(params: StylizeParams, model_file, style_image: np.ndarray | None) -> Any:
    """The network, on ``params.device`` (resolved: see :func:`_resolved`)."""
    if _arbitrary_network(params, model_file):
        if style_image is None:
            raise InvalidParameterError("model arbitrary: expected a style picture (--style-image PAINTING)")
        return _arbitrary(params.device).stylenet(check_rgb(style_image, "style image"), strength=params.strength)
    if style_image is not None:
        raise InvalidParameterError(f"style image: only the arbitrary model takes one, got model {params.model!r}")
    return _load(params, model_file)


def model_identity(params: StylizeParams, model_file=None, style_image: np.ndarray | None = None) -> dict:
    """What a picture records of the network that made it: its name and sha256, and how it ran
    (``{"model", "model_sha256", "device", "precision", "runtime"}``)."""
    from ..neural.stylenets import run_plan

    params = _resolved(params)
    net = _network(params, model_file, style_image)
    precision, runtime = run_plan(net, params.device, params.precision)
    return {"model": getattr(net, "name", params.model), "model_sha256": getattr(net, "sha256", ""),
            "device": params.device, "precision": precision, "runtime": runtime}


def stylize(photo: np.ndarray, params: StylizeParams = StylizeParams(), *, style_image: np.ndarray | None = None,
            model_file: str | os.PathLike | None = None, callback: Callback | None = None) -> np.ndarray:
    """Paint ``photo`` with a feed-forward style network.

    Parameters
    ----------
    photo : (M, N, 3) ndarray
        RGB 0..255.
    params : StylizeParams
    style_image : (P, Q, 3) ndarray, optional
        The painting, for ``model="arbitrary"``.
    model_file : path-like, optional
        A model file (overrides ``params.model``, which then only names it).
    callback : callable, optional
        ``callback(0, 1, 0.0)`` once the picture is done (a one-step progress).

    Returns
    -------
    (M', N', 3) ndarray of uint8
        The photo's size, or its longer side ``params.size``.
    """
    return stylize_and_say_how(photo, params, style_image=style_image, model_file=model_file, callback=callback)[0]


def stylize_and_say_how(photo: np.ndarray, params: StylizeParams = StylizeParams(), *,
                        style_image: np.ndarray | None = None, model_file: str | os.PathLike | None = None,
                        callback: Callback | None = None) -> tuple[np.ndarray, dict[str, Any] | None]:
    """:func:`stylize`, and how it ran when that was decided without torch: ``(picture, how)``.

    ``how`` is ``{"threads", "device", "model", "model_sha256", "precision", "runtime"}``
    when a built-in network ran from its stored ONNX graph
    (:mod:`prisma_abu.neural.ortcache`: the second run on, no torch import), else None.
    """
    photo = check_rgb(photo, "photo")
    params = resolve_tile(photo.shape, params)
    if params.size is not None:
        from ..ops.resize import longer_side_size, resize_longer_side

        width, height = longer_side_size(photo.shape, params.size)
        check_pixels(height, width)
        photo = resize_longer_side(photo, params.size)
    else:
        check_pixels(*photo.shape[:2])
    from .stylize_stored import stored_arbitrary, stored_plan

    plan = stored_plan(params, photo.shape, model_file, style_image)
    painted = how = None
    if plan is None and _arbitrary_network(params, model_file) and style_image is not None:
        painted, how = stored_arbitrary(photo, params, style_image, _overlap(params), lambda: _arbitrary("cpu"))
    elif plan is not None:
        from ..neural import ortcache

        entry, threads = plan
        painted = ortcache.run(entry, photo, threads, params.tile, _overlap(params))
        how = {"threads": threads, "device": "cpu", "model": entry["name"], "model_sha256": entry["sha256"],
               "precision": "fp32", "runtime": "onnxruntime"}
    if painted is None:
        painted, how = _torch_paint(photo, params, model_file, style_image), None
    painted = np.clip(painted, 0, 255)
    if params.strength < 1.0 and not _arbitrary_network(params, model_file):
        painted = params.strength * painted + (1.0 - params.strength) * photo
    if params.preserve_color:
        from .style import keep_original_colors

        painted = keep_original_colors(painted, photo)
    if callback is not None:
        callback(0, 1, 0.0)
    return np.uint8(np.clip(painted, 0, 255)), how


#: ``PRISMA_ABU_MEMORY_MB``: the memory a stylize may take (default: 2 GiB or half the available memory, less)
MEMORY_ENV = "PRISMA_ABU_MEMORY_MB"
#: peak bytes per pixel, measured (multistyle26 through onnxruntime, 2 threads): a whole picture (1000x750 to
#: 4000x3000: 376), a tile (its arena included: 0.9-1.0 kB), and the whole picture's own arrays beside the tiles
WHOLE_BYTES, TILE_BYTES, PICTURE_BYTES = 380, 1000, 48
#: tiles chosen for memory are at least this big (instance norm per tile changes the look of small ones)
MIN_MEMORY_TILE = 512


def memory_budget() -> int:
    """Bytes a stylize may take: ``PRISMA_ABU_MEMORY_MB``, else 2 GiB or half the available memory (less)."""
    given = os.environ.get(MEMORY_ENV)
    if given:
        try:
            return max(1, int(float(given) * 2**20))
        except ValueError:
            raise InvalidParameterError(f"{MEMORY_ENV}: expected megabytes, got {given!r}") from None
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            available = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:")), None)
    except (OSError, ValueError, IndexError):
        pass
    if available is None and hasattr(os, "sysconf"):
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
    return min(2 * 2**30, available // 2) if available else 2 * 2**30


def resolve_tile(shape: tuple[int, ...], params: StylizeParams) -> StylizeParams:
    """``params`` with the tile a photo of ``shape`` needs to stay within :func:`memory_budget` (``tile``
    none and the whole picture over it); a given tile is kept. The picture records the tile chosen."""
    if params.tile is not None:
        return params
    height, width = shape[:2]
    if params.size is not None:
        from ..ops.resize import longer_side_size

        width, height = longer_side_size(shape, params.size)
    budget = memory_budget()
    if WHOLE_BYTES * height * width <= budget:
        return params
    side = max(MIN_MEMORY_TILE, math.isqrt(max(budget - PICTURE_BYTES * height * width, 0) // TILE_BYTES))
    if side >= max(height, width):
        return params
    overlap = 64
    counts = [-(-(n - overlap) // (side - overlap)) for n in (height, width)]  # tiles a side needs
    even = max(-(-(n + (k - 1) * overlap) // k) for n, k in zip((height, width), counts))  # as even as they go
    return params.replace(tile=max(MIN_MEMORY_TILE, even))


def _overlap(params: StylizeParams) -> int:
    """Tiles overlap 64 px; the knob allows tiles from 128 px, which need 129 for that, so small ones overlap less."""
    return 64 if params.tile is None else min(64, (params.tile - 1) // 2)


def _torch_paint(photo: np.ndarray, params: StylizeParams, model_file, style_image) -> np.ndarray:
    """The network run in torch (or through the ONNX graph torch writes); stores that graph for the next runs."""
    import torch

    from ..neural.deepdream import to_array, to_tensor
    from ..neural.device import to_device
    from ..neural.stylenets import run_plan, stylize_tensor

    params = _resolved(params)
    net = _network(params, model_file, style_image)
    device = torch.device(params.device)
    x = to_device(to_tensor(np.ascontiguousarray(photo, np.float32)), device)
    with torch.no_grad():
        painted = to_array(stylize_tensor(net, x, tile=params.tile, overlap=_overlap(params),
                                          precision=params.precision))
    if model_file is None and style_image is None and hasattr(net, "onnx_core") and hasattr(net, "onnx_style"):
        if run_plan(net, device, params.precision) == ("fp32", "onnxruntime"):
            _remember(params.model, net, x)
    return painted


def _remember(spec: str, net: Any, x: Any) -> None:
    """Store ``net``'s ONNX graph and conditioning (once per spec and environment) so the next run needs no torch."""
    import torch

    from ..neural import ortcache
    from ..neural.stylenets.runtime import build_graph

    entry = ortcache.lookup(spec)
    if entry is not None and ortcache.threads_here(entry["threads"]) == torch.get_num_threads():
        return
    ortcache.store(spec, name=str(net.name), sha256=str(net.sha256), min_size=int(net.min_size),
                   style=net.onnx_style(x).detach().float().cpu().numpy(), graph=build_graph(net.onnx_core()),
                   threads=torch.get_num_threads())


def stylize_frames(frames: Iterator[np.ndarray], params: StylizeParams = StylizeParams(), *,
                   style_image: np.ndarray | None = None, model_file: str | os.PathLike | None = None,
                   temporal: float = 0.0) -> Iterator[np.ndarray]:
    """:func:`stylize` over a video's frames, the network loaded once.

    ``temporal`` in 0..1 blends each painted frame with the previous output
    (an exponential moving average) against the flicker a per-frame network
    shows; 0 paints each frame alone.
    """
    if not 0.0 <= temporal < 1.0:
        raise InvalidParameterError(f"temporal: expected a number in [0, 1), got {temporal!r}")
    params = _resolved(params)
    _network(params, model_file, style_image)  # a bad model fails before the first frame
    previous = None
    for frame in frames:
        painted = stylize(frame, params, style_image=style_image, model_file=model_file).astype(np.float32)
        if previous is not None and temporal > 0 and previous.shape == painted.shape:
            painted = temporal * previous + (1.0 - temporal) * painted
        previous = painted
        yield np.uint8(np.clip(painted + 0.5 * (temporal > 0), 0, 255))


def style_sheet(photo: np.ndarray, params: StylizeParams, specs: Sequence[str],
                files: Sequence[str] = (), *, title: str = "") -> tuple[np.ndarray, list[str]]:
    """``photo`` in every model of ``specs`` and ``files``, labelled, on one sheet; returns (sheet, labels)."""
    from ..ops.sheet import labelled_grid

    photo = check_rgb(photo, "photo")
    size = params.size or 384
    pictures, labels = [photo], ["the photo"]
    for spec in specs:
        pictures.append(stylize(photo, params.replace(model=spec, size=size)))
        labels.append(spec)
    for path in files:
        pictures.append(stylize(photo, params.replace(model=file_label(path), size=size), model_file=path))
        labels.append(file_label(path))
    return labelled_grid(pictures, labels, cell=min(size, 256), columns=6, title=title), labels[1:]


def builtin_models() -> list[tuple[str, str]]:
    """``(spec, description)`` of every built-in network source."""
    from ..neural.stylenets import builtin_models as builtins

    return builtins()


def is_builtin(spec: str) -> bool:
    """Whether ``spec`` names a built-in network (``multistyle26:7``, ``arbitrary``) rather than a file
    (:func:`prisma_abu.modelspec.builtin_source`; torch-free)."""
    return builtin_source(spec) is not None


def models_folder():
    """The user's model folder (``PRISMA_ABU_MODELS`` overrides); created by nobody but the user."""
    from ..neural.weights import models_dir

    return models_dir()


def model_files() -> list[tuple[str, str, int]]:
    """``(path, format, bytes)`` of every model file in the user's model folder that a loader takes."""
    from ..neural.stylenets import file_suffixes

    folder = models_folder()
    if not folder.is_dir():
        return []
    suffixes = set(file_suffixes())
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return [(str(p), p.suffix.lower().lstrip("."), p.stat().st_size) for p in found]


def auto_precision_note() -> str:
    """Why ``stylize --precision auto`` runs fp32 on the CPU (``prisma-abu doctor`` prints it).

    Measured on an AMD EPYC with native bf16 (2 threads, interleaved, multistyle26:7 at 451 and 768 px):
    torch bf16 autocast took 1.2x torch fp32's time and 2.9-3.7x onnxruntime's fp32 (which has no bf16
    path here); ``bench/stylize.py`` measures it again. So ``auto`` is not calibrated per machine as the
    backbones are: the fp32 graph in onnxruntime is the fastest path, and exact.
    """
    from ..neural.ortcache import onnxruntime_installed

    runtime = "onnxruntime" if onnxruntime_installed() else "torch (no onnxruntime)"
    return (f"stylize --precision auto: fp32 on the CPU through {runtime} (torch bf16 autocast measured 1.2x "
            "slower than torch fp32 and ~3x slower than onnxruntime fp32 on a CPU with native bf16; "
            "bench/stylize.py re-measures); bf16 (fp16) autocast on a GPU")


def model_spec(params: StylizeParams) -> tuple[StylizeParams, str | None]:
    """``params.model`` read once: a built-in name stays a parameter; a model file becomes ``(params naming it
    by file name, its path)``, so the file is an input (path and sha256 in a picture's metadata).

    Raises
    ------
    InvalidParameterError
        Neither a built-in name nor a file (the message lists the built-in ones).
    """
    spec = parse_model_spec(params.model)
    return (params, None) if spec.builtin else (params.replace(model=spec.name), spec.path)
