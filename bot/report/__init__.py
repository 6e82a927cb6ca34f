"""Quarterly updates: periods, drafts, submission and review."""
