# A tiny MixedAE that pre-trains on a CPU in about a minute: the README's
# demo (`make demo`) and the tests use it.  64 px images, 8 px patches
# (N = 64), a 192-dim 4-layer encoder, a 128-dim 2-layer decoder, G = 4.
# Data: an ImageNet-style folder data/demo/train/<class>/*.png, which
# `python tools/demo.py` exports from scikit-image's bundled photographs.
_base_ = [
    '../_base_/models/mixedae_vit-base-p16.py',
    '../_base_/default_runtime.py',
]

img_size = 64
patch_size = 8
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=img_size,
        patch_size=patch_size),
    neck=dict(
        num_patches=(img_size // patch_size)**2,
        patch_size=patch_size,
        embed_dim=192,
        decoder_embed_dim=128,
        decoder_depth=2,
        decoder_num_heads=4),
    head=dict(patch_size=patch_size))

data_root = 'data/demo'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=img_size,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        # a dozen photographs: repeat them so an epoch has full batches
        type='RepeatDataset',
        times=64,
        dataset=dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix='train',
            pipeline=train_pipeline)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1.5e-3, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'segment_embed': dict(decay_mult=0.),
        }))

max_iters = 60
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=5),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 5,
        by_epoch=False,
        begin=5,
        end=max_iters)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(
        type='CheckpointHook', interval=30, by_epoch=False,
        max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
# seed + rank: every process draws its own masks and augmentations
randomness = dict(seed=0, diff_rank_seed=True)
