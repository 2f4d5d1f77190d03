"""trimtab.models."""
