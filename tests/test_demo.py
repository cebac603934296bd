"""prisma_abu.demo: what `make demo` renders carries its parameters."""

from __future__ import annotations

from prisma_abu.io import read_metadata


def test_demo_style_renders_a_picture_with_parameters(tmp_path, monkeypatch):
    import prisma_abu.demo as demo_module

    quick = demo_module.DEMO_STYLE_PARAMS.replace(scale_iterations=(1, 1))
    monkeypatch.setattr(demo_module, "DEMO_STYLE_PARAMS", quick)
    path = demo_module.demo_style(tmp_path)
    meta = read_metadata(path)
    assert path.exists() and meta["command"] == "style" and meta["params"]["size"] == 256
