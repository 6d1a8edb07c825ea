"""The one exception the wire contract raises."""


class ProtocolError(ValueError):
    """Raise when bytes, a topic or a value break the hailong wire contract."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class ConfigFileError(ValueError):
    """Raise when a program's TOML configuration is missing a key or has a wrong one."""

    def __init__(self, path: str, key: str, problem: str):
        super().__init__(f"{path}: {key}: {problem}")
        self.path = path
        self.key = key
        self.problem = problem
