"""Staff accounts and API tokens: argon2id passwords, roles and the login limit (tables: storage.schema)."""
