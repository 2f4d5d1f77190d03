"""trimtab.reports."""
