"""A package that says its version, for the `modules` tests."""

__version__ = "1.2.3"
