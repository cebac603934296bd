"""A small clip made here (moving shapes, a sine tone), for the video tests: nothing from the web."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def make_clip(path: Path, *, frames: int = 12, size: tuple[int, int] = (96, 128), fps: int = 12,
              audio: bool = True) -> Path:
    """An H.264 clip of a disc moving over a gradient, with a 440 Hz tone when ``audio``."""
    import av

    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), mode="w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        sound = out.add_stream("aac", rate=22050) if audio else None
        for t in range(frames):
            frame = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], axis=2).astype(np.uint8)
            frame[((yy - h // 2) ** 2 + (xx - 10 - 8 * t) ** 2) < 150] = (240, 220, 30)
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            samples = int(22050 * frames / fps)
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 22050)).astype(np.float32)
            step = 1024
            for start in range(0, samples, step):
                chunk = tone[start:start + step][None, :]
                frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                frame.sample_rate = 22050
                frame.pts = start
                frame.time_base = Fraction(1, 22050)
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path
