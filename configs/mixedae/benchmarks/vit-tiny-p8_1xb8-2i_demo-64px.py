# A tiny fine-tuning run for CPUs (tests, smoke checks): the demo's tiny
# MixedAE encoder (192 dims, 4 layers, 8 px patches, 64 px images)
# fine-tuned for 2 iterations with the recipe of
# vit-base-p16_8xb128-coslr-100e_in1k.py at 64 px, on the demo's
# photographs, one per class (`make demo` writes the data and the
# checkpoint work_dirs/demo/iter_60.pth).
_base_ = './vit-base-p16_8xb128-coslr-100e_in1k.py'

img_size = 64
num_classes = 11
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=img_size,
        patch_size=8,
        init_cfg=dict(checkpoint='work_dirs/demo/iter_60.pth')),
    head=dict(num_classes=num_classes, in_channels=192))
data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=img_size,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[103.53, 116.28, 123.675],
        fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=img_size * 256 // 224,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs')
]

# an ImageNet-style folder data/demo/train/<class>/*.png, also validated on
demo_dataset = dict(
    type='CustomDataset', data_root='data/demo', data_prefix='train')
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(_delete_=True, pipeline=train_pipeline, **demo_dataset))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(_delete_=True, pipeline=test_pipeline, **demo_dataset))
test_dataloader = val_dataloader

train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=2)
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
