"""What an mmengine training checkpoint may hold beyond torch's own
weights-only globals: the allow-list of the checkpoint loader."""
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, List, Tuple, Union

from mmengine.logging import HistoryBuffer

from .checkpoint_errors import Forbidden
from .numpy_unpickling import numpy_globals

__all__ = ['checkpoint_safe_globals', 'allowed_globals']

SafeGlobal = Union[Callable, Tuple[Any, str]]


def _history_buffer_getattr(obj: object, name: str) -> Callable:
    """``getattr`` as a pickle may call it: only for HistoryBuffer methods.

    A :class:`~mmengine.logging.HistoryBuffer` pickles its statistics
    methods (``HistoryBuffer.mean`` ...), which protocol 2 writes as
    ``getattr(HistoryBuffer, 'mean')``; any other ``getattr`` is refused
    (its result is data: the unpickler calls only allowed globals).
    """
    # public methods of the class itself (the statistics are registered
    # only once a HistoryBuffer has been made in this process)
    if obj is HistoryBuffer and type(name) is str and \
            not name.startswith('_') and name in vars(HistoryBuffer):
        return getattr(obj, name)
    raise Forbidden(f'getattr({obj!r}, {name!r}) is not on the allow-list '
                    '(only public HistoryBuffer methods are)')


def _latin1_bytes(text: Any, encoding: Any = 'latin1') -> bytes:
    """``_codecs.encode(text, 'latin1')``: how pickle protocol 2 writes
    ``bytes``; no other codec."""
    if type(text) is not str or encoding not in ('latin1', 'latin-1'):
        raise Forbidden(f'_codecs.encode(..., {encoding!r}): only latin1 '
                        'strings are allowed')
    return text.encode('latin1')


def checkpoint_safe_globals() -> List[SafeGlobal]:
    """The globals, beyond torch's own, of an mmengine training checkpoint.

    Found by saving the Runner's checkpoints (epoch and iteration loops, AMP
    loss-scaler state, :class:`~mixedae_mm.engine.hooks.RNGStateHook`
    state): mmengine's ``HistoryBuffer``, ``getattr`` of its public methods,
    and numpy arrays, scalars and dtypes -- the numpy names mapped to the
    checking stand-ins of :mod:`~mixedae_mm.utils.numpy_unpickling`, never
    to numpy's own objects.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`: objects,
        or ``(object, 'module.name')`` where the pickle's name is not the
        object's own.
    """
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')
            ] + numpy_globals()


def allowed_globals() -> Dict[str, Any]:
    """Every global the loader admits, by the name a pickle gives it: torch's
    default weights-only globals (tensors, storages, torch dtypes,
    ``OrderedDict`` ...) and :func:`checkpoint_safe_globals`.

    Used by the restricted unpickler on torch < 2.6; torch's list is read
    from ``torch._weights_only_unpickler`` (torch >= 1.13).  What every
    mmengine checkpoint needs besides tensors is added whatever that torch
    lists: ``OrderedDict``, ``Counter`` (``MultiStepLR``'s milestones) and
    ``_codecs.encode`` (the bytes of numpy arrays), the last for latin1
    only.
    """
    from torch._weights_only_unpickler import _get_allowed_globals
    allowed = dict(_get_allowed_globals())
    allowed.update({
        'collections.OrderedDict': OrderedDict,
        'collections.Counter': Counter,
        '_codecs.encode': _latin1_bytes
    })
    for entry in checkpoint_safe_globals():
        if isinstance(entry, tuple):
            obj, name = entry
        else:
            obj, name = entry, f'{entry.__module__}.{entry.__qualname__}'
        allowed[name] = obj
    return allowed
