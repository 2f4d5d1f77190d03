"""trimtab.cli."""
