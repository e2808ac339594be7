"""The one exception a backup step raises: its message is shown to the operator as is."""


class BackupError(Exception):
    """A backup, restore or verification refused; the message names the problem."""
