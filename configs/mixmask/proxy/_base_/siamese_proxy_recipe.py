# The one recipe both Siamese rows of the proxy share (MoCo v2 and MoCo v2 +
# MixMask): the proxy's Fashion-MNIST data (28 px padded to 32, grey), two
# MoCo v2 views adapted to grey 32 px images (random resized crop of 20-100%
# of the area and a horizontal flip; no colour jitter, grey-scale or blur:
# MMPretrain's ColorJitter needs 3 channels), SGD (lr 0.03, MoCo v2's for a
# batch of 256; momentum 0.9, wd 5e-4), batch 256 on one process, a 1-epoch
# linear warm-up and cosine decay; the kNN monitor every epoch on the
# global-average-pooled last stage.
# The warm-up is not optional: from the full lr at step 0 the embeddings
# collapse within 10 iterations (emb_std 0.0005 for MoCo v2 + MixMask,
# whose loss puts twice MoCo's weight on the contrastive term; see
# docs/mixmask.md, "What the collapse was").
# tools/proxy.py --family siamese changes the number of epochs (and the
# schedule with it) for both rows alike.
_base_ = [
    '../../../mixedae/proxy/_base_/fashion-mnist_32px.py',
    '../../../_base_/default_runtime.py',
]

view_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=2),  # 28 + 2 * 2 = 32
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.)),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=5e-4))

max_epochs = 2
warmup_epochs = 1
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-5,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))

custom_hooks = [
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
    dict(
        type='KNNEvalHook',
        bank_dataloader={{_base_.knn_bank_dataloader}},
        query_dataloader={{_base_.knn_query_dataloader}},
        features=('mean', ),
        k=20,
        temperature=0.07),
]

env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
