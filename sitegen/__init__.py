"""sitegen: turn a public Telegram channel into a permanent, fast, searchable static website."""

__version__ = "0.2.0"
