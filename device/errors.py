"""The kiosk's exceptions: one base class; adapters translate library errors into these."""


class DeviceError(Exception):
    """Base of every error the kiosk raises on purpose."""


class JournalError(DeviceError):
    """Raise when the journal cannot store or serve presses."""
