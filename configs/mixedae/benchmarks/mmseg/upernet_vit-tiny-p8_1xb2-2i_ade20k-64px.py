# A tiny UperNet run for CPUs (tests, smoke checks): the demo's tiny MixedAE
# encoder (192 dims, 4 layers, 8 px patches; work_dirs/demo/iter_60.pth from
# `make demo`) in the model of
# upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py with narrow heads,
# 64x64 crops, 2 iterations and an mIoU evaluation, on a folder in ADE20K's
# layout (images/{training,validation}/*.jpg, annotations/.../*.png).
_base_ = './upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py'

crop_size = (64, 64)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=crop_size,
        patch_size=8,
        out_indices=(0, 1, 2, 3),
        init_cfg=dict(checkpoint='work_dirs/demo/iter_60.pth')),
    neck=dict(embed_dim=192),
    decode_head=dict(in_channels=[192, 192, 192, 192], channels=64),
    auxiliary_head=dict(in_channels=192, channels=32),
    test_cfg=dict(crop_size=crop_size, stride=(43, 43)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(256, 64),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 64), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# no AMP on CPUs
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer={{_base_.optim_wrapper.optimizer}},
    constructor={{_base_.optim_wrapper.constructor}},
    paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
train_cfg = dict(max_iters=2, val_interval=2)
# one process x 2 images
custom_hooks = [
    dict(type='CheckPretrainedWeightsHook', allowed_unexpected=['ln1.*']),
    dict(type='CheckBatchLayoutHook', images_per_iter=2),
]
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=2, max_keep_ckpts=1))
