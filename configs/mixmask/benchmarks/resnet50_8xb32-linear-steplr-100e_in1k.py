# Linear probe of a MixMask ResNet-50 on ImageNet-1k: MMPretrain's MoCo v2
# probe unchanged (frozen backbone, SGD lr 30, wd 0, 100 epochs, steps at
# 60 and 80, 256 images), which is also the official main_lincls.py recipe.
# Set the pre-training checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=<epoch_200.pth>
# (prefix='backbone.': the pre-training checkpoint loads as it is).
_base_ = 'mmpretrain::mocov2/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k.py'  # noqa: E501

custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)
