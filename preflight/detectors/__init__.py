"""Detectors: one small module each; the module docstring is its user documentation."""
