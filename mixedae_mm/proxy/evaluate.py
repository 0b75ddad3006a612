"""Evaluate one frozen proxy encoder in a process of its own.

``python -m mixedae_mm.proxy.evaluate --method M --seed S --out FILE
[--config CFG --checkpoint CKPT] [--data-root D] [--train-images N]
[--test-images N]`` writes ``{"rows": [...]}`` (kNN, low-shot kNN and
linear probe of every feature, :func:`evaluate_row`) to ``FILE``.

``tools/proxy.py`` runs every row's evaluation this way: the large
temporary tensors of the kNN and the probes live and die with the child,
whose peak memory is measured on its own, and the parent stays small.
"""
import argparse
import json
import os
import sys
from typing import List, Optional

__all__ = ['main']


def main(argv: Optional[List[str]] = None) -> dict:
    import torch
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    import mixedae_mm  # noqa: F401
    from .methods import FLOORS, METHODS
    from .rows import ProxyData, build_model, evaluate_row

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--method', required=True,
                        choices=list(METHODS) + list(FLOORS))
    parser.add_argument('--seed', type=int, required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--config', help='the row\'s (dumped) config')
    parser.add_argument('--checkpoint', help='its weights (all of the model)')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--train-images', type=int)
    parser.add_argument('--test-images', type=int)
    args = parser.parse_args(argv)
    method = {**METHODS, **FLOORS}[args.method]
    if (args.config is None) != (method.config == ''):
        parser.error(f'{args.method} needs --config (and --checkpoint) '
                     'unless it is the raw-pixel floor.')
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))
    MMLogger.get_instance('mixedae_proxy', log_level='WARNING')
    data = ProxyData(METHODS['mae'].config, args.data_root,
                     args.train_images, args.test_images)
    model = None
    if args.config is not None:
        model = build_model(
            Config.fromfile(args.config), args.checkpoint, args.seed)
    record = dict(rows=evaluate_row(method, data, model))
    with open(args.out + '.part', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(args.out + '.part', args.out)
    return record


if __name__ == '__main__':
    main(sys.argv[1:])
