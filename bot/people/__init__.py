"""People: roles, invites, bindings and the roster."""
