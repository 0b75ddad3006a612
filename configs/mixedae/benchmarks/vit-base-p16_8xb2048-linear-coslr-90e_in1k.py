# Linear probing of a frozen MixedAE ViT-B/16 on ImageNet-1k: MAE's
# recipe, i.e. mmpretrain's
# configs/mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py
# (90 epochs, 8 GPUs x 2048 images, LARS lr 6.4 without weight decay, AMP,
# a BatchNorm without affine weights before the linear head on the cls
# token after the final norm, 10 warm-up epochs then cosine).
#
# Differences from the references, setting by setting:
# - `auto_scale_lr.base_batch_size` is 16384, the batch lr 6.4 is written
#   for; mmpretrain's config inherits 1024 from a Swin schedule, so there
#   `--auto-scale-lr` multiplies the lr by 16 on 8 GPUs.
# - mmpretrain's data pipeline (kept) resizes bilinearly: RandomResizedCrop
#   and the 256-px test resize; MAE's linear probing resizes bicubically.
#   Could move top-1 a little, in no known direction; not measured.
# Each model-zoo entry has its own config, vit-base-p16_mixedae-*-pre_*.py,
# that loads its pre-training; this one loads the 1600-epoch ViT-B/16.
_base_ = 'mmpretrain::mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'  # noqa: E501
custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

# lr 6.4 is for 8 GPUs x 2048 = 16384 images; `--auto-scale-lr` multiplies
# it by (total batch / 16384)
auto_scale_lr = dict(base_batch_size=16384)

# every encoder weight must be loaded (but the pre-training-only ones)
custom_hooks = [dict(type='CheckPretrainedWeightsHook')]

# Logs: mmengine's LocalVisBackend and its TensorBoard backend, off by
# default; on with --cfg-options visualizer.vis_backends.1.enable=True
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend', enable=False),
]
visualizer = dict(vis_backends=vis_backends)
