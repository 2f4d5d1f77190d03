"""Bundled example households (package data; `trimtab demo` runs `family`)."""
