"""Check and re-evaluate published proxy weights.

``python tools/proxy.py --evaluate-only --weights docs/proxy/weights``
(:func:`evaluate_weights`) refuses a missing or altered file (its sha256
against ``weights.json``), rebuilds each encoder from its published file
alone (:func:`build_encoder`: MMPretrain's ``VisionTransformer`` loaded
through ``init_cfg=dict(type='Pretrained', prefix=None)``, and the
pre-training data preprocessor), evaluates it with the proxy's own
evaluation (:func:`~mixedae_mm.proxy.rows.evaluate_row` on
:class:`~mixedae_mm.proxy.rows.ProxyData`) and compares every number with
``weights.json`` (:func:`compare`).  Fine-tuning is not repeated (about an
hour per encoder on a CPU).  The files are written by
:mod:`mixedae_mm.proxy.weights`.
"""
import json
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from ..utils import file_sha256
from .methods import METHODS
from .rows import ProxyData, evaluate_row

__all__ = [
    'WEIGHTS_JSON', 'METRICS', 'TOLERANCE', 'WeightsError',
    'read_json', 'read_published', 'check_files', 'build_encoder', 'compare',
    'evaluate_weights'
]

WEIGHTS_JSON = 'weights.json'
#: the frozen evaluations published and re-computed (fine-tuning is not
#: re-computed)
METRICS = ('knn_top1', 'lowshot_knn_top1', 'linear_top1')
#: accepted difference between a re-evaluated and a published accuracy
#: (absolute, accuracies in [0, 1]; 0.002 = 20 of 10,000 test images);
#: identical numbers are expected with the run's thread count
TOLERANCE = 0.002


class WeightsError(RuntimeError):
    """A proxy run or a published folder that cannot be used as is."""


def read_json(path: str, remedy: str) -> dict:
    """A JSON file; :class:`WeightsError` saying ``remedy`` if absent."""
    if not osp.isfile(path):
        raise WeightsError(f'{path} does not exist: {remedy}')
    with open(path) as f:
        return json.load(f)


def read_published(weights_dir: str) -> dict:
    """The ``weights.json`` of a published folder."""
    return read_json(
        osp.join(weights_dir, WEIGHTS_JSON),
        'give the folder the weights were published to (python '
        'tools/proxy.py --publish-weights DIR).')


def check_files(weights_dir: str, published: dict) -> None:
    """Refuse a missing or altered file: every listed file must have its
    sha256, and the encoders' names must end in its first 8 digits.

    Raises:
        WeightsError: Naming the file, the expected and the actual sha256.
    """
    problems = []
    for entry in published['files']:
        checks = [(entry['file'], entry['sha256'])]
        if entry.get('timm'):
            checks += [(entry['timm']['file'], entry['timm']['sha256']),
                       (entry['timm']['config'],
                        entry['timm']['config_sha256'])]
        for name, expected in checks:
            path = osp.join(weights_dir, name)
            if not osp.isfile(path):
                problems.append(f'{name}: missing')
                continue
            actual = file_sha256(path)
            if actual != expected:
                problems.append(f'{name}: sha256 {actual}, weights.json '
                                f'says {expected}')
            elif name.endswith(('.pth', '.safetensors')) and \
                    osp.splitext(name)[0][-8:] != expected[:8]:
                problems.append(f'{name}: the name does not end in its '
                                f'sha256 prefix {expected[:8]}')
    if problems:
        raise WeightsError(
            f'{weights_dir} does not hold the published files:\n  ' +
            '\n  '.join(problems) +
            '\nA changed file is not the encoder that produced the '
            'published numbers; get the files again (git checkout -- '
            f'{weights_dir}).')


def build_encoder(entry: dict, weights_dir: str) -> torch.nn.Module:
    """The published encoder as the proxy evaluates it, from its file alone.

    MMPretrain's ``ImageClassifier`` without neck and head, holding a plain
    ``VisionTransformer`` (``out_type='raw'``, final norm) that loads the
    file with ``init_cfg=dict(type='Pretrained', prefix=None)``, and the
    pre-training data preprocessor; ``extract_feat`` returns the tokens
    ``(B, 1 + N, D)`` the proxy pools.  Every weight is then checked to
    hold the file's value (mmengine's loader is not strict).
    """
    from ..transfer import check_pretrained_weights
    init_default_scope('mmpretrain')
    path = osp.join(weights_dir, entry['file'])
    backbone = dict(
        entry['encoder'],
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix=None))
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=None,
            head=None,
            # a module: ImageClassifier would add `batch_augments` to a dict
            data_preprocessor=MODELS.build(dict(entry['data_preprocessor']))))
    model.init_weights()
    state_dict = torch.load(path, map_location='cpu',
                            weights_only=True)['state_dict']
    check_pretrained_weights(model.backbone, state_dict, source=path)
    return model.eval()


def compare(published: Dict[str, dict], measured: Dict[str, dict],
            tolerance: float = TOLERANCE) -> tuple:
    """Compare re-evaluated accuracies with the published ones.

    Args:
        published (dict): feature -> metric -> accuracy (``weights.json``).
        measured (dict): The same, re-evaluated.
        tolerance (float): The largest accepted absolute difference.

    Returns:
        tuple[str, float]: ``'equal'`` (every number identical),
        ``'within tolerance'`` or ``'differs'``, and the largest absolute
        difference.
    """
    if set(published) != set(measured):
        return 'differs', float('inf')
    diffs = [
        abs(measured[f][m] - published[f][m]) for f in published
        for m in METRICS if published[f].get(m) is not None
    ]
    worst = max(diffs, default=0.)
    if worst == 0:
        return 'equal', worst
    return ('within tolerance' if worst <= tolerance else 'differs'), worst


def evaluate_weights(weights_dir: str,
                     data_root: str,
                     threads: Optional[int] = None,
                     tolerance: float = TOLERANCE,
                     log=print) -> List[dict]:
    """Re-evaluate every published encoder and compare with
    ``weights.json``.

    Args:
        weights_dir (str): The published folder.
        data_root (str): Folder with the un-gzipped Fashion-MNIST files.
        threads (int, optional): CPU threads; the run's evaluation thread
            count (``weights.json``) by default, for identical sums.
        tolerance (float): See :func:`compare`.
        log (callable): Progress lines.

    Returns:
        list[dict]: Per file: ``file``, ``method``, ``seed``, ``status``,
        ``max_abs_diff``, ``published`` and ``measured`` accuracies.
    """
    published = read_published(weights_dir)
    check_files(weights_dir, published)
    protocol = published['protocol']
    threads = threads or published['evaluation'].get('threads') or 1
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    reports = []
    try:
        data = ProxyData(METHODS['mae'].config, data_root,
                         protocol.get('eval_train_images'),
                         protocol.get('eval_test_images'))
        for entry in published['files']:
            model = build_encoder(entry, weights_dir)
            rows = evaluate_row(METHODS[entry['method']], data, model)
            measured = {r['feature']: {m: r[m] for m in METRICS}
                        for r in rows}
            status, worst = compare(entry['results'], measured, tolerance)
            reports.append(
                dict(
                    file=entry['file'],
                    method=entry['method'],
                    seed=entry['seed'],
                    status=status,
                    max_abs_diff=worst,
                    published=entry['results'],
                    measured=measured))
            log(f'[weights] {entry["file"]}: {status} (largest difference '
                f'{worst:.4f}; {threads} thread(s))')
    finally:
        torch.set_num_threads(before)
    return reports
