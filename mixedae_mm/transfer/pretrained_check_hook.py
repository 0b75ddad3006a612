"""Fail a downstream run whose backbone did not load its pre-training."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ..models import MixedAEViT
from .backbone_weights import load_backbone_state_dict
from .pretrained_check import check_pretrained_weights

__all__ = ['CheckPretrainedWeightsHook']


@HOOKS.register_module()
class CheckPretrainedWeightsHook(Hook):
    """Check, before training, that the backbone holds its pre-trained
    weights, and stop the run naming the keys if not.

    mmengine's ``init_cfg=dict(type='Pretrained', ...)`` loads with
    ``strict=False``: a checkpoint of another architecture, a wrong prefix
    or a backbone that ignores its ``init_cfg`` only log a warning, and the
    model trains from scratch.  This hook reads the checkpoint of the
    module's ``Pretrained`` init_cfg again (same ``prefix``) and runs
    :func:`check_pretrained_weights` on it: every weight of the module must
    be found with its shape and its value, every weight of the checkpoint
    must be used, but for the documented exceptions:

    - ``allowed_unexpected``: checkpoint keys the downstream model drops.
      Always MixedAE's pre-training-only keys
      (:attr:`MixedAEViT.PRETRAIN_ONLY_KEYS`: ``segment_embed``), plus
      e.g. ``'ln1.*'`` for a backbone with ``final_norm=False``.  The
      decoder (``neck.*``) is outside the ``backbone.`` prefix anyway.
    - ``allowed_missing``: new backbone weights, e.g. ``'ln2.*'``, the
      norm of ``out_type='avg_featmap'``.

    ``pos_embed`` may differ in its token count (the ViT resizes it to its
    image size while loading).  Works in MMPretrain, MMSegmentation and
    MMDetection alike (registered in mmengine's root ``HOOKS``).  A resumed
    run, or one started from ``load_from``, holds fine-tuned weights and is
    not checked.

    Args:
        module (str): Dotted path of the checked submodule of the model.
            Defaults to ``'backbone'``.
        allowed_missing (Sequence[str]): ``fnmatch`` patterns of module keys
            the checkpoint may lack. Defaults to ().
        allowed_unexpected (Sequence[str]): Patterns of checkpoint keys the
            module may lack, besides the pre-training-only ones.
            Defaults to ().
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 module: str = 'backbone',
                 allowed_missing: Sequence[str] = (),
                 allowed_unexpected: Sequence[str] = ()) -> None:
        self.module = module
        self.allowed_missing = tuple(allowed_missing)
        self.allowed_unexpected = (
            MixedAEViT.PRETRAIN_ONLY_KEYS + tuple(allowed_unexpected))

    def before_train(self, runner) -> None:
        """Check the weights after ``init_weights``, before iteration 1."""
        if runner.iter > 0 or runner.cfg.get('load_from'):
            runner.logger.info(
                f'{type(self).__name__}: the weights come from a resumed or '
                'loaded checkpoint; the pre-trained weights are not checked.')
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        module = model.get_submodule(self.module)
        init_cfg = self._pretrained_init_cfg(module)
        checkpoint = init_cfg['checkpoint']
        report = check_pretrained_weights(
            module,
            load_backbone_state_dict(checkpoint, init_cfg.get('prefix')),
            allowed_missing=self.allowed_missing,
            allowed_unexpected=self.allowed_unexpected,
            source=checkpoint)
        runner.logger.info(
            f'{type(self).__name__}: model.{self.module} holds the '
            f'pre-trained weights of {checkpoint}: {len(report.loaded)} '
            f'tensors equal, resized: {report.resized}, new: '
            f'{report.missing}, unused: {report.unexpected}.')

    def _pretrained_init_cfg(self, module) -> dict:
        init_cfgs = getattr(module, 'init_cfg', None) or []
        if isinstance(init_cfgs, dict):
            init_cfgs = [init_cfgs]
        for init_cfg in init_cfgs:
            if init_cfg.get('type') == 'Pretrained':
                return init_cfg
        raise ValueError(
            f'model.{self.module} has no init_cfg=dict(type=\'Pretrained\', '
            f'checkpoint=...) (it has {getattr(module, "init_cfg", None)}), '
            'so it would train from scratch; set it, or remove '
            f'{type(self).__name__} from custom_hooks to train from scratch '
            'on purpose.')
