"""Instructions (批示): a leader writes on a target, the units are told and answer."""
