"""The book's ``PrismaWorker``: the original method names over prisma_abu's engine.

Scripts written against abu's chapter keep working::

    from functools import partial
    from prisma_abu import PrismaWorker

    pw = PrismaWorker()
    img = pw.mix_mask_with_convd(partial(pw.do_otsu, dd=False), 'sample/coffee.jpg',
                                 'prisma_gd/swirl.jpg', 'auto', enhance='Sharpness',
                                 n2=88, n3=1, convd_median_factor=1.5, convd_big_factor=0.0)

What the original kept in module globals (``g_all_mask_rb_rate``, the spot
masks, ``g_force_iter_n``, ``g_enhance_p``, the image size) lives in the
worker's :class:`~prisma_abu.params.MixParams` (``pw.params``). The worker's
random generator (``seed``) drives the rb_rate draws: the same seed and calls
give the same bytes. ``show=True`` hands each stage's picture to ``show_func``
(default: kept in ``pw.shown``); nothing here opens windows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import InvalidParameterError
from .params import MixParams

__all__ = ["PrismaWorker", "PrismaWorkerClass"]

MaskFunc = Callable[..., np.ndarray]


def _as_array(image: Any) -> np.ndarray:
    """PIL image or array -> (M, N, 3) float32 (the original's ``np.float32(r_img)``)."""
    from .images import check_rgb

    return check_rgb(np.asarray(image.convert("RGB") if hasattr(image, "convert") else image, dtype=np.float32),
                     "picture")


def _book_params() -> MixParams:
    """The book's network when its weights are at hand, else the embedded default."""
    from .pipeline.models import backbone_status

    if backbone_status("bvlc_googlenet")["weights_present"]:
        return MixParams.book(backbone="bvlc_googlenet")
    return MixParams.book()


class PrismaWorker:
    """abu's PrismaWorkerClass, same methods and argument order.

    Parameters
    ----------
    params : MixParams, optional
        Defaults for every knob the methods do not take as arguments (the
        pictures are always the book's squares, without ``auto`` or a texture
        preset, the raw guide pasted: ``square``, ``auto``, ``texture`` and
        ``compose`` are set so). Without
        them, the book's network when the user has it: ``bvlc_googlenet``
        (its ``conv2/3x3_reduce``) when ``bvlc_googlenet.caffemodel`` is in the
        model folder, else the embedded EfficientNet-Lite0.
    seed : int, optional
        Seeds the worker's generator (default ``params.seed``).
    show_func : callable, optional
        Receives each picture ``show=True`` would have displayed.
    """

    def __init__(self, params: MixParams | None = None, *, seed: int | None = None,
                 show_func: Callable[[np.ndarray], None] | None = None) -> None:
        # the book's behaviour whatever the params say: a square, no auto, no texture preset, the raw guide pasted
        self.params = (params or _book_params()).replace(square=True, auto=False, texture=None, compose="paste")
        self.rng = np.random.default_rng(self.params.seed if seed is None else seed)
        self.shown: list[np.ndarray] = []
        self.show_func = show_func or self.shown.append

    # --- pictures ------------------------------------------------------------------------------
    def resize_img(self, r_img: Any, base_width: int = 480, keep_size: bool = True,
                   h_size: int | None = None) -> np.ndarray:
        """The original's resize (a float32 array rather than a PIL image)."""
        from .ops.resize import resize_image

        return resize_image(_as_array(r_img), base_width=base_width, keep_size=keep_size, height=h_size)

    def _read(self, path: str | os.PathLike, *, height: int | None = None) -> np.ndarray:
        from .io import read_image

        return self.resize_img(read_image(path), self.params.size, self.params.keep_size, height)

    def _grey(self, r_img: np.ndarray) -> np.ndarray:
        from .ops.color import to_grey

        return to_grey(r_img)

    # --- masks (the original's signatures) ------------------------------------------------------
    def do_otsu(self, r_img: Any, l_img: np.ndarray, cb: bool, dd: bool = True) -> np.ndarray:
        from .ops.masks import mask_otsu

        return mask_otsu(np.asarray(l_img, np.float32), dd=dd, cb=cb)

    def do_stdmean(self, r_img: Any, l_img: np.ndarray, cb: bool, std_factor: float = 1.0) -> np.ndarray:
        from .ops.masks import mask_stdmean

        return mask_stdmean(np.asarray(l_img, np.float32), std_factor=std_factor, cb=cb)

    def do_features(self, r_img: Any, l_img: np.ndarray, cb: bool, loop_factor: float = 1.0) -> np.ndarray:
        from .ops.features import mask_features

        return mask_features(_as_array(r_img), np.asarray(l_img, np.float32), loop_factor=loop_factor)

    def together_mask_func(self, r_img: Any, l_img: np.ndarray, cb: bool,
                           func_list: Sequence[MaskFunc]) -> np.ndarray:
        """Sum several mask functions' masks, clipped to 255."""
        total = None
        for func in func_list:
            if not callable(func):
                raise TypeError(f"together_mask_func: expected callables, got {func!r}")
            mask = func(r_img, l_img, cb).astype(np.int32)
            total = mask if total is None else total + mask
        if total is None:
            raise InvalidParameterError("together_mask_func: expected at least one mask function, got none")
        return np.uint8(np.clip(total, 0, 255))

    def find_features(self, gd_file: str | None = None, r_img: Any = None, l_img: np.ndarray | None = None,
                      loop_factor: float = 1, show: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(the picture inside the grown corner region, the picture), as the original."""
        from .ops.features import feature_region, find_corners

        r_img = self._read(gd_file) if gd_file is not None else _as_array(r_img)
        l_img = self._grey(r_img) if l_img is None else np.asarray(l_img, np.float32)
        coords, _ = find_corners(l_img)
        region = feature_region(l_img, coords, loop_factor=loop_factor)
        inside = r_img * region[:, :, None].astype(np.float32)
        if show:
            self.show_func(inside)
        return inside, r_img

    def show_features(self, gd_file: str | os.PathLike) -> np.ndarray:
        """The Harris corners (blue) and their sub-pixel refinements (red +) over the picture."""
        from .ops.draw import draw_features
        from .ops.features import find_corners

        r_img = self._read(gd_file)
        coords, subpix = find_corners(self._grey(r_img))
        picture = draw_features(r_img, coords, subpix)
        self.show_func(picture)
        return picture

    def handle_mask_sp_array(self, clean_border_img: np.ndarray) -> np.ndarray:
        """Force the spot masks of ``params`` (spots_keep to 255, spots_drop to 0)."""
        from .ops.spots import apply_spots

        return apply_spots(clean_border_img, keep=self.params.spots_keep, drop=self.params.spots_drop)

    # --- blend ------------------------------------------------------------------------------------
    def do_convd_filter(self, n1: int, n2: int, n3: int, rb_rate: float, r_img: Any, guide_img: Any,
                        clean_border_img: np.ndarray, convd_median_factor: float,
                        convd_big_factor: float) -> np.ndarray:
        from .ops.blend import blend_convolved

        guide = None if guide_img is None else _as_array(guide_img)
        return blend_convolved(_as_array(r_img), guide, clean_border_img, n1=n1, n2=n2, n3=n3, rb_rate=rb_rate,
                               convd_median_factor=convd_median_factor, convd_big_factor=convd_big_factor,
                               rng=self.rng)

    # --- the whole thing --------------------------------------------------------------------------
    def mix_mask_with_convd(self, do_mask_func: MaskFunc | str, org_file: str | None = None,
                            gd_file: str | None = None, nbk: str | None = None, enhance: str | None = None,
                            n1: int = 5, n2: int = 25, n3: int = 120, convd_median_factor: float = 5.0,
                            convd_big_factor: float = 1.0, cb: bool = False, rb_rate: float = 1,
                            r_img: Any = None, guide_img: Any = None, all_mask: bool = False,
                            save: bool = False, show: bool = False) -> np.ndarray:
        """abu's mix: mask, blend with the guide (black without one), enhance, shallow dream.

        ``do_mask_func`` is a mask function (``partial(pw.do_otsu, dd=False)``) or a
        mask name (``'otsu_func + stdmean_func'``, ``'otsu+features'``). ``nbk`` is
        the dream layer (``'auto'``: the backbone's Prisma layer; None: no dream).
        ``save=True`` writes the picture, with its parameters, into ``out/worker/``.
        Returns the (M, N, 3) uint8 picture.
        """
        from .io import read_image
        from .pipeline import mix, prepare_mix

        if not (callable(do_mask_func) or isinstance(do_mask_func, str)):
            raise TypeError(f"mix_mask_with_convd: expected a mask function or name, got {do_mask_func!r}")
        from_files = r_img is None and guide_img is None
        params = self.params.replace(
            mask=do_mask_func if isinstance(do_mask_func, str) else self.params.mask, layer=nbk,
            enhance=enhance, n1=n1, n2=n2, n3=n3, convd_median_factor=convd_median_factor,
            convd_big_factor=convd_big_factor, cb=cb, rb_rate=float(rb_rate), all_mask=all_mask,
            seed=int(self.rng.integers(2**31)))
        source = read_image(org_file) if r_img is None else _as_array(r_img)
        if r_img is not None:  # an array is used at its own size
            params = params.replace(size=source.shape[1], keep_size=True)
        guide = read_image(gd_file) if guide_img is None and gd_file is not None else guide_img
        guide = None if guide is None else _as_array(guide)
        mask = None
        if callable(do_mask_func):
            resized, _ = prepare_mix(source, None, params)
            mask = do_mask_func(r_img=resized, l_img=self._grey(resized), cb=cb)
        result = mix(source, guide, params, mask=mask, plain_dream_without_guide=False)
        if show:
            for picture in (result.source, result.mask, result.image):
                self.show_func(picture)
        if save:
            replayable = from_files and isinstance(do_mask_func, str)
            self._save(result.image, params, org_file if replayable else None, gd_file, nbk)
        return result.image

    def _save(self, image: np.ndarray, params: MixParams, org_file: str | None, gd_file: str | None,
              nbk: str | None) -> Path:
        """Write into out/worker/; with files (and a named mask) the picture can be replayed."""
        from . import __version__
        from .io import write_image
        from .jobs import Job, job_metadata

        stem = Path(org_file).stem if org_file else "array"
        name = f"{stem}_{'none' if nbk is None else nbk.replace('/', '_')}.png"
        if org_file is not None:
            meta = job_metadata(Job("mix_black_guide", params, {"source": org_file, "guide": gd_file}))
        else:
            meta = {"prisma_abu": __version__, "command": "mix", "params": {"kind": "mix", **params.to_dict()},
                    "inputs": {}, "replayable": False}
        return write_image(Path("out") / "worker" / name, image, metadata=meta)


#: the original's class name
PrismaWorkerClass = PrismaWorker
