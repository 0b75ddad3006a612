# The proxy's fine-tuning recipe, one for every row (MAE, MixedAE, the
# ablations and the random-init floor): MAE's end-to-end fine-tuning
# (mmpretrain configs/mae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py)
# scaled to Fashion-MNIST -- MMPretrain's ImageClassifier on the
# pre-trained encoder, average pooling, label smoothing 0.1, drop path 0.1,
# AdamW with layer-wise lr decay (our BackboneLayerDecayOptimWrapperConstructor),
# linear warm-up then cosine; no Mixup/CutMix/RandAugment (28 px grey
# images), the pre-training augmentation instead.  Trained on a fixed,
# class-balanced labelled subset (ClassBalancedSubset), top-1 on the 10,000
# test images after the last epoch.  The two configs beside it set the
# subset (1 %, 10 %) and the epochs; tools/proxy.py sets the encoder.
_base_ = [
    './vit-proxy-p4.py',
    '../../../_base_/default_runtime.py',
]
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist/'
pretrained = None  # a pre-training checkpoint (its `backbone.` weights)

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch={{_base_.encoder_arch}},
        img_size={{_base_.img_size}},
        patch_size={{_base_.patch_size}},
        in_channels={{_base_.in_channels}},
        drop_path_rate=0.1,
        out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels={{_base_.embed_dims}},
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]))
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[72.94],  # the pre-training normalisation (fashion-mnist_32px.py)
    std=[90.02],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=2),  # the centre
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ClassBalancedSubset',
        per_class=60,  # 1 % of the 60,000 training images
        seed=0,  # the same labelled images for every row and seed
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            download=False,
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    constructor='BackboneLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        custom_keys={
            '.ln': dict(decay_mult=0.0),
            '.bias': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=45,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=50,
        convert_to_iter_based=True)
]
# one test-set evaluation, after the last epoch
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=50)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    # the fine-tuned weights are not kept: the proxy reports their accuracy
    checkpoint=dict(type='CheckpointHook', interval=-1, save_last=False))
# refuse a run whose encoder did not load every pre-trained weight (the
# final norm is unused with average pooling; `ln2` is the new pooled norm)
custom_hooks = [
    dict(type='NonFiniteLossHook'),
    dict(
        type='CheckPretrainedWeightsHook',
        allowed_missing=['ln2.*'],
        allowed_unexpected=['ln1.*']),
]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
