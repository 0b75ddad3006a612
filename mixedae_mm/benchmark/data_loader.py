"""Throughput of the real training data pipeline on the demo images."""
import os.path as osp
import time
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from ..datasets import export_demo_images
from .model_pair import TINY_CONFIG

__all__ = ['loader_throughput']


def loader_throughput(data_root: str,
                      batch: int,
                      img_size: int,
                      batches: int,
                      workers: Optional[int] = None) -> dict:
    """Images/s of the demo config's training data loader.

    The real pipeline (PNG decoding, ``RandomResizedCrop`` to ``img_size``,
    flip, packing, collation) of the demo config on the photographs in
    ``data_root/train`` (exported there first if missing), with its workers
    unless ``workers`` is given.  The first batch (worker start-up) is not
    timed; the workers stop before it returns.

    Args:
        data_root (str): Folder holding ``train/<class>/*.png``.
        batch (int): Batch size.
        img_size (int): Crop size.
        batches (int): Timed batches.
        workers (int, optional): Loader workers.

    Returns:
        dict: ``images_per_s``, ``batches``, ``batch_size``,
        ``num_workers`` and ``img_size``.
    """
    train = osp.join(data_root, 'train')
    if not osp.isdir(train):
        export_demo_images(train)
    cfg = Config.fromfile(TINY_CONFIG).train_dataloader
    cfg.batch_size = batch
    cfg.dataset.dataset.data_root = data_root
    if workers is not None:
        cfg.num_workers = workers
    cfg.persistent_workers = False  # so that the workers end with the loop
    for transform in cfg.dataset.dataset.pipeline:
        if transform.type == 'RandomResizedCrop':
            transform.scale = img_size
    loader = Runner.build_dataloader(cfg, seed=0)
    iterator = iter(loader)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        try:
            next(iterator)
        except StopIteration:
            iterator = iter(loader)
            next(iterator)
    elapsed = time.perf_counter() - start
    del iterator  # shuts the workers down
    return dict(
        images_per_s=batches * batch / elapsed,
        batches=batches,
        batch_size=batch,
        num_workers=cfg.num_workers,
        img_size=img_size)
