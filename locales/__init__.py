"""The zh and en message files (package data only)."""
