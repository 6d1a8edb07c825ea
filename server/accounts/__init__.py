"""Staff accounts and API tokens: argon2id passwords, roles, the login limit and their tables."""
