"""Pushes: which are due (the planner), sending them, and their texts."""

from storage.pushes import Push as Push  # a push as the sender gets it: text, buttons, recipient
