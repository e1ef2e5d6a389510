"""Tingkat Pemerataan Bantuan: fairness indicators, their trend, public view and report.

The blueprint lives in routes.py so the refresh commit can import the snapshot service
without loading the web layer.
"""
