"""The main job on a laptop: ``python tools/demo.py``.

1. exports scikit-image's bundled colour photographs into an ImageNet-style
   folder ``data/demo/train/<name>/<name>.png`` (once);
2. pre-trains the tiny MixedAE config on them on the CPU for a few dozen
   iterations with mmengine's Runner (logging ``loss_rec``, ``loss_hc``,
   ``homo_acc``), saving checkpoints in the work directory;
3. draws the reconstruction picture of one mixed group.
"""
import argparse
import os.path as osp
from typing import List, Optional

from ..datasets import DEMO_CONFIG, FIGURE_IMAGES, export_demo_images

__all__ = ['main']


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEMO_CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], help='as in train.py')
    args = parser.parse_args(argv)

    from mixedae_mm.tools import train, visualize_reconstruction

    images = export_demo_images(osp.join(args.data_root, 'train'))
    print(f'[demo] {len(images)} photographs in {args.data_root}/train')
    runner = train.main([
        args.config, '--work-dir', args.work_dir, '--cfg-options',
        f'train_dataloader.dataset.dataset.data_root={args.data_root}',
        # the scalars go to TensorBoard too: tensorboard --logdir WORK_DIR
        'visualizer.vis_backends.1.enable=True',
        *args.cfg_options
    ])
    checkpoint = osp.join(args.work_dir, f'iter_{runner.iter}.pth')
    by_name = {osp.basename(osp.dirname(p)): p for p in images}
    figure_images = [by_name.get(n) for n in FIGURE_IMAGES]
    if None in figure_images:
        figure_images = images[:4]
    figure = visualize_reconstruction.main([
        args.config, checkpoint, *figure_images, '--out',
        osp.join(args.work_dir, 'reconstruction.png')
    ])
    outputs = dict(
        work_dir=args.work_dir,
        log=runner.log_dir,
        checkpoint=checkpoint,
        figure=figure)
    print('[demo] done:')
    for key, value in outputs.items():
        print(f'[demo]   {key:10s} {value}')
    return outputs
