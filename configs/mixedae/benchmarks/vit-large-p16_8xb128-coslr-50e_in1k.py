# Fine-tune a MixedAE ViT-L/16 on ImageNet-1k: MAE's ViT-L recipe, i.e.
# what mmpretrain's
# configs/mae/benchmarks/vit-large-p16_8xb128-coslr-50e_in1k.py changes in
# the ViT-B recipe (vit-base-p16_8xb128-coslr-100e_in1k.py):
# 50 epochs (5 warm-up, then cosine to 1e-6), AdamW lr 4e-3 at 1024
# images, layer-wise lr decay 0.75, drop path 0.2.  The paper reports no
# ViT-L result.
#
# Differences from the references: as vit-base-p16_8xb128-coslr-100e_in1k.py
# (fp32 as mmpretrain's config; MAE's own fine-tuning runs AMP).
# Each model-zoo entry has its own config, vit-large-p16_mixedae-*-pre_*.py,
# that loads its pre-training; this one loads the 1600-epoch ViT-L/16.
_base_ = './vit-base-p16_8xb128-coslr-100e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(
    backbone=dict(
        arch='large',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint=pretrained)),
    head=dict(in_channels=1024))
optim_wrapper = dict(
    optimizer=dict(lr=4e-3), paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=45,
        by_epoch=True,
        begin=5,
        end=50,
        eta_min=1e-6,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=50)
