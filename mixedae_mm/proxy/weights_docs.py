"""The pages of the published proxy weights, written from ``weights.json``.

:func:`write_weights_readme` writes the folder's ``README.md`` (every
file, its checksum and every number it produced; how to load it and how to
check it), :func:`update_zoo_page` the short table between the markers of
the model-zoo page (``configs/mixedae/README.md``).  Both are re-written by
``python tools/proxy.py --publish-weights``, never edited by hand.
"""
import os.path as osp
from typing import List, Optional

__all__ = [
    'BEGIN', 'END', 'percent', 'zoo_table', 'full_table',
    'write_weights_readme', 'update_zoo_page'
]

BEGIN = ('<!-- proxy-weights: begin (written by python tools/proxy.py '
         '--publish-weights; do not edit by hand) -->')
END = '<!-- proxy-weights: end -->'


def percent(value: Optional[float]) -> str:
    """An accuracy in [0, 1] as a percentage with one decimal; '–' if
    unknown."""
    return '–' if value is None else f'{100 * value:.1f}'


def _labels(published: dict) -> List[str]:
    """The fine-tuning label counts of the set, in increasing order."""
    return sorted({k for e in published['files'] for k in e['finetune_top1']},
                  key=int)


def _features(published: dict) -> List[str]:
    return list(dict.fromkeys(f for e in published['files']
                              for f in e['results']))


def _link(name: str, target: str) -> str:
    return f'[{name}]({target})'


def zoo_table(published: dict, link_prefix: str) -> str:
    """The model-zoo table: file, sha256 prefix, method, seed, kNN per
    feature and fine-tuning top-1 per label count (%).

    Args:
        published (dict): ``weights.json``.
        link_prefix (str): The weights folder relative to the page.
    """
    labels, features = _labels(published), _features(published)
    header = (['file', 'sha256', 'method', 'seed'] +
              [f'kNN {f}' for f in features] +
              [f'fine-tune {n} labels' for n in labels] + ['timm'])
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + ' --- |' * len(header)]
    for e in published['files']:
        timm = e.get('timm')
        cells = ([
            _link(e['file'], link_prefix + e['file']),
            f'`{e["sha256"][:8]}`', e['label'], str(e['seed'])
        ] + [percent(e['results'].get(f, {}).get('knn_top1'))
             for f in features] +
                 [percent(e['finetune_top1'].get(n)) for n in labels] +
                 [_link('json', link_prefix + timm['config'])
                  if timm else '–'])
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def full_table(published: dict) -> str:
    """Every file with its full sha256, size and every number (%)."""
    labels, features = _labels(published), _features(published)
    header = ['file', 'method', 'seed', 'epochs'] + [
        f'{what} {f}' for f in features
        for what in ('kNN', 'low-shot kNN', 'linear')
    ] + [f'fine-tune {n}' for n in labels] + ['MB', 'sha256']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + ' --- |' * len(header)]
    for e in published['files']:
        numbers = [
            percent(e['results'].get(f, {}).get(m)) for f in features
            for m in ('knn_top1', 'lowshot_knn_top1', 'linear_top1')
        ]
        cells = ([_link(e['file'], e['file']), e['label'],
                  str(e['seed']), str(e['epochs'])] + numbers +
                 [percent(e['finetune_top1'].get(n)) for n in labels] +
                 [f'{e["bytes"] / 1e6:.2f}', f'`{e["sha256"]}`'])
        lines.append('| ' + ' | '.join(cells) + ' |')
        if e.get('timm'):
            t = e['timm']
            lines.append('| ' + ' | '.join(
                [_link(t['file'], t['file']) + ' + ' +
                 _link(t['config'], t['config']), 'timm export', '', ''] +
                [''] * (len(numbers) + len(labels)) +
                [f'{t["bytes"] / 1e6:.2f}', f'`{t["sha256"]}`']) + ' |')
    return '\n'.join(lines)


def _provenance(published: dict) -> str:
    """Commits, run and protocol of the set, in one sentence."""
    commits = sorted({f'`{e["git_commit"][:7]}`' if e.get('git_commit')
                      else 'a commit not recorded'
                      for e in published['files']})
    protocol = published.get('protocol') or {}
    return (
        f'Pre-trained at commit {", ".join(commits)} '
        f'for {protocol.get("epochs")} epoch(s) on '
        f'{protocol.get("train_images")} training images, evaluated on '
        f'{protocol.get("eval_test_images")} test images with a bank of '
        f'{protocol.get("eval_train_images")} (the last command that wrote '
        f'the run\'s results.json: `{published.get("results_command")}`). '
        'Top-1 in %.')


def _python_dict(values: dict) -> str:
    """``dict(a=1, b=2)``: a dict as a config writes it."""
    return 'dict(' + ', '.join(f'{k}={v!r}' for k, v in values.items()) + ')'


def write_weights_readme(weights_dir: str,
                         published: dict,
                         page_links: Optional[dict] = None,
                         shown_dir: Optional[str] = None) -> str:
    """Write ``README.md`` into the published folder.

    Args:
        weights_dir (str): The folder.
        published (dict): Its ``weights.json``.
        page_links (dict, optional): Title -> path relative to the folder
            of pages to link (left out when publishing outside the
            repository).
        shown_dir (str, optional): The folder as the loading examples
            name it (e.g. ``docs/proxy/weights``, relative to the
            repository); ``weights_dir`` if None.

    Returns:
        str: The path written.
    """
    example = published['files'][0]
    timm = next((e['timm'] for e in published['files'] if e.get('timm')),
                None)
    enc = example['encoder']
    pre = example['data_preprocessor']
    mean, std = pre['mean'][0], pre['std'][0]
    width, depth = enc['arch']['embed_dims'], enc['arch']['num_layers']
    shown = osp.join(shown_dir or weights_dir, '')
    links = ''.join(f'- {_link(title, target)}\n'
                    for title, target in (page_links or {}).items())
    text = f"""# Proxy weights (Fashion-MNIST, 32 px)

Encoders pre-trained by the proxy of this repository on Fashion-MNIST (grey
28 x 28 photographs padded to 32 x 32): a {width}-wide {depth}-layer ViT with
{enc['patch_size']} px patches. They are small real backbones for trying the
transfer configs and for checking our tables, **not** the paper's ImageNet
models. {_provenance(published)}

{published['note']}

This page, `weights.json` and the files are written by `python
tools/proxy.py --publish-weights DIR` from a finished proxy run; `python
tools/proxy.py --evaluate-only --weights DIR` checks every sha256, rebuilds
each encoder from its file and repeats the frozen evaluation.

{links}
{full_table(published)}

## Load one

MMPretrain (`VisionTransformer` keys, no prefix; `images` are 0-255 grey
values, `(B, {enc['in_channels']}, {enc['img_size']}, {enc['img_size']})`,
normalised as in pre-training):

```python
from mmpretrain.models import VisionTransformer

encoder = VisionTransformer(
    arch={_python_dict(enc['arch'])},
    img_size={enc['img_size']}, patch_size={enc['patch_size']}, \
in_channels={enc['in_channels']}, out_type='raw',
    init_cfg=dict(type='Pretrained', prefix=None,
                  checkpoint='{shown}{example['file']}'))
encoder.init_weights()
tokens = encoder((images - {mean}) / {std})[0]  # (B, 1 + N, D)
```
"""
    if timm:
        text += f"""
timm (the JSON's `model_args` and `pretrained_cfg`, whose mean and std are
on timm's 0-1 scale):

```python
import json, timm

cfg = json.load(open('{shown}{timm['config']}'))
model = timm.create_model(
    cfg['architecture'], pretrained=True, **cfg['model_args'],
    pretrained_cfg_overlay=dict(cfg['pretrained_cfg'],
                                file='{shown}{timm['file']}'))
mean, std = cfg['pretrained_cfg']['mean'][0], cfg['pretrained_cfg']['std'][0]
tokens = model.forward_features((images / 255 - mean) / std)  # (B, 1 + N, D)
```
"""
    path = osp.join(weights_dir, 'README.md')
    with open(path, 'w') as f:
        f.write(text)
    return path


def update_zoo_page(page: str, published: dict, weights_dir: str) -> None:
    """Replace the block between :data:`BEGIN` and :data:`END` of ``page``
    with the table of ``published`` (links relative to the page).

    Raises:
        ValueError: The page lacks the markers (they are not added
            silently: the section around them says what the table is).
    """
    with open(page, encoding='utf-8') as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or \
            text.index(BEGIN) > text.index(END):
        raise ValueError(
            f'{page} has no single "{BEGIN}" ... "{END}" block; add it '
            'where the proxy weights table belongs.')
    prefix = osp.relpath(weights_dir, osp.dirname(page)) + '/'
    readme = _link('README', prefix + 'README.md')
    listing = _link('weights.json', prefix + 'weights.json')
    block = (f'{BEGIN}\n\n{_provenance(published)} All files, full '
             f'checksums and every number: {readme} and {listing}.\n\n'
             f'{zoo_table(published, prefix)}\n\n{END}')
    head, rest = text.split(BEGIN)
    tail = rest.split(END, 1)[1]
    with open(page, 'w', encoding='utf-8') as f:
        f.write(head + block + tail)
