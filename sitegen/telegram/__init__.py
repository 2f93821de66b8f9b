"""Telegram's public web preview: fetching pages and media, and parsing them into the model."""
