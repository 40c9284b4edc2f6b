"""Stage 3, warehouse: PostgreSQL and everything written to it or beside it (DDL, register, loads, originals)."""
