"""Telegram Desktop's "Export chat history" (machine-readable JSON) as a content source.

``export.py`` finds and reads an export (``result.json``: one chat, or a whole account) and checks
its shape; ``convert.py`` turns its messages into the model (pure, no I/O). The import run itself,
which copies media and merges posts into ``content/``, is ``sitegen/importer.py``.
The format is described in tests/data/tdesktop/SCHEMA.md.
"""
