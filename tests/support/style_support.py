"""What the style tests share: small, quick parameters."""

from __future__ import annotations

from prisma_abu.params import StyleParams

#: small and quick: 64 px, single scale, fp32 (scales and bf16 have their own tests)
QUICK = StyleParams(size=64, num_iterations=20, scales=1, precision="fp32", init="image",
                    save_iter=0, print_iter=0)
