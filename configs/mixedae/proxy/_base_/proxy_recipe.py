# The one recipe every row of the proxy shares: MAE's optimiser (AdamW,
# betas (0.9, 0.95), weight decay 0.05, no decay on norms, biases and
# embeddings), a 1-epoch linear warm-up, cosine decay, batch 256 on one
# process; the kNN monitor every epoch.  tools/proxy.py changes the number
# of epochs (and the schedule with it) for all rows alike.
_base_ = [
    './fashion-mnist_32px.py',
    '../../../_base_/default_runtime.py',
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1.5e-3, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'segment_embed': dict(decay_mult=0.),
        }))

max_epochs = 6
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
        features=('cls', 'mean'),
        k=20,
        temperature=0.07),
]

env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
