"""Type aliases used across trimtab."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["AccountId", "AssetId", "FloatArray", "Money", "Weights"]

AssetId: TypeAlias = str
AccountId: TypeAlias = str
FloatArray: TypeAlias = npt.NDArray[np.float64]
Money: TypeAlias = Decimal
Weights: TypeAlias = Mapping[str, float]
