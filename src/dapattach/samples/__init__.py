"""Sample programs the demo attaches to."""
