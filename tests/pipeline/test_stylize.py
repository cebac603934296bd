"""prisma_abu.pipeline.stylize: a feed-forward network on a photo, at its size, with strength and colours."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu import pipeline
from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.params import StylizeParams
from prisma_abu.pipeline.style import rgb_to_ycbcr

P = StylizeParams(model="multistyle26:7", size=96)


@pytest.fixture(scope="module")
def photo(photos):
    return photos[0]


def test_the_painting_has_the_photos_aspect_at_its_size(photo):
    out = pipeline.stylize(photo, P)
    assert out.dtype == np.uint8 and out.shape == (63, 96, 3)  # chelsea is 451x300
    assert np.abs(out.astype(float) - pipeline.stylize(photo, P.replace(model="multistyle26:1"))).mean() > 10
    full = pipeline.stylize(photo[:80, :100], StylizeParams(model="multistyle26:7"))
    assert full.shape == (80, 100, 3)  # no size: the photo's own


def test_strength_blends_with_the_photo(photo):
    from prisma_abu.ops.resize import resize_longer_side

    small = resize_longer_side(photo, 96)
    none = pipeline.stylize(photo, P.replace(strength=0.0)).astype(float)
    half = pipeline.stylize(photo, P.replace(strength=0.5)).astype(float)
    full = pipeline.stylize(photo, P).astype(float)
    assert np.abs(none - np.uint8(small)).max() <= 1  # strength 0: the photo itself
    assert np.abs(half - (full + none) / 2).max() <= 1.5


def test_preserve_color_keeps_the_photos_chroma(photo):
    from prisma_abu.ops.resize import resize_longer_side

    small = resize_longer_side(photo, 96)
    kept = rgb_to_ycbcr(pipeline.stylize(photo, P.replace(preserve_color=True)))
    plain = rgb_to_ycbcr(pipeline.stylize(photo, P))
    target = rgb_to_ycbcr(small)
    assert np.abs(kept[..., 1:] - target[..., 1:]).mean() < 0.5 * np.abs(plain[..., 1:] - target[..., 1:]).mean()


def test_arbitrary_takes_a_style_picture_and_others_refuse_one(photos):
    photo, style = photos[0], photos[1]
    out = pipeline.stylize(photo, StylizeParams(model="arbitrary", size=96), style_image=style)
    assert out.shape == (63, 96, 3)
    with pytest.raises(InvalidParameterError, match="expected a style picture"):
        pipeline.stylize(photo, StylizeParams(model="arbitrary", size=96))
    with pytest.raises(InvalidParameterError, match="only the arbitrary model takes one"):
        pipeline.stylize(photo, P, style_image=style)


def test_bad_models_and_pictures(photo):
    with pytest.raises(InvalidParameterError, match="unknown model 'nope'.*multistyle26"):
        pipeline.stylize(photo, P.replace(model="nope"))
    with pytest.raises(InvalidParameterError, match=r"strength: expected a value in \[0, 1\]"):
        P.replace(strength=1.5)
    with pytest.raises(InvalidImageError, match="too small"):
        pipeline.stylize(photo[:20, :20], StylizeParams())
    with pytest.raises(InvalidImageError, match="expected an"):
        pipeline.stylize([[1, 2, 3]], P)


def test_frames_of_a_video_with_temporal_smoothing(photo):
    frames = [photo[:64, :96], photo[6:70, 9:105]]  # the camera moved
    plain = list(pipeline.stylize_frames(iter(frames), P.replace(size=None)))
    smooth = list(pipeline.stylize_frames(iter(frames), P.replace(size=None), temporal=0.5))
    assert np.abs(plain[0].astype(int) - smooth[0]).max() <= 1  # the first frame has nothing to blend with
    jump_plain = np.abs(plain[1].astype(float) - plain[0]).mean()
    jump_smooth = np.abs(smooth[1].astype(float) - smooth[0]).mean()
    assert jump_smooth < 0.75 * jump_plain  # less flicker between frames
    with pytest.raises(InvalidParameterError, match="temporal"):
        list(pipeline.stylize_frames(iter(frames), P, temporal=1.0))
