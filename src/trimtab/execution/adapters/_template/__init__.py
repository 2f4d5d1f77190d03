"""Skeleton of a broker adapter: copy this folder to ``adapters/<venue>/`` and fill in each method."""
