"""Builders of contract-shaped records, one module per family of source systems."""
