"""The base of every error a user can fix; the CLI prints these on one line, with no traceback."""


class SitegenError(Exception):
    """A problem with the input, the network or the machine, explained for the user."""
