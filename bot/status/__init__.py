"""Status: what progress texts say about how far a target has come."""
