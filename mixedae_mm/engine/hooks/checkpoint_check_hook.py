"""Refuse a checkpoint that does not fit the model, before loading it."""
from typing import List

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

__all__ = ['CheckpointCheckHook']


def _describe(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return shown + more


@HOOKS.register_module()
class CheckpointCheckHook(Hook):
    """Fail ``--resume`` / ``load_from`` with a checkpoint of another model.

    mmengine's Runner loads ``load_from`` and ``--resume`` checkpoints with
    ``strict=False``: a checkpoint of another architecture is loaded where
    names and shapes happen to match and the run silently trains a
    half-initialised model.  This hook compares the checkpoint's
    ``state_dict`` with the model before anything is loaded and raises an
    error naming the missing, unexpected and mis-shaped keys.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        expected = model.state_dict()
        loaded = checkpoint.get('state_dict', checkpoint)
        loaded = {
            (k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in loaded.items()
        }
        missing = sorted(set(expected) - set(loaded))
        unexpected = sorted(set(loaded) - set(expected))
        mismatched = sorted(
            f'{k} {tuple(loaded[k].shape)} vs model {tuple(v.shape)}'
            for k, v in expected.items()
            if k in loaded and hasattr(loaded[k], 'shape')
            and loaded[k].shape != v.shape)
        if missing or unexpected or mismatched:
            problems = []
            if missing:
                problems.append(f'{len(missing)} model keys missing from the '
                                f'checkpoint: {_describe(missing)}')
            if unexpected:
                problems.append(f'{len(unexpected)} checkpoint keys the model '
                                f'does not have: {_describe(unexpected)}')
            if mismatched:
                problems.append(f'{len(mismatched)} shape mismatches: '
                                f'{_describe(mismatched)}')
            raise ValueError(
                'The checkpoint does not match the model (is it from another '
                'config or architecture?): ' + '; '.join(problems) + '. Use '
                'the checkpoint of this config, or to start from other '
                "weights use the model's init_cfg instead of --resume / "
                'load_from.')
