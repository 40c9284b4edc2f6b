"""Stage 1, intake: a landing file becomes canonical records (landing zone, routing, readers, values, contracts)."""
