"""Running a style network: the precision and runtime plan, whole or in tiles.

:func:`stylize_tensor` is the one inference call; :func:`run_plan` says what it will use (what a picture records).
"""

from __future__ import annotations

import torch

from prisma_abu.errors import InvalidParameterError
from prisma_abu.neural.device import autocast, check_image_tensor, native_bf16
from prisma_abu.neural.stylenets import RUN_PRECISIONS, RUNTIMES, StyleNet

__all__ = ["stylize_tensor", "run_plan"]


def _resolve(net: StyleNet, image: torch.Tensor, precision: str, runtime: str) -> tuple[str, str]:
    if precision not in RUN_PRECISIONS:
        raise InvalidParameterError(f"precision: expected one of {', '.join(RUN_PRECISIONS)}, got {precision!r}")
    if runtime not in RUNTIMES:
        raise InvalidParameterError(f"runtime: expected one of {', '.join(RUNTIMES)}, got {runtime!r}")
    on_cpu = image.device.type == "cpu"
    exportable = hasattr(net, "onnx_core") and hasattr(net, "onnx_style")
    if runtime == "onnxruntime" and not (exportable and on_cpu):
        raise InvalidParameterError(
            f"runtime: onnxruntime needs a CPU tensor and a network with an ONNX graph, got "
            f"{type(net).__name__} on {image.device}"
        )
    if precision == "auto":
        precision = "fp32" if on_cpu else ("bf16" if native_bf16(image.device) else "fp16")
    if runtime == "auto":
        from prisma_abu.neural.stylenets import runtime as rt

        use_ort = on_cpu and exportable and precision == "fp32" and rt.available()
        runtime = "onnxruntime" if use_ort else "torch"
    if runtime == "onnxruntime" and precision != "fp32":
        raise InvalidParameterError(f"precision: the onnxruntime path runs fp32, got {precision!r}")
    return precision, runtime


def run_plan(net: StyleNet, device: torch.device | str = "cpu", precision: str = "auto",
             runtime: str = "auto") -> tuple[str, str]:
    """``(precision, runtime)`` that :func:`stylize_tensor` uses for ``net`` on ``device`` (what a picture records)."""
    return _resolve(net, torch.empty(0, device=device), precision, runtime)


def _run_whole(net: StyleNet, image: torch.Tensor, precision: str, runtime: str) -> torch.Tensor:
    if runtime == "onnxruntime":
        from prisma_abu.neural.stylenets import runtime as rt

        return rt.run(net, image)
    with torch.inference_mode(), autocast(image.device, precision):
        return net(image.float()).float()




def stylize_tensor(net: StyleNet, image: torch.Tensor, *, tile: int | None = None, overlap: int = 64,
                   precision: str = "auto", runtime: str = "auto") -> torch.Tensor:
    """Run a style network on a batch of pictures.

    Parameters
    ----------
    net : StyleNet
    image : torch.Tensor
        ``Nx3xHxW`` float RGB 0..255, on the network's device.
    tile : int, optional
        Run overlapping ``tile x tile`` pieces (for pictures too large for
        memory) and blend them with linear ramps over ``overlap`` pixels.
        Instance-norm networks compute their statistics per tile, so very
        small tiles change the look; keep tiles >= 512.
    overlap : int
        Overlap between tiles, in pixels (< ``tile / 2``).
    precision : {"auto", "fp32", "bf16", "fp16"}
        ``auto``: fp32 on CPU, bf16 (or fp16) autocast on a GPU.
    runtime : {"auto", "torch", "onnxruntime"}
        ``auto``: ONNX Runtime on CPU in fp32 for networks with an ONNX graph
        (the measured faster path, see ``bench/stylize.py``), torch otherwise.

    Returns
    -------
    torch.Tensor
        ``Nx3xHxW`` float32 RGB 0..255 on the input's device.

    Raises
    ------
    InvalidImageError
        Not ``Nx3xHxW`` floats, or smaller than ``net.min_size``.
    InvalidParameterError
        Bad ``tile``/``overlap``/``precision``/``runtime``.
    """
    check_image_tensor(image, net.min_size, net=net.name or type(net).__name__)
    precision, runtime = _resolve(net, image, precision, runtime)
    h, w = image.shape[-2:]
    if tile is None or (h <= tile and w <= tile):
        return _run_whole(net, image, precision, runtime).clamp(0.0, 255.0)
    from prisma_abu.neural.tiles import check_tile, pieces

    check_tile(tile, overlap, net.min_size)
    out = torch.zeros(image.shape, dtype=torch.float32, device=image.device)
    total = torch.zeros((1, 1, h, w), dtype=torch.float32, device=image.device)
    for y, x, weight in pieces(h, w, tile, overlap):  # the weights the stored-graph path uses too
        th, tw = weight.shape
        result = _run_whole(net, image[:, :, y:y + th, x:x + tw], precision, runtime).float()
        weight = torch.from_numpy(weight).to(image.device)
        out[:, :, y:y + th, x:x + tw] += result * weight
        total[:, :, y:y + th, x:x + tw] += weight
    return (out / total).clamp(0.0, 255.0)
