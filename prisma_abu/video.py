"""Reading and writing videos, frame by frame, in process (PyAV: FFmpeg's libraries, no ffmpeg to install).

:func:`open_video` gives the frames as (M, N, 3) uint8 arrays with the clip's
frame rate and length; :func:`write_video` encodes frames (H.264, yuv420p)
atomically into ``.mp4``/``.mkv``/``.mov``, copies the source's audio when it
has some, and stores the parameters as JSON in the container's ``comment``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from .errors import InvalidImageError, InvalidParameterError
from .atomic import atomic_output, new_name_output
from .io import check_picture_size

__all__ = ["VideoInfo", "open_video", "write_video", "read_video_metadata", "VIDEO_SUFFIXES"]

#: what :func:`write_video` writes
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov")


@dataclass(frozen=True)
class VideoInfo:
    """A clip's shape: frame rate, frame count (0 when the container does not say), size, audio."""

    fps: Fraction
    frames: int
    width: int
    height: int
    has_audio: bool


def _open(path: Path):
    import av

    if not path.is_file():
        raise InvalidImageError(f"{path}: no such file; expected a video file")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InvalidImageError(f"{path}: not a video FFmpeg can read ({type(exc).__name__})") from None
    if not container.streams.video:
        container.close()
        raise InvalidImageError(f"{path}: holds no video stream; expected a video file")
    return container


def video_info(path: str | os.PathLike) -> VideoInfo:
    """The clip's :class:`VideoInfo` (reads only the header)."""
    with _open(Path(path)) as container:
        stream = container.streams.video[0]
        fps = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(Fraction(fps), int(stream.frames or 0), stream.codec_context.width,
                         stream.codec_context.height, bool(container.streams.audio))


def open_video(path: str | os.PathLike) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """The clip's info and an iterator over its frames, RGB uint8 (decoding errors: InvalidImageError).

    Its frames pass the pictures' bomb guard (:func:`prisma_abu.io.check_picture_size`): no strip over 1000:1.
    """
    path = Path(path)
    info = video_info(path)
    check_picture_size(path, info.width, info.height)

    def frames() -> Iterator[np.ndarray]:
        import av

        with _open(path) as container:
            try:
                for frame in container.decode(video=0):
                    yield frame.to_ndarray(format="rgb24")
            except av.FFmpegError as exc:
                raise InvalidImageError(f"{path}: broken video ({type(exc).__name__})") from None

    return info, frames()


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p wants even sides: crop a last odd row/column."""
    h, w = frame.shape[:2]
    return frame[: h - h % 2, : w - w % 2]


def write_video(path: str | os.PathLike, frames: Iterator[np.ndarray], fps: Fraction | float, *,
                audio_from: str | os.PathLike | None = None, metadata: Mapping[str, Any] | None = None,
                crf: int = 18, new_name: bool = False) -> Path:
    """Encode ``frames`` into ``path`` atomically (a temporary file beside it, then a rename); returns the path.

    Parameters
    ----------
    frames : iterator of (M, N, 3) uint8 arrays
        All of one size (odd sides are cropped to even).
    fps : Fraction or float
    audio_from : path-like, optional
        A video whose audio streams are copied as they are (no re-encoding).
    metadata : mapping, optional
        Stored as JSON in the container's ``comment``.
    crf : int
        x264 quality (lower is better; 18 is visually lossless).
    new_name : bool
        Never over a file: ``path`` or, when it exists (another run may take it meanwhile), ``STEM_1``...
    """
    import av

    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InvalidParameterError(f"{path}: cannot write a {path.suffix or 'suffix-less'} video; expected one of "
                                    f"{', '.join(VIDEO_SUFFIXES)}")
    source = None
    try:
        with (new_name_output(path) if new_name else atomic_output(path)) as taken:
            tmp = taken.part if new_name else taken
            container = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}[path.suffix.lower()]
            out = av.open(str(tmp), mode="w", format=container)
            with out:
                if metadata:
                    out.metadata["comment"] = json.dumps(dict(metadata), sort_keys=True)
                video = None
                audio_out = []
                if audio_from is not None:
                    source = av.open(str(audio_from))
                    audio_out = [(s, out.add_stream_from_template(s)) for s in source.streams.audio]
                for frame in frames:
                    frame = _even(np.ascontiguousarray(frame, dtype=np.uint8))
                    if video is None:
                        video = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(100_000))
                        video.width, video.height = frame.shape[1], frame.shape[0]
                        video.pix_fmt = "yuv420p"
                        video.options = {"crf": str(crf)}
                    for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                        out.mux(packet)
                if video is None:
                    raise InvalidImageError(f"{audio_from or path}: no frames to write")
                for packet in video.encode():
                    out.mux(packet)
                for stream_in, stream_out in audio_out:
                    for packet in source.demux(stream_in):
                        if packet.dts is None:
                            continue
                        packet.stream = stream_out
                        out.mux(packet)
    finally:
        if source is not None:
            source.close()
    return taken.path if new_name else path


def read_video_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The parameters a video prisma_abu wrote carries (its container's ``comment``)."""
    with _open(Path(path)) as container:
        text = container.metadata.get("comment")
    if not text:
        raise InvalidImageError(f"{path}: carries no prisma_abu parameters; expected a video prisma_abu wrote")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidImageError(f"{path}: its prisma_abu parameters are not valid JSON") from None
