"""trimtab.estimates."""
