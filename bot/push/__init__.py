"""Pushes: which are due (the planner), sending them, and their texts."""
