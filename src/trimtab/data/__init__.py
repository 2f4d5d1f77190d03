"""Inputs: portfolio files, lots files, prices, bundled sample data, point-in-time snapshots."""
