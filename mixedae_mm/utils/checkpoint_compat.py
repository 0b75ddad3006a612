"""Load mmengine checkpoints without running or trusting anything in them.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; its training
checkpoints hold a few objects beyond torch's weights-only list (the message
hub's :class:`~mmengine.logging.HistoryBuffer` and the numpy arrays, scalars
and dtypes inside it), and ``Runner.resume`` executes
``checkpoint['meta']['config']`` as Python.  Importing :mod:`mixedae_mm`
calls :func:`register_checkpoint_loader`, which

- replaces mmengine's loader for *local paths* (the ``''`` scheme of
  :class:`mmengine.runner.CheckpointLoader`, a public registration API) by
  :func:`load_local_checkpoint`: ``weights_only=True`` with exactly the
  allow-list of :mod:`~mixedae_mm.utils.checkpoint_allow_list` on
  torch >= 2.6, and the :mod:`~mixedae_mm.utils.restricted_unpickler`, the
  same allow-list, on older torch; numpy objects are rebuilt from checked
  typecodes and bytes (:mod:`~mixedae_mm.utils.numpy_unpickling`);
- drops an executable ``meta['config']`` from what *every* registered
  scheme loads, with a warning (mmengine writes the config to
  ``meta['cfg']``, which resume never executes).

A file the allow-list refuses raises :class:`UnsafeCheckpointError` naming
what it holds; only with ``MIXEDAE_TRUST_CHECKPOINTS=1`` (off by default) is
such a file loaded with ``weights_only=False``.  A file that is no
checkpoint raises :class:`InvalidCheckpointError` ("not a valid checkpoint:
<path>"), which no switch changes.
"""
import functools
import logging
import os
import os.path as osp
import pickle
import pickletools
import re
import struct
import zipfile
from typing import Any, Callable, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

from . import restricted_unpickler
from .checkpoint_allow_list import checkpoint_safe_globals
from .checkpoint_errors import (Forbidden, InvalidCheckpointError,
                                UnsafeCheckpointError)
from .numpy_unpickling import materialise

__all__ = [
    'TRUST_ENV', 'checkpoint_safe_globals', 'load_local_checkpoint',
    'register_checkpoint_loader', 'drop_executable_config',
    'InvalidCheckpointError', 'UnsafeCheckpointError'
]

#: The one switch that lets a refused (trusted) file load unrestricted.
TRUST_ENV = 'MIXEDAE_TRUST_CHECKPOINTS'

# what reading a damaged file raises besides pickle's own errors
_DAMAGED = (EOFError, struct.error, UnicodeDecodeError, IndexError, KeyError,
            ValueError, TypeError, AttributeError, RecursionError,
            zipfile.BadZipFile)
_OPCODES = {op.code: op for op in pickletools.opcodes}


def _trusted() -> bool:
    return os.environ.get(TRUST_ENV, '').lower() in ('1', 'true', 'yes')


def _has_safe_globals_api() -> bool:
    """torch >= 2.6: weights-only loading with ``(object, name)`` entries."""
    return hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint')


# ---------------------------------------------------------------- format
def _check_format(filename: str) -> None:
    """Refuse a file that is neither of ``torch.save``'s two formats.

    Raises:
        InvalidCheckpointError: Empty; a zip without ``data.pkl``; a damaged
            zip; neither a zip nor a legacy torch file (whose first pickle
            is torch's magic number).
    """
    with open(filename, 'rb') as f:
        head = f.read(64)
    if not head:
        raise InvalidCheckpointError(
            f'not a valid checkpoint: {filename} (the file is empty)')
    if head.startswith(b'PK\x03\x04'):
        try:
            with zipfile.ZipFile(filename) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as error:
            raise InvalidCheckpointError(
                f'not a valid checkpoint: {filename} (a damaged zip '
                f'archive: {error})') from error
        if not any(name.split('/')[-1] == 'data.pkl' and name.count('/') == 1
                   for name in names):
            raise InvalidCheckpointError(
                f'not a valid checkpoint: {filename} (a zip archive without '
                'the data.pkl of torch.save)')
        return
    magic = torch.serialization.MAGIC_NUMBER
    if not any(head.startswith(pickle.dumps(magic, protocol=p))
               for p in range(pickle.HIGHEST_PROTOCOL + 1)):
        raise InvalidCheckpointError(
            f'not a valid checkpoint: {filename} (neither a zip archive '
            'written by torch.save nor a legacy torch file)')


def _opcode_reason(message: str) -> Optional[str]:
    """'pickle opcode FRAME (protocol 4) ...' for torch's 'Unsupported
    operand N', else None."""
    match = re.search(r'Unsupported operand (\d+)', message)
    if match is None:
        return None
    op = _OPCODES.get(chr(int(match.group(1))))
    name = f'{op.name} (pickle protocol {op.proto})' if op else \
        f'byte {match.group(1)}'
    return (f'its pickle uses opcode {name}, which the weights-only '
            'unpickler does not read; torch.save and mmengine write pickle '
            'protocol 2')


def _classify_unpickling_error(error: pickle.UnpicklingError) -> Exception:
    """torch's weights-only errors: a refusal (:class:`Forbidden`) for what
    the allow-list rules out, :class:`InvalidCheckpointError` otherwise."""
    message = str(error)
    reason = _opcode_reason(message)
    if reason is not None:
        return InvalidCheckpointError(reason)
    match = re.search(r'GLOBAL (\S+)', message)
    if match is not None:
        return Forbidden(f'the global {match.group(1)}', match.group(1))
    policy = re.search(
        r'(Can only|Trying to call reduce|Only persistent_load|'
        r'persistent_load id)[^\n]*', message)
    if policy is not None:
        return Forbidden(policy.group(0).rstrip('. '))
    return InvalidCheckpointError(' '.join(message.split())[:300])


# ------------------------------------------------------------------ load
def _load_with_torch(filename: str, map_location) -> Any:
    """torch >= 2.6: ``weights_only=True`` admitting exactly the allow-list:
    whatever else is registered with torch is set aside meanwhile (a numpy
    global registered by someone else must not replace a stand-in)."""
    serialization = torch.serialization
    registered = serialization.get_safe_globals()
    serialization.clear_safe_globals()
    try:
        serialization.add_safe_globals(checkpoint_safe_globals())
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(registered)


def _load_restricted(filename: str, map_location) -> Any:
    """torch < 2.6: the restricted unpickler as torch's pickle module."""
    if os.environ.get('TORCH_FORCE_WEIGHTS_ONLY_LOAD', '').lower() in (
            '1', 'y', 'yes', 'true'):
        raise RuntimeError(
            f'TORCH_FORCE_WEIGHTS_ONLY_LOAD is set, so torch '
            f'{torch.__version__} refuses the restricted unpickler that '
            f'loads {filename} safely on torch < 2.6, and its own '
            'weights-only loader cannot read mmengine checkpoints. Unset it '
            '(the restricted unpickler gives the same guarantee).')
    return torch.load(filename, map_location=map_location,
                      weights_only=False, pickle_module=restricted_unpickler)


def _safe_load(filename: str, map_location) -> Any:
    """Unpickle with the allow-list and rebuild the numpy objects.

    Raises:
        Forbidden: What the allow-list refuses.
        InvalidCheckpointError: The file cannot be read as a checkpoint.
    """
    load = _load_with_torch if _has_safe_globals_api() else _load_restricted
    try:
        return materialise(load(filename, map_location))
    except Forbidden:
        raise
    except pickle.UnpicklingError as error:
        cause, classified = error, _classify_unpickling_error(error)
    except _DAMAGED as error:
        cause, classified = error, InvalidCheckpointError(
            f'{type(error).__name__}: {error}'[:300])
    except RuntimeError as error:
        if 'PytorchStreamReader' not in str(error):
            raise  # e.g. a map_location this machine lacks
        cause, classified = error, InvalidCheckpointError(
            str(error).split('\n')[0])
    if isinstance(classified, InvalidCheckpointError):
        classified = InvalidCheckpointError(
            f'not a valid checkpoint: {filename} ({classified})')
    raise classified from cause


def _refusal(filename: str, error: Forbidden) -> UnsafeCheckpointError:
    """The error for a file that needs more than the allow-list."""
    what = (f'the global {error.global_name}, which is not on the '
            'checkpoint allow-list' if error.global_name else error.reason)
    return UnsafeCheckpointError(
        f'Refused to load {filename}: it holds {what}. mmengine checkpoints '
        'never need it, and unpickling it could run code or corrupt memory. '
        'If you trust this file (you made it, or its source is trusted), '
        f'set the environment variable {TRUST_ENV}=1 to load it with '
        'weights_only=False.')


def drop_executable_config(checkpoint: Any, filename: str) -> Any:
    """Remove ``checkpoint['meta']['config']``, with a warning.

    mmengine's ``Runner.resume`` passes it to ``Config.fromstring(...,
    '.py')``, which executes it, to read ``gpu_ids``; mmengine itself writes
    the config to ``meta['cfg']``, which resume never executes.  Only that
    GPU-count check is lost (it could only fire for configs with
    ``gpu_ids``, which mmengine configs do not have).

    Args:
        checkpoint: A loaded checkpoint (any type; only dicts are changed).
        filename (str): Its path, for the warning.

    Returns:
        The checkpoint, without ``meta['config']``.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict) and 'config' in meta:
        config = meta.pop('config')
        size = len(config) if isinstance(config, str) else type(config)
        print_log(
            f"Dropped meta['config'] of {filename} ({size} characters): "
            "mmengine's Runner.resume would execute it as Python, and a "
            "checkpoint is data. mmengine keeps the config in meta['cfg'], "
            'which is not executed on resume.',
            logger='current', level=logging.WARNING)
    return checkpoint


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, torch.device,
                                                       Callable]] = None
                          ) -> Any:
    """Load a local checkpoint admitting only the allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device | callable, optional): As in
            ``torch.load``.

    Returns:
        The checkpoint (``meta['config']`` dropped, see
        :func:`drop_executable_config`).

    Raises:
        FileNotFoundError: No such file.
        InvalidCheckpointError: Not a checkpoint ("not a valid checkpoint:
            <path> (<why>)").
        UnsafeCheckpointError: It holds what the allow-list refuses (named
            in the message) and ``MIXEDAE_TRUST_CHECKPOINTS`` is not set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    _check_format(filename)
    try:
        checkpoint = _safe_load(filename, map_location)
    except Forbidden as error:
        if not _trusted():
            raise _refusal(filename, error) from None
        print_log(
            f'{TRUST_ENV} is set: loading {filename}, which holds '
            f'{error.global_name or error.reason} (outside the checkpoint '
            'allow-list), with weights_only=False.',
            logger='current', level=logging.WARNING)
        checkpoint = torch.load(
            filename, map_location=map_location, weights_only=False)
    return drop_executable_config(checkpoint, filename)


def _dropping_config(loader: Callable) -> Callable:
    """``loader`` followed by :func:`drop_executable_config`."""

    @functools.wraps(loader)
    def load(filename, map_location=None, *args, **kwargs):
        return drop_executable_config(
            loader(filename, map_location, *args, **kwargs), filename)

    load.drops_executable_config = True
    return load


def register_checkpoint_loader() -> None:
    """Load local paths with :func:`load_local_checkpoint`, and drop
    ``meta['config']`` from what every other registered scheme (``https://``,
    ``open-mmlab://`` ...) loads."""
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if prefix and not getattr(loader, 'drops_executable_config', False):
            CheckpointLoader.register_scheme(
                prefixes=prefix, loader=_dropping_config(loader), force=True)
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
