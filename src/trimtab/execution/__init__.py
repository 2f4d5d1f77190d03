"""trimtab.execution."""
