"""trimtab: keep investment portfolios on target at the lowest total cost (drift, trading cost, tax)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
