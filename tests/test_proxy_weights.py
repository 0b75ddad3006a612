"""Published proxy weights (issue 23): export every pre-trained encoder of a
finished proxy run, refuse an altered file, and re-evaluate each encoder
from its file alone to the published numbers.

The "finished run" is built without pre-training: the encoders at their
seeded initialisation saved as the Runner saves a checkpoint, evaluated by
the proxy itself (:func:`build_model` with the pre-training model class,
:func:`evaluate_row`), with the stage files and a ``results.json`` as
``tools/proxy.py`` writes them.  The re-evaluation rebuilds a plain
``VisionTransformer`` instead, so equal numbers show that the published
file is the encoder the proxy evaluated.
"""
import argparse
import json
import os.path as osp
import re
import shutil
from types import SimpleNamespace

import pytest
import torch

from mixedae_mm.datasets import prepare_fashion_mnist
from mixedae_mm.proxy import (METHODS, ProxyData, build_model, evaluate_row,
                              proxy_config)
from mixedae_mm.proxy.stages import write_stage
from mixedae_mm.proxy.weights import publish_weights
from mixedae_mm.proxy.weights_eval import (WeightsError, build_encoder,
                                           evaluate_weights, read_published)
from mixedae_mm.proxy.weights_docs import (BEGIN, END, update_zoo_page,
                                           write_weights_readme)
from mixedae_mm.tools import proxy
from conftest import ROOT
from test_docs_links import broken_links

#: (method, seed): MixedAE's homologous layers and MAE's plain ones; the
#: first seed of each method gets the timm export
ROWS = (('mixedae', 0), ('mae', 1), ('mae', 2))
ROW_COMMIT = 'feedbeef' * 5  # of the rows' pre-training
RUN_COMMIT = '0123456789abcdef' * 2 + '01234567'  # of results.json
#: in table order (the methods' order, then seeds)
PUBLISHED = [('mae', 1), ('mae', 2), ('mixedae', 0)]
SIZES = dict(train=1000, test=500)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """A tiny finished proxy run: work dir, data root, published folder."""
    tmp = tmp_path_factory.mktemp('proxy_weights')
    data_root = prepare_fashion_mnist(str(tmp / 'fmnist'), log=lambda _: 0)
    work = tmp / 'proxy'
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = ProxyData(METHODS['mae'].config, data_root, SIZES['train'],
                         SIZES['test'])
        rows, finetune = [], []
        for method, seed in ROWS:
            row_dir = work / f'{method}_seed{seed}'
            row_dir.mkdir(parents=True)
            cfg = proxy_config(METHODS[method].config, 1, seed, data_root,
                               512)
            cfg.dump(str(row_dir / 'config.py'))
            model = build_model(cfg, None, seed)
            checkpoint = str(row_dir / 'epoch_1.pth')
            torch.save(
                dict(meta=dict(epoch=1, cfg=cfg.pretty_text),
                     state_dict=model.state_dict(),
                     optimizer=dict(state={}, param_groups=[])), checkpoint)
            # a stage record names the commit that ran it (not older runs)
            commit = {} if (method, seed) == ('mae', 2) else dict(
                git_commit=ROW_COMMIT)
            write_stage(str(row_dir), 'pretrain',
                        dict(checkpoint=checkpoint, minutes=0., **commit))
            evaluated = evaluate_row(METHODS[method], data,
                                     build_model(cfg, checkpoint, seed))
            write_stage(str(row_dir), 'evaluation', dict(rows=evaluated))
            rows += [dict(method=method, label=METHODS[method].label,
                          seed=seed, **r) for r in evaluated]
            for labels, top1 in ((50, 0.5 + seed / 10), (100, 0.75)):
                finetune.append(dict(method=method, seed=seed,
                                     labels=labels, top1=top1, minutes=0.))
    finally:
        torch.set_num_threads(threads)
    # a floor's row is in the table but is not published
    rows.append(dict(method='raw-pixels', label='raw', seed=0,
                     feature='pixels', knn_top1=0.7, lowshot_knn_top1=0.5,
                     linear_top1=0.7))
    results = dict(
        rows=rows,
        finetune=finetune,
        protocol=dict(epochs=1, train_images=512,
                      eval_train_images=SIZES['train'],
                      eval_test_images=SIZES['test']),
        settings=dict(knn=dict(k=20), threads_per_job=1),
        environment=dict(command='python tools/proxy.py --quick',
                         git_commit=RUN_COMMIT,
                         machine=dict(torch_threads=2)))
    (work / 'results.json').write_text(json.dumps(results))
    published_dir = str(tmp / 'weights')
    entries = proxy.main(['--publish-weights', published_dir, '--work-dir',
                          str(work)])
    published = read_published(published_dir)
    assert entries == published['files']
    return dict(tmp=tmp, work=work, data_root=data_root, rows=rows,
                dir=published_dir, published=published)


@pytest.mark.slow
def test_every_pretrained_row_is_published_with_its_numbers(run):
    published = run['published']
    files = published['files']
    assert [(e['method'], e['seed']) for e in files] == PUBLISHED
    for entry in files:
        path = osp.join(run['dir'], entry['file'])
        assert entry['file'] == (f'{entry["method"]}_vit-proxy-p4_1e_'
                                 f'fashion-mnist-32px_seed{entry["seed"]}-'
                                 f'{entry["sha256"][:8]}.pth')
        assert osp.getsize(path) == entry['bytes'] < 2.5e6
        assert entry['epochs'] == 1
        assert entry['config'] == METHODS[entry['method']].config
        # a row without its own record has no commit, never results.json's
        # (the commit of the run's last invocation)
        assert entry['git_commit'] == (None if (
            entry['method'], entry['seed']) == ('mae', 2) else ROW_COMMIT)
        # the numbers of the table, per feature, and the fine-tuning
        table = {r['feature']: r for r in run['rows']
                 if (r['method'], r['seed']) == (entry['method'],
                                                 entry['seed'])}
        assert set(entry['results']) == {'cls', 'mean'}
        for feature, numbers in entry['results'].items():
            for key, value in numbers.items():
                assert value == table[feature][key]
        assert entry['finetune_top1'] == {
            '50': 0.5 + entry['seed'] / 10, '100': 0.75}
        state = torch.load(path, map_location='cpu', weights_only=True)
        assert 'layers.3.ffn.layers.1.weight' in state['state_dict']
        assert not any(k.startswith(('backbone.', 'neck.', 'head.'))
                       for k in state['state_dict'])
    # timm beside the first seed of each method only
    assert [e['timm'] is not None for e in files] == [True, False, True]
    assert 'first seed of each method' in published['note']
    assert published['evaluation']['threads'] == 1
    listed = {e['file'] for e in files} | {
        e['timm'][k] for e in files if e['timm'] for k in ('file', 'config')}
    assert {f.name for f in (run['tmp'] / 'weights').iterdir()} == \
        listed | {'weights.json', 'README.md'}


@pytest.mark.slow
def test_reevaluation_from_the_files_reproduces_the_numbers(run, capsys):
    reports = proxy.main(['--evaluate-only', '--weights', run['dir'],
                          '--data-root', run['data_root']])
    assert [r['status'] for r in reports] == ['equal'] * 3
    for report, entry in zip(reports, run['published']['files']):
        assert report['measured'] == entry['results']
    assert '3 encoders re-evaluated: 3 equal' in capsys.readouterr().out


@pytest.mark.slow
def test_an_altered_file_is_refused(run, tmp_path):
    copy = str(tmp_path / 'weights')
    shutil.copytree(run['dir'], copy)
    name = run['published']['files'][1]['file']
    path = osp.join(copy, name)
    raw = bytearray(open(path, 'rb').read())
    raw[len(raw) // 2] ^= 1  # one bit of one byte
    open(path, 'wb').write(bytes(raw))
    with pytest.raises(WeightsError) as error:
        evaluate_weights(copy, run['data_root'])
    message = str(error.value)
    assert name in message and 'sha256' in message
    assert run['published']['files'][1]['sha256'] in message
    assert run['published']['files'][0]['file'] not in message


@pytest.mark.slow
def test_a_stale_results_json_is_refused(run, tmp_path):
    work = tmp_path / 'proxy'
    shutil.copytree(run['work'], work)
    results = json.loads((work / 'results.json').read_text())
    results['rows'][0]['knn_top1'] += 0.01
    (work / 'results.json').write_text(json.dumps(results))
    with pytest.raises(WeightsError, match='stale'):
        publish_weights(str(work), str(tmp_path / 'out'))
    assert not (tmp_path / 'out' / 'weights.json').exists()


@pytest.mark.slow
def test_the_readme_examples_load_the_files_in_mmpretrain_and_timm(run):
    """The two loading examples of the folder's README.md, run as written:
    MMPretrain's VisionTransformer (init_cfg Pretrained, prefix None) and
    timm's model from the export's JSON (model_args, pretrained_cfg) give
    the tokens of the encoder the re-evaluation builds."""
    entry = run['published']['files'][0]
    config = json.load(open(osp.join(run['dir'], entry['timm']['config'])))
    assert config['pretrained_cfg']['mean'] == [72.94 / 255]
    assert config['pretrained_cfg']['std'] == [90.02 / 255]
    assert config['pretrained_cfg']['input_size'] == [1, 32, 32]
    readme = open(osp.join(run['dir'], 'README.md')).read()
    examples = re.findall(r'```python\n(.*?)```', readme, re.S)
    assert len(examples) == 2 and 'timm' in examples[1]
    images = torch.rand(4, 1, 32, 32) * 255
    with torch.no_grad():
        ours = build_encoder(entry, run['dir']).extract_feat(
            (images - 72.94) / 90.02)[-1]
        for code in examples:
            scope = dict(images=images)
            exec(code, scope)
            assert scope['tokens'].shape == ours.shape == (4, 65, 96)
            torch.testing.assert_close(scope['tokens'], ours, atol=1e-4,
                                       rtol=1e-4)


@pytest.mark.slow
def test_the_finetuning_config_loads_a_file_with_prefix_none(run):
    """The zoo page's command: the proxy's fine-tuning config with
    ``--cfg-options model.backbone.init_cfg.checkpoint=FILE
    model.backbone.init_cfg.prefix=None`` passes its
    ``CheckPretrainedWeightsHook`` (every weight loaded with its value)."""
    from mmengine.config import Config, DictAction
    from mmengine.registry import HOOKS, init_default_scope
    from mmpretrain.registry import MODELS
    from mixedae_mm.proxy.finetune import FINETUNE_CONFIGS
    entry = run['published']['files'][0]
    path = osp.join(run['dir'], entry['file'])
    options = argparse.ArgumentParser()
    options.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(osp.join(ROOT, FINETUNE_CONFIGS[6000]))
    cfg.merge_from_dict(options.parse_args([
        '--cfg-options', f'model.backbone.init_cfg.checkpoint={path}',
        'model.backbone.init_cfg.prefix=None'
    ]).cfg_options)
    assert cfg.model.backbone.init_cfg.prefix is None
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.init_weights()
    hook = HOOKS.build(next(h for h in cfg.custom_hooks
                            if h.type == 'CheckPretrainedWeightsHook'))
    said = []
    logger = SimpleNamespace(info=said.append)
    hook.before_train(
        SimpleNamespace(iter=0, cfg=cfg, model=model, logger=logger))
    assert 'holds the pre-trained weights' in said[0]
    state = torch.load(path, map_location='cpu', weights_only=True)
    torch.testing.assert_close(model.backbone.layers[3].ffn.layers[1].weight,
                               state['state_dict']['layers.3.ffn.layers.1.'
                                                   'weight'], rtol=0, atol=0)


@pytest.mark.slow
def test_zoo_page_table_links_every_file(run, tmp_path):
    root = tmp_path / 'repo'
    (root / 'configs' / 'mixedae').mkdir(parents=True)
    weights = root / 'docs' / 'proxy' / 'weights'
    shutil.copytree(run['dir'], weights)
    page = root / 'configs' / 'mixedae' / 'README.md'
    page.write_text(f'# Zoo\n\nbefore\n{BEGIN}\nOLD TABLE\n{END}\nafter\n')
    readme = write_weights_readme(
        str(weights), run['published'],
        {'model-zoo page': '../../../configs/mixedae/README.md'})
    update_zoo_page(str(page), run['published'], str(weights))
    text = page.read_text()
    assert text.startswith('# Zoo\n\nbefore\n') and text.endswith(
        f'{END}\nafter\n')
    assert 'OLD TABLE' not in text
    for entry in run['published']['files']:
        assert f'../../docs/proxy/weights/{entry["file"]}' in text
        assert f'`{entry["sha256"][:8]}`' in text
    assert broken_links(str(page), str(root)) == []
    assert broken_links(readme, str(root)) == []
    listing = open(readme).read()
    for entry in run['published']['files']:  # every file, full checksum
        assert f'`{entry["sha256"]}`' in listing
    page.write_text('# Zoo without the block\n')
    with pytest.raises(ValueError, match='proxy-weights'):
        update_zoo_page(str(page), run['published'], str(weights))


def test_cli_refuses_mixed_modes():
    with pytest.raises(SystemExit):
        proxy.parse_args(['--weights', 'docs/proxy/weights'])
    with pytest.raises(SystemExit):
        proxy.parse_args(['--publish-weights', 'x', '--evaluate-only'])
