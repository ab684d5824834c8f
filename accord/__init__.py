"""Accord: marketing and sales on one system for the revenue funnel."""

__version__ = "0.1.0"
