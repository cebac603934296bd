"""Feed-forward style networks (placeholder of the shared interface).

This file only holds the :class:`StyleNet` contract that the loaders of this
package implement; the lead replaces it at merge with the package's real
``__init__`` (registry of loaders by suffix).
"""

from __future__ import annotations

import torch

__all__ = ["StyleNet"]


class StyleNet(torch.nn.Module):
    """A network that turns a photo into a painting in one forward pass.

    Attributes
    ----------
    name : str
        Short name of the style (usually the file's stem).
    min_size : int
        Smallest height and width (px) the network accepts.
    sha256 : str
        Hex sha256 of the weights file (identity of the model).
    """

    name: str = ""
    min_size: int = 1
    sha256: str = ""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Stylize.

        Parameters
        ----------
        image : (N, 3, H, W) float32 tensor
            RGB in 0..255.

        Returns
        -------
        (N, 3, H, W) float32 tensor
            RGB in 0..255.
        """
        raise NotImplementedError
