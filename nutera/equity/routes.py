"""Equity pages (filled in below)."""
