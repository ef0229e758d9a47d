"""Imported only when a test asks (`importer.py`), to see a `module` event."""

VALUE = 42
