_eval_loader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    drop_last=False,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
custom_hooks = [
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
    dict(
        bank_dataloader=dict(
            batch_size=500,
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                data_root='data/fashion_mnist',
                download=False,
                indices=10000,
                pipeline=[
                    dict(crop_size=32, padding=2, type='RandomCrop'),
                    dict(type='PackInputs'),
                ],
                split='train',
                type='FashionMNIST'),
            drop_last=False,
            num_workers=0,
            persistent_workers=False,
            sampler=dict(shuffle=False, type='DefaultSampler')),
        features=(
            'cls',
            'mean',
        ),
        k=20,
        query_dataloader=dict(
            batch_size=500,
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                data_root='data/fashion_mnist',
                download=False,
                indices=2000,
                pipeline=[
                    dict(crop_size=32, padding=2, type='RandomCrop'),
                    dict(type='PackInputs'),
                ],
                split='test',
                test_mode=True,
                type='FashionMNIST'),
            drop_last=False,
            num_workers=0,
            persistent_workers=False,
            sampler=dict(shuffle=False, type='DefaultSampler')),
        temperature=0.07,
        type='KNNEvalHook'),
]
custom_imports = dict(
    allow_failed_imports=False, imports=[
        'mixedae_mm',
    ])
data_preprocessor = dict(
    mean=[
        72.94,
    ],
    std=[
        90.02,
    ],
    to_rgb=False,
    type='SelfSupDataPreprocessor')
data_root = 'data/fashion_mnist/'
dataset_type = 'FashionMNIST'
decoder_depth = 1
decoder_embed_dims = 64
decoder_num_heads = 2
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=1, type='CheckpointHook'),
    logger=dict(interval=10, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'),
    visualization=dict(enable=False, type='VisualizationHook'))
default_scope = 'mmpretrain'
embed_dims = 96
encoder_arch = dict(
    embed_dims=96, feedforward_channels=384, num_heads=3, num_layers=4)
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='gloo'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
eval_pipeline = [
    dict(crop_size=32, padding=2, type='RandomCrop'),
    dict(type='PackInputs'),
]
img_size = 32
in_channels = 1
knn_bank_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='data/fashion_mnist/',
        download=False,
        indices=10000,
        pipeline=[
            dict(crop_size=32, padding=2, type='RandomCrop'),
            dict(type='PackInputs'),
        ],
        split='train',
        type='FashionMNIST'),
    drop_last=False,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
knn_query_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='data/fashion_mnist/',
        download=False,
        indices=2000,
        pipeline=[
            dict(crop_size=32, padding=2, type='RandomCrop'),
            dict(type='PackInputs'),
        ],
        split='test',
        test_mode=True,
        type='FashionMNIST'),
    drop_last=False,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
launcher = 'none'
load_from = None
log_level = 'INFO'
max_epochs = 8
model = dict(
    backbone=dict(
        arch=dict(
            embed_dims=96, feedforward_channels=384, num_heads=3,
            num_layers=4),
        homo_attn_layers=None,
        img_size=32,
        mixing_ratio=0.25,
        patch_cfg=dict(in_channels=1),
        patch_size=4,
        segment_embed=False,
        topk=None,
        type='MixedAEViT'),
    head=dict(
        in_channels=1,
        loss=dict(criterion='L2', type='PixelReconstructionLoss'),
        loss_hc=dict(
            loss_weight=2.0,
            temperature=0.25,
            type='HomologousContrastiveLoss'),
        norm_pix=True,
        patch_size=4,
        type='MixedAEPretrainHead'),
    init_cfg=[
        dict(distribution='uniform', layer='Linear', type='Xavier'),
        dict(bias=0.0, layer='LayerNorm', type='Constant', val=1.0),
    ],
    neck=dict(
        decoder_depth=1,
        decoder_embed_dim=64,
        decoder_num_heads=2,
        embed_dim=96,
        in_chans=1,
        mlp_ratio=4.0,
        num_patches=64,
        patch_size=4,
        type='MixedAEPretrainDecoder'),
    type='MixedAE')
num_patches = 64
optim_wrapper = dict(
    optimizer=dict(
        betas=(
            0.9,
            0.95,
        ), lr=0.0015, type='AdamW', weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys=dict(
            bias=dict(decay_mult=0.0),
            cls_token=dict(decay_mult=0.0),
            ln=dict(decay_mult=0.0),
            mask_token=dict(decay_mult=0.0),
            norm=dict(decay_mult=0.0),
            pos_embed=dict(decay_mult=0.0),
            segment_embed=dict(decay_mult=0.0))),
    type='OptimWrapper')
param_scheduler = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        end=1,
        start_factor=0.01,
        type='LinearLR'),
    dict(
        T_max=1,
        begin=1,
        by_epoch=True,
        convert_to_iter_based=True,
        end=2,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
patch_size = 4
randomness = dict(seed=0)
resume = False
train_cfg = dict(max_epochs=2, type='EpochBasedTrainLoop')
train_dataloader = dict(
    batch_size=256,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='data/fashion_mnist',
        download=False,
        pipeline=[
            dict(crop_size=32, padding=4, type='RandomCrop'),
            dict(prob=0.5, type='RandomFlip'),
            dict(type='PackInputs'),
        ],
        split='train',
        type='FashionMNIST'),
    drop_last=True,
    num_workers=1,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(shuffle=True, type='DefaultSampler'))
train_pipeline = [
    dict(crop_size=32, padding=4, type='RandomCrop'),
    dict(prob=0.5, type='RandomFlip'),
    dict(type='PackInputs'),
]
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(enable=False, type='OptionalTensorboardVisBackend'),
]
visualizer = dict(
    type='UniversalVisualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
        dict(enable=False, type='OptionalTensorboardVisBackend'),
    ])
warmup_epochs = 1
work_dir = '/work/scratch/pilot/sw_lam2'
