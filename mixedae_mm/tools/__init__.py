"""Code behind the command-line tools in ``tools/`` (importable, testable)."""
