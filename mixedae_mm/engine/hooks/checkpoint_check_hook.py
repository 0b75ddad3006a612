"""Refuse a checkpoint that does not fit the model, before loading it."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...utils import diff_state_dicts, list_keys

__all__ = ['CheckpointCheckHook']


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
        diff = diff_state_dicts(expected, loaded)
        missing, unexpected = sorted(diff.missing), sorted(diff.unexpected)
        mismatched = sorted(
            f'{k} {tuple(loaded[k].shape)} vs model {tuple(expected[k].shape)}'
            for k in diff.mismatched)
        if missing or unexpected or mismatched:
            problems = []
            if missing:
                problems.append(f'{len(missing)} model keys missing from the '
                                f'checkpoint: {list_keys(missing, 8)}')
            if unexpected:
                problems.append(f'{len(unexpected)} checkpoint keys the model '
                                f'does not have: {list_keys(unexpected, 8)}')
            if mismatched:
                problems.append(f'{len(mismatched)} shape mismatches: '
                                f'{list_keys(mismatched, 8)}')
            raise ValueError(
                'The checkpoint does not match the model (is it from another '
                'config or architecture?): ' + '; '.join(problems) + '. Use '
                'the checkpoint of this config, or to start from other '
                "weights use the model's init_cfg instead of --resume / "
                'load_from.')
