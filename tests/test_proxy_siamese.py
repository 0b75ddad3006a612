"""The proxy's Siamese family (``tools/proxy.py --family siamese``): MoCo v2
and MoCo v2 + MixMask on one recipe, evaluated on the pooled last stage.
No test here asserts which method wins."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mixedae_mm.evaluation import extract_features
from mixedae_mm.proxy import FLOORS, METHODS, build_model, in_family
from mixedae_mm.proxy.rows import ROOT
from mixedae_mm.tools import proxy

SIAMESE = [n for n, m in METHODS.items() if m.family == 'siamese']


def _cfg(name):
    return Config.fromfile(osp.join(ROOT, METHODS[name].config))


def test_siamese_rows_share_one_recipe_and_differ_by_mixmask_only():
    assert SIAMESE == ['mocov2', 'mixmask-mocov2']
    moco, mixmask = _cfg('mocov2'), _cfg('mixmask-mocov2')
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'custom_hooks', 'data_preprocessor'):
        assert moco[key] == mixmask[key], key
    for key in ('backbone', 'neck', 'head', 'queue_len', 'feat_dim',
                'momentum'):
        assert moco.model[key] == mixmask.model[key], key
    # MoCo v2 runs through MixMaskMoCo without the mixed term (its loss
    # bit for bit, tests/test_mixmask.py) to log the same collapse signals
    assert moco.model.type == mixmask.model.type == 'MixMaskMoCo'
    assert mixmask.model.mask_cfg == dict(
        grid_size=4, mask_ratio=0.5, mode='block')
    assert (moco.model.mix_weight, mixmask.model.mix_weight) == (0.0, 1.0)
    assert 'mask_cfg' not in moco.model
    # grey 32 px images: one input channel, two views of the same pipeline
    assert moco.model.backbone.in_channels == 1
    assert len(moco.data_preprocessor['mean']) == 1
    view, _ = moco.train_dataloader.dataset.pipeline
    assert view.type == 'MultiView' and view.num_views == 2
    assert moco.train_dataloader.batch_size == 256
    assert moco.optim_wrapper.optimizer.type == 'SGD'
    # the kNN monitor reads the only feature a ConvNet has
    knn = [h for h in moco.custom_hooks if h.type == 'KNNEvalHook']
    assert knn and knn[0].features == ('mean', )
    for name in SIAMESE:
        assert METHODS[name].features == ('mean', )
        assert METHODS[name].main


def test_recipe_follows_mmpretrains_moco_v2():
    """The learning rate is MoCo v2's for the batch (linear scaling from
    MMPretrain's config), the backbone normalises sub-batches (Shuffle BN
    on one process), and every schedule the tool writes starts with a
    warm-up from 1 % of it: without one the embeddings collapse."""
    import mmpretrain

    from mixedae_mm.proxy import proxy_config
    ref = Config.fromfile(
        osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs',
                 'mocov2', 'mocov2_resnet50_8xb32-coslr-200e_in1k.py'))
    ref_batch = ref.auto_scale_lr.base_batch_size  # 8 GPUs x 32
    for name in SIAMESE:
        cfg = _cfg(name)
        batch = cfg.train_dataloader.batch_size
        assert cfg.optim_wrapper.optimizer.lr == pytest.approx(
            ref.optim_wrapper.optimizer.lr * batch / ref_batch)
        assert (cfg.model.backbone.norm_cfg == dict(type='SplitBN',
                                                    num_splits=8))
        assert batch % 8 == 0
        assert cfg.model.head.temperature == ref.model.head.temperature
        assert cfg.model.neck.type == ref.model.neck.type  # no BN in it
        for epochs in (2, 5, 10):
            sched = proxy_config(METHODS[name].config, epochs, 0,
                                 'data/fashion_mnist').param_scheduler
            assert sched[0]['type'] == 'LinearLR', epochs
            assert sched[0]['begin'] == 0 and sched[0]['end'] >= 1
            assert sched[0]['start_factor'] <= 0.01


def test_family_picks_its_rows_floors_and_defaults():
    args = proxy.parse_args(['--family', 'siamese'])
    assert args.methods == SIAMESE + [
        n for n, f in FLOORS.items() if in_family(f, 'siamese')]
    assert 'random-init-resnet' in args.methods
    assert 'mae' not in args.methods and 'random-init' not in args.methods
    assert (args.epochs, args.seeds) == (proxy.FAMILY_DEFAULTS['siamese'][
        'epochs'], [0, 1])
    assert args.work_dir == 'work_dirs/proxy_siamese'
    assert proxy.plan_runs(args.methods, args.seeds) == [
        ('mocov2', 0), ('mocov2', 1), ('mixmask-mocov2', 0),
        ('mixmask-mocov2', 1), ('random-init-resnet', 0),
        ('random-init-resnet', 1), ('raw-pixels', 0)
    ]
    # the default family is unchanged
    default = proxy.parse_args([])
    assert 'mocov2' not in default.methods and 'mae' in default.methods
    assert default.work_dir == 'work_dirs/proxy'
    with pytest.raises(SystemExit):
        proxy.parse_args(['--family', 'siamese', '--methods', 'mae'])


def test_resnet_feature_is_the_pooled_last_stage():
    from mmpretrain.structures import DataSample
    cfg = _cfg('mixmask-mocov2')
    model = build_model(cfg, None, seed=0)
    images = torch.randint(0, 256, (4, 1, 32, 32), dtype=torch.uint8)
    mean, std = cfg.data_preprocessor['mean'], cfg.data_preprocessor['std']
    with torch.no_grad():
        maps = model.backbone((images.float() - mean[0]) / std[0])[-1]
    assert maps.shape == (4, 128, 2, 2)  # 32 px, four stride-2 stages
    data = [dict(inputs=images, data_samples=[DataSample() for _ in range(4)])]
    feats = extract_features(model, data, ('mean', ))
    torch.testing.assert_close(feats['mean'], maps.mean(dim=(2, 3)))
    assert feats['labels'].tolist() == [-1] * 4


@pytest.mark.slow
def test_siamese_chain_at_a_tiny_budget(tmp_path):
    """Both rows pre-trained through the Runner, evaluated, the floors, the
    table and the JSON, on 512 training images."""
    work = tmp_path / 'proxy'
    proxy.main([
        '--family', 'siamese', '--quick', '--train-images', '512',
        '--eval-train-images', '2000', '--eval-test-images', '1000',
        '--monitor-images', '500', '200', '--seeds', '0', '--work-dir',
        str(work), '--data-root',
        str(tmp_path / 'fmnist')
    ])
    with open(work / 'results.json') as f:
        saved = json.load(f)
    keys = {(r['method'], r['seed'], r['feature']) for r in saved['rows']}
    for method in ('mocov2', 'mixmask-mocov2', 'random-init-resnet'):
        assert (method, 0, 'mean') in keys
    assert ('raw-pixels', 0, 'pixels') in keys
    assert not any(method == 'mae' for method, _, _ in keys)
    runs = {r['method']: r for r in saved['runs']}
    assert {'loss_orig', 'loss_mix'} <= set(runs['mixmask-mocov2']['final'])
    assert 'loss_mix' not in runs['mocov2']['final']
    assert [p['epoch'] for p in runs['mocov2']['knn_curve']] == [0, 1]
    table = (work / 'results.md').read_text()
    for label in ('MoCo v2', 'MoCo v2 + MixMask', 'random init'):
        assert label in table
