"""Extension requests (延期申请): a later due date asked for by the lead unit, and decided."""
