"""MixedAE-Full: view bookkeeping, cross-view positives, configs, training."""
import glob
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import ROOT, tiny_runner_cfg, write_image_folder
from mixedae_mm.models.utils import (mix_tokens, random_mixing_mask,
                                     stack_views, stacked_view_ids)

FULL_TINY = osp.join(ROOT, 'configs', 'mixedae',
                     'mixedae-full_vit-tiny-p8_1xb16-60i_demo-64px.py')
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _patchify(images: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, N, C * p * p), patches in raster order."""
    return torch.nn.functional.unfold(images, p, stride=p).transpose(1, 2)


def _build(tiny_model_cfg, **full):
    init_default_scope('mmpretrain')
    tiny_model_cfg.update(type='MixedAEFull', **full)
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg)
    model.init_weights()
    return model


def _capture(model):
    """Record the backbone's outputs and the contrastive loss's inputs."""
    seen = {}
    model.backbone.register_forward_hook(
        lambda mod, args, out: seen.update(latent=out[0], mask=out[1]))
    model.head.loss_hc.register_forward_hook(
        lambda mod, args, out: seen.update(features=args[0], ids=args[1]))
    return seen


def test_stacked_layouts_say_which_image_and_view():
    views = [torch.arange(3) + 10 * v for v in range(2)]  # 10 * v + b
    for together, images, view_order in (
            (False, [0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1]),
            (True, [0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1])):
        stacked = stack_views(views, together)
        image_ids, view_ids = stacked_view_ids(2, 3, together)
        assert image_ids.tolist() == images
        assert view_ids.tolist() == view_order
        assert torch.equal(stacked, 10 * view_ids + image_ids)


def test_views_survive_collate_preprocessor_and_mixing(tmp_path):
    """Views from files -> PackInputs -> default_collate -> data
    preprocessor -> stack -> mix: every mixed patch is the patch of the
    image and view the bookkeeping names, cropped from the box the sample
    carries; a mixed image never holds two views of one image."""
    init_default_scope('mmpretrain')
    files = write_image_folder(str(tmp_path), 1, 8, size=(90, 70))
    num_views, size, p, G = 3, 32, 8, 4
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='IoUBoundedMultiViewCrop', scale=size,
             num_views=num_views),
        dict(type='PackInputs', meta_keys=('img_path', 'view_boxes')),
    ])
    np.random.seed(0)
    batch = default_collate([pipeline(dict(img_path=f)) for f in files])
    preprocessor = MODELS.build(
        dict(type='SelfSupDataPreprocessor', mean=MEAN, std=STD,
             to_rgb=True))
    data = preprocessor(batch, True)
    views, samples = data['inputs'], data['data_samples']
    assert len(views) == num_views and len(samples) == len(files)
    assert all(v.shape == (len(files), 3, size, size) for v in views)

    # the view expected at [v][b], made by hand from the sample's box
    expected = torch.empty(num_views, len(files), 3, size, size)
    for b, sample in enumerate(samples):
        assert sample.img_path == files[b]
        img = mmcv.imread(files[b])  # BGR
        for v, (x1, y1, x2, y2) in enumerate(sample.view_boxes):
            view = mmcv.imresize(img[y1:y2, x1:x2], (size, size))
            view = torch.from_numpy(view[..., ::-1].copy()).float()
            expected[v, b] = ((view - torch.tensor(MEAN)) /
                              torch.tensor(STD)).permute(2, 0, 1)
    for v in range(num_views):
        torch.testing.assert_close(views[v], expected[v])

    stacked = stack_views(views)
    image_ids, view_ids = stacked_view_ids(num_views, len(files))
    num_patches = (size // p)**2
    mask = random_mixing_mask(len(stacked) // G, num_patches, G)
    mixed = mix_tokens(_patchify(stacked, p), mask)
    for s in range(mask.shape[0]):
        sources = image_ids[s * G:(s + 1) * G]
        assert len(set(sources.tolist())) == G  # one view per image
        for n in range(num_patches):
            e = s * G + mask[s, n]
            want = _patchify(expected[view_ids[e], image_ids[e]][None], p)
            torch.testing.assert_close(mixed[s, n], want[0, n])


def test_contrastive_positives_are_exactly_the_same_image_patches(
        tiny_model_cfg):
    model = _build(tiny_model_cfg, num_views=2)
    seen = _capture(model)
    V, B, G, N = 2, 8, 4, 64
    losses = model([torch.randn(B, 3, 64, 64) for _ in range(V)],
                   [None] * B, mode='loss')
    assert set(losses) == {'loss_rec', 'loss_hc', 'homo_acc'}
    latent, mask = seen['latent'], seen['mask']
    features, ids = seen['features'], seen['ids']
    assert latent.shape == (V * B // G, N + 1, 192)
    assert features.shape == (B // G, V * N, 192)
    assert ids.shape == (B // G, V * N)

    for g in range(B // G):
        image_of = []  # the image behind every slot of row g, by hand
        for v in range(V):
            s = v * (B // G) + g  # the mixed image of group g of view v
            torch.testing.assert_close(features[g, v * N:(v + 1) * N],
                                       latent[s, 1:])
            image_of += [g * G + int(i) for i in mask[s]]
        image_of = torch.tensor(image_of)
        same_image = image_of[:, None] == image_of[None, :]
        positives = ids[g][:, None] == ids[g][None, :]
        assert torch.equal(positives, same_image)
        # positives across views: patch n of view 0, any patch of view 1
        assert positives[:N, N:].any(1).all()


def test_without_cross_view_positives_the_loss_is_per_mixed_image(
        tiny_model_cfg):
    model = _build(tiny_model_cfg, num_views=2, cross_view_positives=False)
    seen = _capture(model)
    model([torch.randn(4, 3, 64, 64) for _ in range(2)], [None] * 4,
          mode='loss')
    assert seen['features'].shape == (2, 64, 192)
    assert torch.equal(seen['ids'], seen['mask'])


def test_views_in_one_group_mix_the_views_of_one_image(tiny_model_cfg):
    model = _build(tiny_model_cfg, num_views=2, views_in_one_group=True)
    seen = _capture(model)
    V, B, G = 2, 4, 4
    views = [torch.randn(B, 3, 64, 64) for _ in range(V)]
    model(views, [None] * B, mode='loss')
    mask, ids = seen['mask'], seen['ids']
    assert mask.shape == (V * B // G, 64) and ids.shape == mask.shape
    # mixed image s: view 0, view 1 of image 2s, then of image 2s + 1
    for s in range(V * B // G):
        assert ids[s].tolist() == [2 * s + int(m) // V for m in mask[s]]


def test_views_in_one_group_needs_fewer_views_than_g(tiny_model_cfg):
    with pytest.raises(ValueError, match='views_in_one_group=True with '
                       'num_views=4 >= G=4'):
        _build(tiny_model_cfg, num_views=4, views_in_one_group=True)


@pytest.mark.parametrize('inputs,match', [
    (torch.randn(8, 3, 64, 64), r'list of 2 view batches .* one tensor'),
    ([torch.randn(4, 3, 64, 64)] * 3, 'got 3 views'),
    ([torch.randn(4, 3, 64, 64), torch.randn(8, 3, 64, 64)],
     'different shapes'),
    ([torch.randn(2, 3, 64, 64)] * 2, 'batch of 2 images .* not divisible'),
])
def test_bad_inputs_are_named(tiny_model_cfg, inputs, match):
    model = _build(tiny_model_cfg, num_views=2)
    with pytest.raises(ValueError, match=match):
        model(inputs, None, mode='loss')


@pytest.mark.parametrize('config', sorted(
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', 'mixedae-full*.py'))))
def test_full_configs_agree_on_the_views(config):
    cfg = Config.fromfile(config)
    dataset = cfg.train_dataloader.dataset
    pipeline = dataset.get('pipeline') or dataset.dataset.pipeline
    crop = [t for t in pipeline if t.type == 'IoUBoundedMultiViewCrop'][0]
    assert cfg.model.type == 'MixedAEFull'
    assert crop.num_views == cfg.model.num_views
    assert crop.min_iou == 0.5
    # the same views per step as the matching MixedAE config
    views_per_gpu = cfg.train_dataloader.batch_size * crop.num_views
    assert views_per_gpu == (16 if 'tiny' in config else 512)
    expected_views = {'full-star': 2, 'full': 4}
    name = osp.basename(config).split('_')[0].replace('mixedae-', '')
    assert crop.num_views == expected_views[name]


def test_the_picture_names_the_views_that_were_mixed(
        tiny_model_cfg, tmp_path):
    from mixedae_mm.visualization import multi_view_group
    files = write_image_folder(str(tmp_path), 1, 4)
    for num_views, together, group, names in (
            (3, False, 2, [f'{i} view 2' for i in range(4)]),
            (2, True, 1, ['2 view 0', '2 view 1', '3 view 0', '3 view 1'])):
        pipeline = Config.fromfile(FULL_TINY).train_pipeline
        pipeline[1].num_views = num_views
        model = _build(tiny_model_cfg.copy(), num_views=num_views,
                       views_in_one_group=together).eval()
        out = multi_view_group(model, pipeline, files, group)
        assert out['names'] == names
        assert out['images'].shape == (4, 3, 64, 64)
        assert [boxes.shape for boxes in out['view_boxes']] == [
            (num_views, 4)
        ] * 4
    assert out['mixed_views'] == [[], [], [0, 1], [0, 1]]
    with pytest.raises(ValueError, match=r'group must be in \[0, 2\)'):
        multi_view_group(model, pipeline, files, 2)
    pipeline[1].num_views = 3
    with pytest.raises(ValueError, match='got 3 views'):
        multi_view_group(model, pipeline, files, 0)


@pytest.mark.slow
def test_runner_pretrains_the_tiny_full_config_and_draws_it(tmp_path):
    """Four images (one batch of 4 x 4 views) under fresh IoU-bounded
    crops every step: the loss falls; the tool draws both pictures."""
    from mmengine.runner import Runner

    from mixedae_mm.tools import visualize_reconstruction
    files = write_image_folder(str(tmp_path / 'data' / 'train'), 1, 4)
    cfg = tiny_runner_cfg(str(tmp_path / 'work'), str(tmp_path / 'data'),
                          max_iters=20, config=FULL_TINY)
    cfg.train_dataloader.sampler.shuffle = False
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    history = {
        key: runner.message_hub.get_scalar(f'train/{key}').data[0]
        for key in ('loss', 'loss_rec', 'loss_hc')
    }
    assert len(history['loss']) == 20
    # last / first: total 0.82-0.87 (seeds 0-5), reconstruction 0.59-0.66
    # (seeds 0, 1, 4, 5); the contrastive term moves slowly here (~0.96)
    for key, most in (('loss', 0.92), ('loss_rec', 0.8)):
        first, last = history[key][:3].mean(), history[key][-3:].mean()
        assert last < most * first, (key, history[key])
    acc = runner.message_hub.get_scalar('train/homo_acc').data[0]
    assert ((acc >= 0) & (acc <= 1)).all()

    out = str(tmp_path / 'rec.png')
    visualize_reconstruction.main([
        FULL_TINY, str(tmp_path / 'work' / 'iter_20.pth'), *files, '--out',
        out, '--group', '3'
    ])
    assert osp.isfile(out) and osp.isfile(str(tmp_path / 'rec_views.png'))
