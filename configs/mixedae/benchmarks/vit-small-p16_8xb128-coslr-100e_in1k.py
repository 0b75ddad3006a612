# Fine-tune a MixedAE ViT-S/16 (mmpretrain arch 'deit-s': 384 dims, 12
# blocks, 6 heads) on ImageNet-1k.  Neither MAE nor the paper publish a
# ViT-S recipe; our choice is the ViT-B recipe unchanged
# (vit-base-p16_8xb128-coslr-100e_in1k.py: 100 epochs, lr 2e-3 at 1024
# images, layer decay 0.65 over the same 12 blocks, drop path 0.1), only
# the width differs.  Untested at this size: lighter ViTs are often
# fine-tuned longer and with less regularisation, so this may not be the
# best ViT-S number.
# Each model-zoo entry has its own config, vit-small-p16_mixedae-*-pre_*.py,
# that loads its pre-training; this one loads the 300-epoch ViT-S/16.
_base_ = './vit-base-p16_8xb128-coslr-100e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-small-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(
    backbone=dict(arch='deit-s', init_cfg=dict(checkpoint=pretrained)),
    head=dict(in_channels=384))
