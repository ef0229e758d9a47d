"""dapattach: attach a Debug Adapter Protocol client to a running Python 3.14+ process by PID."""

__version__ = "0.1.0"
