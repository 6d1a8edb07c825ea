"""Storage: the one schema, its migrations, the engine (SQLite or PostgreSQL), the press writer.

Every table of the collector is declared in `schema`, created and upgraded only by the Alembic
revisions `migrate` runs when a process starts (`db.open_database`); `engine` connects without
touching a table. Presses enter the database through one writer (`batch`): validated,
deduplicated against the stored copy, re-dated, quarantined when bad.
"""
