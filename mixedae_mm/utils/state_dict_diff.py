"""Compare a model's state dict with a checkpoint's, key by key."""
from typing import Any, List, Mapping, NamedTuple, Sequence

__all__ = ['StateDictDiff', 'diff_state_dicts', 'list_keys']


class StateDictDiff(NamedTuple):
    """Keys of ``expected`` vs ``given``, each list in mapping order.

    Attributes:
        missing (list[str]): In ``expected``, not in ``given``.
        unexpected (list[str]): In ``given``, not in ``expected``.
        shared (list[str]): In both.
        mismatched (list[str]): Shared keys whose shapes differ.
    """
    missing: List[str]
    unexpected: List[str]
    shared: List[str]
    mismatched: List[str]


def diff_state_dicts(expected: Mapping[str, Any],
                     given: Mapping[str, Any]) -> StateDictDiff:
    """Compare the keys and tensor shapes of two state dicts."""
    shared = [k for k in expected if k in given]
    return StateDictDiff(
        missing=[k for k in expected if k not in given],
        unexpected=[k for k in given if k not in expected],
        shared=shared,
        mismatched=[
            k for k in shared if hasattr(given[k], 'shape')
            and tuple(given[k].shape) != tuple(expected[k].shape)
        ])


def list_keys(keys: Sequence[str], limit: int) -> str:
    """``'a, b, c ... and N more'`` for an error message."""
    shown = ', '.join(keys[:limit])
    more = len(keys) - limit
    return shown + (f' ... and {more} more' if more > 0 else '')
