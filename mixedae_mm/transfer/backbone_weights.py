"""Read the backbone's weights out of a checkpoint file."""
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmengine.runner import CheckpointLoader

__all__ = ['backbone_state_dict', 'load_backbone_state_dict']


def backbone_state_dict(checkpoint: dict,
                        prefix: Optional[str] = 'backbone.'
                        ) -> 'OrderedDict[str, torch.Tensor]':
    """Select the weights under ``prefix``, as mmengine's ``Pretrained``
    initialiser does.

    Args:
        checkpoint (dict): A loaded checkpoint: an mmengine training
            checkpoint (weights under ``'state_dict'``) or a bare state dict.
        prefix (str, optional): Keep the keys that start with it, without
            it (``'backbone.'`` for a pre-training checkpoint).  None or
            ``''`` keep every key, dropping a DDP ``module.`` prefix (a
            published backbone).  Defaults to ``'backbone.'``.

    Returns:
        OrderedDict[str, torch.Tensor]: The selected weights.

    Raises:
        KeyError: No key starts with ``prefix``; the message lists the
            prefixes the checkpoint has.
    """
    state_dict: Dict[str, torch.Tensor] = checkpoint.get(
        'state_dict', checkpoint)
    if not prefix:
        return OrderedDict(
            (re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    selected = OrderedDict((k[len(prefix):], v)
                           for k, v in state_dict.items()
                           if k.startswith(prefix))
    if not selected:
        found = sorted({k.split('.')[0] + '.' for k in state_dict})
        raise KeyError(
            f'no key of the checkpoint starts with {prefix!r}; its keys '
            f'start with {found}.  A published backbone has bare keys: load '
            'it with prefix=None.')
    return selected


def load_backbone_state_dict(filename: str,
                             prefix: Optional[str] = 'backbone.',
                             map_location: str = 'cpu'
                             ) -> 'OrderedDict[str, torch.Tensor]':
    """Load a checkpoint file with mmengine's loader and select the
    weights under ``prefix`` (see :func:`backbone_state_dict`)."""
    checkpoint = CheckpointLoader.load_checkpoint(
        filename, map_location=map_location)
    return backbone_state_dict(checkpoint, prefix)
