"""Load mmengine checkpoints under torch >= 2.6 without running pickled code.

torch 2.6 changed the default of ``torch.load`` to ``weights_only=True``:
only tensors, containers and an allow-list of globals are unpickled, so a
crafted file cannot run code on load.  mmengine 0.10.7 calls ``torch.load``
without the argument, and the training checkpoints its ``Runner`` writes
hold a few more globals than torch allows by default: the message hub's
:class:`~mmengine.logging.HistoryBuffer` and the numpy arrays, scalars and
dtypes inside it.  So on a current torch ``--resume`` and
``init_cfg=dict(type='Pretrained')`` fail with ``UnpicklingError``.

:func:`load_local_checkpoint` replaces mmengine's loader for *local paths*
(the ``''`` scheme of :class:`mmengine.runner.CheckpointLoader`, a public
registration API).  It always loads with ``weights_only=True``, allowing
exactly the globals of :func:`checkpoint_safe_globals` (found by saving the
Runner's checkpoints: epoch and iteration loops, AMP loss-scaler state,
:class:`~mixedae_mm.engine.hooks.RNGStateHook` state).  A file that needs
anything else is refused with an error naming the global.  A user who trusts
such a file opts in with the environment variable ``MIXEDAE_TRUST_CHECKPOINTS
=1`` (off by default): only then is it loaded with ``weights_only=False``,
which runs whatever code the file's pickle holds.
"""
import logging
import os
import os.path as osp
import pickle
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import CheckpointLoader

__all__ = [
    'TRUST_ENV', 'checkpoint_safe_globals', 'load_local_checkpoint',
    'register_checkpoint_loader'
]

#: The one switch that lets a refused (trusted) file load unrestricted.
TRUST_ENV = 'MIXEDAE_TRUST_CHECKPOINTS'

# numpy moved ``numpy.core`` to ``numpy._core`` in 2.0; a pickle names the
# module of the numpy that wrote it, so both spellings are allowed
_NUMPY_CORE_MODULES = ('numpy.core.multiarray', 'numpy._core.multiarray')
# dtypes whose arrays / scalars may appear (no object, void or datetime)
_NUMPY_TYPECODES = ('?' + np.typecodes['AllInteger'] +
                    np.typecodes['AllFloat'] + 'US')

SafeGlobal = Union[Callable, Tuple[Callable, str]]


def _history_buffer_getattr(obj: object, name: str) -> Callable:
    """``getattr`` as a pickle may call it: only for HistoryBuffer methods.

    A :class:`~mmengine.logging.HistoryBuffer` pickles its statistics
    methods (``HistoryBuffer.mean`` ...), which protocol 2 writes as
    ``getattr(HistoryBuffer, 'mean')``; any other ``getattr`` is refused
    (its result is data: the unpickler calls only allowed globals).
    """
    # public methods of the class itself (the statistics are registered
    # only once a HistoryBuffer has been made in this process)
    if obj is HistoryBuffer and not name.startswith('_') and \
            name in vars(HistoryBuffer):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not on the allow-list (only '
        'public HistoryBuffer methods are).')


def checkpoint_safe_globals() -> List[SafeGlobal]:
    """The globals, beyond torch's own, of an mmengine training checkpoint.

    The numpy reconstructors are taken from numpy itself (what
    ``ndarray.__reduce__`` and a scalar's ``__reduce__`` return), so the
    list is right for numpy 1.x and 2.x and for files written by either.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`: objects,
        or ``(object, 'module.name')`` where the pickle may spell the name
        differently from this numpy.
    """
    reconstruct = np.zeros(1).__reduce__()[0]
    scalar = np.float64(0).__reduce__()[0]
    safe: List[SafeGlobal] = [
        HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
        np.ndarray, np.dtype
    ]
    for func in (reconstruct, scalar):
        names = {f'{mod}.{func.__name__}' for mod in _NUMPY_CORE_MODULES}
        names.add(f'{func.__module__}.{func.__name__}')
        safe += [(func, name) for name in sorted(names)]
    # unpickling a dtype builds an instance of its class (``Float64DType``)
    dtype_classes = {type(np.dtype(code)) for code in _NUMPY_TYPECODES}
    safe += sorted(dtype_classes, key=lambda cls: cls.__name__)
    return safe


def _trusted() -> bool:
    return os.environ.get(TRUST_ENV, '').lower() in ('1', 'true', 'yes')


def _refusal(filename: str, error: Exception) -> pickle.UnpicklingError:
    """The error for a file that needs globals outside the allow-list."""
    try:
        offending = sorted(
            torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except (ValueError, RuntimeError):  # not a zip-format torch.save file
        offending = []
    what = (f'the global(s) {", ".join(offending)}'
            if offending else 'objects')
    # torch's own reason sits between these two phrases of its message
    reason = str(error).partition('WeightsUnpickler error:')[2]
    reason = ' '.join(reason.partition('Check the documentation')[0].split())
    return pickle.UnpicklingError(
        f'Refused to load {filename}: it holds {what} that mmengine '
        'checkpoints do not contain, and unpickling them could run '
        'arbitrary code. If you trust this file (you made it, or its source '
        f'is trusted), set the environment variable {TRUST_ENV}=1 to load '
        'it with weights_only=False.' +
        (f' ({reason})' if reason else ''))


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, torch.device]]
                          = None) -> dict:
    """Load a local checkpoint with ``weights_only=True`` and an allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device, optional): As in ``torch.load``.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: No such file.
        pickle.UnpicklingError: The file holds a global outside
            :func:`checkpoint_safe_globals` (named in the message) and
            ``MIXEDAE_TRUST_CHECKPOINTS`` is not set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if not hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'):
        if not _trusted():
            raise RuntimeError(
                f'Loading {filename} safely needs torch >= 2.6 (the '
                f'safe-globals API); this is torch {torch.__version__}. '
                'Upgrade torch, or, only for a file you trust, set '
                f'{TRUST_ENV}=1 to load it with weights_only=False.')
        print_log(
            f'{TRUST_ENV} is set and torch {torch.__version__} has no '
            f'safe-globals API: loading {filename} with weights_only=False.',
            logger='current', level=logging.WARNING)
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    registered = torch.serialization.get_safe_globals()
    extra = [g for g in checkpoint_safe_globals() if g not in registered]
    with torch.serialization.safe_globals(extra):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            if not _trusted():
                raise _refusal(filename, error) from error
    print_log(
        f'{TRUST_ENV} is set: loading {filename}, which holds objects '
        'outside the checkpoint allow-list, with weights_only=False.',
        logger='current', level=logging.WARNING)
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_checkpoint_loader() -> None:
    """Register :func:`load_local_checkpoint` for local paths in mmengine."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
