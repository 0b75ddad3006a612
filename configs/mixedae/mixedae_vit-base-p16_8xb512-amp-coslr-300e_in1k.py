# MixedAE ViT-B/16, 300 epochs on ImageNet-1k, 8 GPUs x 512 images, AMP.
# MAE's recipe: AdamW, lr 1.5e-4 x total_batch / 256, betas (0.9, 0.95),
# weight decay 0.05, 40 warm-up epochs, cosine schedule.
_base_ = [
    '../_base_/models/mixedae_vit-base-p16.py',
    '../_base_/datasets/imagenet_bs512_mixedae.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW',
        lr=1.5e-4 * 4096 / 256,
        betas=(0.9, 0.95),
        weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'segment_embed': dict(decay_mult=0.),
        }))

max_epochs = 300
warmup_epochs = 40
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.0001,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    # only keeps the latest 3 checkpoints
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))

randomness = dict(seed=0, diff_rank_seed=True)

# auto resume from the latest checkpoint of work_dir
resume = True

# lr above is for 8 GPUs x 512 = 4096 images; `--auto-scale-lr` rescales it
auto_scale_lr = dict(base_batch_size=4096)
