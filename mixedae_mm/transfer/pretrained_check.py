"""Check that a module really holds the weights of a checkpoint."""
from fnmatch import fnmatchcase
from typing import List, Mapping, NamedTuple, Sequence

import torch
from torch import nn

from ..utils import diff_state_dicts, list_keys

__all__ = [
    'PretrainedWeightsError', 'PretrainedWeightsReport',
    'check_pretrained_weights'
]

#: Keys listed per problem in an error message before "... and N more".
_MAX_LISTED = 12


class PretrainedWeightsError(RuntimeError):
    """The pre-trained weights were not (all) loaded."""


class PretrainedWeightsReport(NamedTuple):
    """What :func:`check_pretrained_weights` found, when it passes.

    Attributes:
        loaded (list[str]): Keys whose values equal the checkpoint's.
        resized (list[str]): Keys loaded with another shape (resized by the
            module while loading, e.g. ``pos_embed`` at a new image size).
        missing (list[str]): The module's keys the checkpoint lacks, all
            allowed (newly initialised on purpose).
        unexpected (list[str]): The checkpoint's keys the module lacks, all
            allowed (left unused on purpose).
    """
    loaded: List[str]
    resized: List[str]
    missing: List[str]
    unexpected: List[str]


def _matches(key: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(key, pattern) for pattern in patterns)


def _same_but_tokens(a: torch.Size, b: torch.Size) -> bool:
    """Whether ``(1, N, C)`` shapes differ only in the token count."""
    return len(a) == len(b) == 3 and a[0] == b[0] and a[2] == b[2]


def _listing(title: str, keys: Sequence[str]) -> str:
    return f'\n  {title} ({len(keys)}): {list_keys(keys, _MAX_LISTED)}'


def check_pretrained_weights(module: nn.Module,
                             pretrained: Mapping[str, torch.Tensor],
                             allowed_missing: Sequence[str] = (),
                             allowed_unexpected: Sequence[str] = (),
                             resizable: Sequence[str] = ('pos_embed', ),
                             source: str = 'the checkpoint'
                             ) -> PretrainedWeightsReport:
    """Check that ``module`` holds the weights of ``pretrained``.

    Every key of the module must be in the checkpoint with the same shape
    and the same values, and every key of the checkpoint must be in the
    module, but for the keys that match a pattern of ``allowed_missing`` /
    ``allowed_unexpected`` (``fnmatch`` patterns such as ``'ln1.*'``).  A
    shape difference is accepted only for the keys in ``resizable`` and only
    in the token count (``(1, N, C)``: the ViT resizes its position
    embedding to its image size while loading; those values are not
    compared).  Equal values prove that the weights were loaded, not only
    that the names fit.

    Args:
        module (nn.Module): The module after its weights were initialised.
        pretrained (Mapping[str, torch.Tensor]): The checkpoint's weights,
            with the module's key names.
        allowed_missing (Sequence[str]): Module keys the checkpoint may
            lack. Defaults to ().
        allowed_unexpected (Sequence[str]): Checkpoint keys the module may
            lack. Defaults to ().
        resizable (Sequence[str]): Keys whose token count may differ.
            Defaults to ``('pos_embed', )``.
        source (str): How to name the checkpoint in messages.

    Returns:
        PretrainedWeightsReport: What was loaded and what was allowed.

    Raises:
        PretrainedWeightsError: Naming every key that is missing,
            unexpected, of another shape or not loaded.
    """
    own = module.state_dict()
    missing, unexpected, shared, mismatched = diff_state_dicts(
        own, pretrained)
    resized = [
        k for k in mismatched if _matches(k, resizable)
        and _same_but_tokens(own[k].shape, pretrained[k].shape)
    ]
    wrong_shape = [
        f'{k} {tuple(pretrained[k].shape)} -> {tuple(own[k].shape)}'
        for k in mismatched if k not in resized
    ]
    same_shape = [k for k in shared if k not in mismatched]
    not_loaded = [
        k for k in same_shape
        if not torch.equal(own[k].detach().cpu(), pretrained[k].cpu())
    ]
    problems = {
        'missing in the checkpoint':
        [k for k in missing if not _matches(k, allowed_missing)],
        'in the checkpoint but not in the model':
        [k for k in unexpected if not _matches(k, allowed_unexpected)],
        'shape checkpoint -> model': wrong_shape,
        'not loaded (values differ)': not_loaded,
    }
    if any(problems.values()):
        raise PretrainedWeightsError(
            f'{type(module).__name__} does not hold the weights of {source}:'
            + ''.join(
                _listing(title, keys) for title, keys in problems.items()
                if keys) +
            '\nIs it a checkpoint of this architecture (arch, patch size), '
            'and is the prefix right?  Keys a config leaves out on purpose '
            'go in allowed_missing / allowed_unexpected.')
    return PretrainedWeightsReport(
        loaded=same_shape, resized=resized, missing=missing,
        unexpected=unexpected)
