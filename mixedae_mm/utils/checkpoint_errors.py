"""The two ways a checkpoint can fail to load safely, and the internal signal
that carries a refusal out of an unpickler."""
import pickle
from typing import Optional

__all__ = ['InvalidCheckpointError', 'UnsafeCheckpointError', 'Forbidden']


class InvalidCheckpointError(pickle.UnpicklingError):
    """The file is no checkpoint: empty, damaged, a plain pickle, a zip that
    ``torch.save`` did not write, or a pickle the safe loader cannot read.
    No switch makes it load."""


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The file is a readable checkpoint, but holds something outside the
    allow-list (named in the message): loading it could run code or corrupt
    memory. ``MIXEDAE_TRUST_CHECKPOINTS=1`` loads it for a trusted file."""


class Forbidden(Exception):
    """Raised inside an unpickler for what the allow-list refuses.

    Deliberately not an ``UnpicklingError``: ``torch.load`` re-raises those
    as a new ``UnpicklingError`` with its own text, so this one passes
    through unchanged and the loader turns it into
    :class:`UnsafeCheckpointError`.

    Args:
        reason (str): What was refused and why.
        global_name (str, optional): The global (``module.name``) refused.
    """

    def __init__(self, reason: str, global_name: Optional[str] = None):
        super().__init__(reason)
        self.reason = reason
        self.global_name = global_name
