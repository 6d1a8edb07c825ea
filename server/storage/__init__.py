"""Storage: the one schema, the engine (SQLite in WAL mode or PostgreSQL), migrations, the batch writer.

Every table of the collector is declared here (`db`), and presses enter the database through one
writer (`batch`): validated, deduplicated against the stored copy, re-dated, quarantined when bad.
"""
