"""The checksum that names and checks our published files."""
import hashlib

__all__ = ['file_sha256']


def file_sha256(path: str) -> str:
    """The sha256 of a file's bytes, in hex (read in 1 MiB chunks).

    Args:
        path (str): The file.

    Returns:
        str: 64 hex digits.
    """
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()
