# The data, schedule and runtime of the tiny MixMask configs
# (mixmask-*_resnet18-tiny_1xb16-20i_demo-32px.py): 32 px views of the demo
# photographs (data/demo/train/<class>/*.png, which `python tools/demo.py`
# exports), 16 images per process, 20 iterations of SGD on the CPU.
_base_ = ['../../_base_/default_runtime.py']

img_size = 32
data_root = 'data/demo'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=img_size,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,  # per process; MixMask needs it even
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

# a ResNet-18 with the CIFAR stem and 16 base channels (128-d features)
backbone = dict(
    type='ResNet_CIFAR',
    depth=18,
    stem_channels=16,
    base_channels=16,
    norm_cfg=dict(type='BN'),
    zero_init_residual=False)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
max_iters = 20
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        by_epoch=False,
        begin=0,
        end=max_iters)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(
        type='CheckpointHook', interval=20, by_epoch=False,
        max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
# seed + rank: every process draws its own masks and augmentations
randomness = dict(seed=0, diff_rank_seed=True)
