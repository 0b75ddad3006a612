"""Make mmengine 0.10.7 load its own checkpoints under torch >= 2.6.

torch 2.6 changed the default of ``torch.load`` to ``weights_only=True``.
mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` without the
argument, and the checkpoints it writes hold more than tensors: the message
hub's ``HistoryBuffer`` objects, numpy scalars and arrays in ``meta``.  So on
a current torch ``--resume`` and ``init_cfg=dict(type='Pretrained')`` fail
with ``UnpicklingError: Weights only load failed``.

The fix is narrow: it replaces only mmengine's loader for *local paths* (the
``''`` scheme of :class:`mmengine.runner.CheckpointLoader`, a public
registration API).  The replacement first loads with ``weights_only=True``,
so a plain weights file (a published backbone) never runs pickled code; only
when that refuses a full training checkpoint does it load it again with
``weights_only=False``, which is what torch < 2.6 and mmengine always did.
As with any pickle, load training checkpoints only from sources you trust.
"""
import os.path as osp
import pickle
from typing import Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

__all__ = ['load_local_checkpoint', 'register_checkpoint_loader']

_warned = False


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, torch.device]]
                          = None) -> dict:
    """Load a local checkpoint, also one written by mmengine's Runner.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device, optional): As in ``torch.load``.

    Returns:
        dict: The loaded checkpoint.
    """
    global _warned
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # mmengine training checkpoints hold HistoryBuffer / numpy objects.
        if not _warned:
            print_log(
                f'{filename} holds non-tensor objects (an mmengine training '
                'checkpoint); loading it with weights_only=False as '
                'mmengine did before torch 2.6.',
                logger='current')
            _warned = True
        return torch.load(
            filename, map_location=map_location, weights_only=False)


def register_checkpoint_loader() -> None:
    """Register :func:`load_local_checkpoint` for local paths in mmengine."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
