"""Publish the proxy's pre-trained encoders.

``python tools/proxy.py --publish-weights docs/proxy/weights [--work-dir
work_dirs/proxy]`` (:func:`weights_command`) reads a finished proxy run
(its ``results.json`` and the stage files of every row, :mod:`.stages`)
and, for every pre-trained row of its table, writes

- the encoder in our model-zoo format
  (:func:`~mixedae_mm.tools.publish_backbone.publish_backbone`:
  mmpretrain's ``VisionTransformer`` state dict,
  ``<name>-<sha256[:8]>.pth``);
- for the first seed of each method, the timm export beside it
  (``<name>-timm-<sha256[:8]>.safetensors`` and ``.json``, with the
  proxy's grey-value mean and std in its ``pretrained_cfg``);
- ``weights.json``: per encoder its method, seed, epochs, config, the
  commit that pre-trained it, sha256, size, how to rebuild it, and the
  numbers it produced in the table (kNN, low-shot kNN and linear probe per
  feature, fine-tuning top-1 per number of labels);
- the folder's ``README.md`` and the table of the model-zoo page
  (:mod:`.weights_docs`).

``--evaluate-only --weights DIR`` checks and re-evaluates them
(:mod:`.weights_eval`).
"""
import json
import os
import os.path as osp
import shutil
from collections import defaultdict
from typing import List, Optional

from mmengine.config import Config

from ..utils import file_sha256
from .methods import METHODS
from .rows import ROOT
from .stages import read_stage
from .weights_eval import (METRICS, TOLERANCE, WEIGHTS_JSON, WeightsError,
                           evaluate_weights, read_json)

__all__ = ['BUDGET_MB', 'publish_weights', 'weights_command']

#: the most the published files may weigh together (the repository's
#: budget, issue 23)
BUDGET_MB = 50.
_ENCODERS = ('MAEViT', 'MixedAEViT', 'VisionTransformer')


def _file_record(path: str) -> dict:
    return dict(
        file=osp.basename(path), sha256=file_sha256(path),
        bytes=osp.getsize(path))


def _encoder_spec(cfg: Config, row_dir: str) -> dict:
    """How to rebuild the row's encoder as a plain ``VisionTransformer``."""
    backbone = cfg.model.backbone
    if backbone.type not in _ENCODERS:
        raise WeightsError(
            f'{row_dir}: the encoder is a {backbone.type}, not a ViT; only '
            'the ViT rows (--family mae / ablations) are published (a '
            'ResNet-18 of the Siamese rows weighs about 45 MB).')
    arch = backbone.arch
    if not isinstance(arch, dict):
        raise WeightsError(f'{row_dir}: arch {arch!r} is not a dict of '
                           'sizes, as the proxy configs write it.')
    channels = backbone.get('in_channels',
                            backbone.get('patch_cfg', {}).get(
                                'in_channels', 3))
    return dict(
        type='VisionTransformer',
        arch={k: v
              for k, v in arch.items() if k != '_delete_'},
        img_size=backbone.img_size,
        patch_size=backbone.patch_size,
        in_channels=channels,
        out_type='raw',
        final_norm=True)


def _preprocessor(cfg: Config) -> dict:
    """The pre-training normalisation (as :func:`.rows.build_model` puts
    it into the model)."""
    source = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    return dict(
        type='SelfSupDataPreprocessor',
        mean=list(source.mean),
        std=list(source.std),
        to_rgb=bool(source.get('to_rgb', False)))


def _checkpoint(record: dict, row_dir: str) -> str:
    """The pre-training checkpoint; found beside ``pretrain.json`` when the
    recorded path was relative to another working directory."""
    path = record['checkpoint']
    if osp.isfile(path):
        return path
    beside = osp.join(row_dir, osp.basename(path))
    if osp.isfile(beside):
        return beside
    raise WeightsError(
        f'{row_dir}/pretrain.json names {path}, which does not exist (nor '
        f'{beside}); run the proxy again to finish the row.')


def _table_numbers(results: dict) -> tuple:
    """``(method, seed)`` -> feature -> accuracies, and -> labels -> top1."""
    rows, tuned = defaultdict(dict), defaultdict(dict)
    for row in results['rows']:
        rows[row['method'], row['seed']][row['feature']] = {
            k: row.get(k)
            for k in METRICS
        }
    for result in results.get('finetune', []):
        tuned[result['method'], result['seed']][str(
            result['labels'])] = result['top1']
    return rows, tuned


def _fix_timm_config(path: str, preprocessor: dict) -> None:
    """Put the proxy's normalisation (0-1 scale, as timm reads it) into the
    export's ``pretrained_cfg`` (the exporter writes ImageNet's)."""
    with open(path) as f:
        config = json.load(f)
    config['pretrained_cfg'].update(
        mean=[m / 255 for m in preprocessor['mean']],
        std=[s / 255 for s in preprocessor['std']])
    with open(path, 'w') as f:
        json.dump(config, f, indent=2)


def _rows(work_dir: str, results: dict) -> List[dict]:
    """The pre-trained rows of ``results.json`` in table order, each
    checked against its stage files (nothing is written)."""
    numbers, tuned = _table_numbers(results)
    protocol = results.get('protocol') or {}
    keys = sorted((k for k in numbers if k[0] in METHODS),
                  key=lambda k: (list(METHODS).index(k[0]), k[1]))
    if not keys:
        raise WeightsError(f'{work_dir}/results.json has no pre-trained row.')
    rows = []
    for method, seed in keys:
        row_dir = osp.join(work_dir, f'{method}_seed{seed}')
        record = read_stage(row_dir, 'pretrain')
        evaluation = read_stage(row_dir, 'evaluation')
        if record is None or evaluation is None:
            raise WeightsError(
                f'{row_dir}: no pretrain.json / evaluation.json, but '
                'results.json lists the row; publish from the work dir of '
                'the run that wrote results.json.')
        staged = {r['feature']: {k: r.get(k) for k in METRICS}
                  for r in evaluation['rows']}
        if staged != numbers[method, seed]:
            raise WeightsError(
                f'{row_dir}/evaluation.json and results.json disagree '
                f'({staged} against {numbers[method, seed]}): results.json '
                'is stale; run the same proxy command again to refresh it.')
        cfg = Config.fromfile(osp.join(row_dir, 'config.py'))
        epochs = cfg.train_cfg.max_epochs
        if protocol.get('epochs', epochs) != epochs:
            raise WeightsError(
                f'{row_dir} was pre-trained for {epochs} epochs, the table '
                f'for {protocol["epochs"]}.')
        rows.append(
            dict(
                method=method,
                seed=seed,
                epochs=epochs,
                # the stage's own record only: results.json names the
                # commit of its last invocation (e.g. the ablations'),
                # not necessarily the one that pre-trained this row
                git_commit=record.get('git_commit'),
                checkpoint=_checkpoint(record, row_dir),
                encoder=_encoder_spec(cfg, row_dir),
                data_preprocessor=_preprocessor(cfg),
                results=numbers[method, seed],
                finetune_top1=dict(sorted(tuned[method, seed].items(),
                                          key=lambda kv: int(kv[0])))))
    return rows


def _export(row: dict, staging: str, timm: bool) -> dict:
    """Write one row's encoder (and its timm export) into ``staging``;
    returns its ``weights.json`` entry."""
    from ..tools.publish_backbone import publish_backbone, publish_timm
    method, checkpoint = row['method'], row['checkpoint']
    arch_name = osp.basename(METHODS[method].config).split('_')[1]
    stem = osp.join(
        staging, f'{method}_{arch_name}_{row["epochs"]}e_fashion-mnist-32px_'
        f'seed{row["seed"]}.pth')
    entry = dict(
        **_file_record(publish_backbone(checkpoint, stem)),
        format='mmpretrain VisionTransformer state dict (no prefix)',
        method=method,
        label=METHODS[method].label,
        seed=row['seed'],
        epochs=row['epochs'],
        config=METHODS[method].config,
        git_commit=row['git_commit'],
        **{k: row[k] for k in ('encoder', 'data_preprocessor', 'results',
                               'finetune_top1')},
        timm=None)
    if timm:
        weights, config = publish_timm(checkpoint, stem, 'backbone.',
                                       row['encoder']['arch']['num_heads'])
        _fix_timm_config(config, row['data_preprocessor'])
        entry['timm'] = dict(
            **_file_record(weights),
            config=osp.basename(config),
            config_sha256=file_sha256(config))
    return entry


def publish_weights(work_dir: str,
                    out_dir: str,
                    timm_all_seeds: bool = False,
                    budget_mb: float = BUDGET_MB) -> dict:
    """Export every pre-trained encoder of a finished proxy run.

    Every row is checked before anything is written; the files go to a
    staging folder and are moved into ``out_dir`` only when the whole set
    fits ``budget_mb``.  Files that an earlier ``weights.json`` of
    ``out_dir`` listed and the new one does not are removed (nothing else
    is touched).

    Args:
        work_dir (str): The proxy's work dir (``results.json`` and one
            ``<method>_seed<seed>`` folder per row).
        out_dir (str): Where the weights and ``weights.json`` go.
        timm_all_seeds (bool): Export every encoder for timm too, not only
            the first seed of each method. Defaults to False.
        budget_mb (float): Refuse a set heavier than this (MB, 10^6 bytes).

    Returns:
        dict: The content of ``weights.json``.

    Raises:
        WeightsError: No finished run, a row whose stage files are missing
            or disagree with ``results.json``, a non-ViT row, or a set over
            the budget.
    """
    results = read_json(
        osp.join(work_dir, 'results.json'),
        'publish the weights of a finished proxy run (python '
        'tools/proxy.py, then --family ablations).')
    rows = _rows(work_dir, results)
    environment = results.get('environment', {})
    staging = osp.join(out_dir, '.staging')
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        first_seed, entries = {}, []
        for row in rows:
            first = first_seed.setdefault(row['method'], row['seed'])
            entries.append(
                _export(row, staging, timm_all_seeds or first == row['seed']))
        total = sum(
            osp.getsize(osp.join(staging, f)) for f in os.listdir(staging))
        if total > budget_mb * 1e6:
            raise WeightsError(
                f'the {len(entries)} encoders weigh {total / 1e6:.1f} MB, '
                f'over the {budget_mb:.0f} MB budget; publish the timm '
                'export of the first seed only (the default) or fewer rows.')
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    timm_count = sum(e['timm'] is not None for e in entries)
    settings = results.get('settings', {})
    published = dict(
        what='Encoders pre-trained by the Fashion-MNIST proxy '
        '(docs/proxy.md): 32 x 32 grey images, not ImageNet.',
        note=f'Every pre-trained encoder of the table in mmpretrain\'s '
        f'format ({len(entries)} files); the timm export for '
        + ('every encoder' if timm_all_seeds else
           'the first seed of each method only') +
        f' ({timm_count} files), {total / 1e6:.1f} MB in all (budget '
        f'{budget_mb:.0f} MB). For another seed: python '
        'tools/publish_backbone.py FILE.pth OUT.pth --prefix "" --timm '
        '--num-heads 3, then set pretrained_cfg mean/std as in the '
        'published JSON. The random-init floor is not published: '
        'tools/proxy.py rebuilds it from the seed. Fine-tuning numbers are '
        'those of the run; the re-evaluation repeats kNN, low-shot kNN and '
        'the linear probe only.',
        results_commit=environment.get('git_commit'),
        results_command=environment.get('command'),
        protocol=results.get('protocol') or {},
        evaluation=dict(
            knn=settings.get('knn'),
            lowshot_knn=settings.get('lowshot_knn'),
            linear_probe=settings.get('linear_probe'),
            # each row's evaluation ran with threads_per_job threads
            threads=settings.get('threads_per_job') or environment.get(
                'machine', {}).get('torch_threads')),
        total_bytes=total,
        files=entries)
    _replace_published(staging, out_dir, published)
    return published


def _listed(published: dict) -> List[str]:
    names = []
    for entry in published.get('files', []):
        names.append(entry['file'])
        if entry.get('timm'):
            names += [entry['timm']['file'], entry['timm']['config']]
    return names


def _replace_published(staging: str, out_dir: str, published: dict) -> None:
    old_path = osp.join(out_dir, WEIGHTS_JSON)
    stale = []
    if osp.isfile(old_path):
        with open(old_path) as f:
            stale = set(_listed(json.load(f))) - set(_listed(published))
    for name in os.listdir(staging):
        os.replace(osp.join(staging, name), osp.join(out_dir, name))
    os.rmdir(staging)
    for name in stale:
        if osp.isfile(osp.join(out_dir, name)):
            os.remove(osp.join(out_dir, name))
    with open(old_path + '.part', 'w') as f:
        json.dump(published, f, indent=1)
    os.replace(old_path + '.part', old_path)


def weights_command(work_dir: str,
                    data_root: str,
                    publish_to: Optional[str] = None,
                    evaluate: Optional[str] = None) -> List[dict]:
    """``tools/proxy.py --publish-weights DIR`` / ``--evaluate-only
    --weights DIR``.

    Publishing also writes the folder's ``README.md`` and, when the folder
    is inside the repository, the table of the model-zoo page
    (``configs/mixedae/README.md``).

    Returns:
        list[dict]: The published entries, or the re-evaluation reports.

    Raises:
        SystemExit: A re-evaluated encoder differs beyond the tolerance.
    """
    from mmengine.logging import MMLogger

    from ..datasets import prepare_fashion_mnist
    from .weights_docs import update_zoo_page, write_weights_readme
    if publish_to is not None:
        published = publish_weights(work_dir, publish_to)
        inside = not osp.relpath(osp.abspath(publish_to),
                                 ROOT).startswith('..')
        page = osp.join(ROOT, 'configs', 'mixedae', 'README.md')
        links = {}
        if inside:
            links = {
                'model-zoo page': osp.relpath(page, publish_to),
                'the proxy': osp.relpath(
                    osp.join(ROOT, 'docs', 'proxy.md'), publish_to)
            }
        write_weights_readme(
            publish_to, published, links,
            osp.relpath(osp.abspath(publish_to), ROOT) if inside else None)
        if inside:
            update_zoo_page(page, published, publish_to)
        print(f'[weights] {len(published["files"])} encoders, '
              f'{published["total_bytes"] / 1e6:.1f} MB, in {publish_to}: '
              f'{WEIGHTS_JSON}, README.md' +
              (f'; table in {page}' if inside else ''))
        return published['files']
    # keep mmengine's per-parameter initialisation messages off the terminal
    MMLogger.get_instance('mixedae_proxy_weights', log_level='WARNING')
    reports = evaluate_weights(evaluate, prepare_fashion_mnist(data_root))
    counts = defaultdict(int)
    for report in reports:
        counts[report['status']] += 1
    print(f'[weights] {len(reports)} encoders re-evaluated: ' + ', '.join(
        f'{n} {status}' for status, n in counts.items()) +
          f' (tolerance {TOLERANCE})')
    if counts['differs']:
        raise SystemExit(
            f'{counts["differs"]} published encoder(s) do not reproduce '
            f'their numbers beyond {TOLERANCE}: see the lines above.')
    return reports
