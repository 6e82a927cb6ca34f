"""The plan: reading tables into targets, assignments and reports."""
