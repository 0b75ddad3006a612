"""Refuse a run whose batch layout does not fit an iteration schedule."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

__all__ = ['CheckBatchLayoutHook']


@HOOKS.register_module()
class CheckBatchLayoutHook(Hook):
    """Stop a run whose processes, batch or gradient accumulation differ
    from those its iteration-counted schedule was written for.

    A schedule that counts iterations (ADE20K's 160k, COCO's 184,375)
    fixes the epochs only for one number of images per iteration, and an
    lr fits one number of images per optimizer step.  Started on fewer
    GPUs, such a config trains silently with a smaller batch for fewer
    epochs (16 GPUs x 4 images on 8 GPUs: batch 32 for half the epochs).
    Before the run starts this hook compares

    - images per iteration: ``world_size * train_dataloader.batch_size``
      with ``images_per_iter``, and
    - gradient accumulation: ``optim_wrapper.accumulative_counts`` (1 when
      unset) with ``accumulative_counts``,

    and raises an error saying what the run would train instead, and
    ``hint`` (e.g. which config fits this number of GPUs).  Checked before
    the first training iteration only: testing and validation runs
    (``tools/test.py``) use any number of GPUs.  Registered in mmengine's
    root ``HOOKS``, so MMSeg and MMDet configs find it.

    Args:
        images_per_iter (int): Images of one iteration over all processes.
        accumulative_counts (int): Iterations accumulated into one optimizer
            step. Defaults to 1.
        hint (str): Appended to the error, e.g. the config to use instead.
            Defaults to ''.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 images_per_iter: int,
                 accumulative_counts: int = 1,
                 hint: str = '') -> None:
        for name, value in (('images_per_iter', images_per_iter),
                            ('accumulative_counts', accumulative_counts)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{type(self).__name__}: {name} must be a positive '
                    f'integer, got {value!r}.')
        self.images_per_iter = images_per_iter
        self.accumulative_counts = accumulative_counts
        self.hint = hint

    def before_train(self, runner) -> None:
        """Compare the training run's layout with the expected one."""
        batch_size = runner.cfg.train_dataloader.batch_size
        accumulative_counts = runner.cfg.optim_wrapper.get(
            'accumulative_counts', 1)
        self.check(runner.world_size, batch_size, accumulative_counts)

    def check(self, world_size: int, batch_size: Optional[int],
              accumulative_counts: int) -> None:
        """Raise unless ``world_size * batch_size`` and the accumulation are
        the expected ones.

        Args:
            world_size (int): Number of processes.
            batch_size (int, optional): Images per process and iteration.
            accumulative_counts (int): Iterations per optimizer step.

        Raises:
            RuntimeError: Naming the expected and the actual layout.
        """
        if batch_size is None:
            raise RuntimeError(
                f'{type(self).__name__} needs train_dataloader.batch_size '
                '(images per process); this config has none (a batch_sampler '
                'with its own size?).')
        per_iter = world_size * batch_size
        if (per_iter == self.images_per_iter
                and accumulative_counts == self.accumulative_counts):
            return
        expected_step = self.images_per_iter * self.accumulative_counts
        actual_step = per_iter * accumulative_counts
        message = (
            'This config counts its schedule in iterations and is written '
            f'for {self.images_per_iter} images per iteration with '
            f'{self.accumulative_counts} iteration(s) per optimizer step '
            f'({expected_step} images per step).  This run has {world_size} '
            f'process(es) x {batch_size} images = {per_iter} images per '
            f'iteration and {accumulative_counts} iteration(s) per step '
            f'({actual_step} images per step), so it would see '
            f'{per_iter / self.images_per_iter:.3g} x the images of the '
            'schedule, with an lr meant for '
            f'{expected_step} images per step.')
        if self.hint:
            message += '  ' + self.hint
        raise RuntimeError(message)
