# Fashion-MNIST for the proxy: 28 x 28 grey photographs padded to 32 x 32
# (patch 4 -> N = 64 patches), read by MMPretrain's FashionMNIST from the
# un-gzipped IDX files in data_root (`python tools/proxy.py` puts them
# there).  Training: the padding is split at random (a shift of up to 2 px)
# plus a horizontal flip; evaluation: the exact centre padding.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[72.94],  # training-set mean and std of the grey values
    std=[90.02],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),  # 28 + 2 * 4 -> 32
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs')
]
# 28 + 2 * 2 = 32: the crop has a single position, the centre
eval_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=2),
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=256,
    num_workers=1,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        pipeline=train_pipeline))

# the kNN monitor of KNNEvalHook during training: a fixed subset of the
# training images as the bank, of the test images as the queries (the
# final evaluation of tools/proxy.py uses all 60,000 / 10,000)
_eval_loader = dict(
    batch_size=500,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
knn_bank_dataloader = dict(
    **_eval_loader,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        indices=10000,
        pipeline=eval_pipeline))
knn_query_dataloader = dict(
    **_eval_loader,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        indices=2000,
        pipeline=eval_pipeline))
