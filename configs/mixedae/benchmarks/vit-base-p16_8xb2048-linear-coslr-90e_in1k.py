# Linear probing of a frozen MixedAE ViT-B/16 on ImageNet-1k: MAE's
# recipe, i.e. mmpretrain's
# configs/mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py
# (90 epochs, 8 GPUs x 2048 images, LARS lr 6.4, a BatchNorm before the
# linear head on the cls token, 10 warm-up epochs then cosine).
_base_ = 'mmpretrain::mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'  # noqa: E501
custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

# every encoder weight must be loaded (but the pre-training-only ones)
custom_hooks = [dict(type='CheckPretrainedWeightsHook')]

# Logs: mmengine's LocalVisBackend and its TensorBoard backend, off by
# default; on with --cfg-options visualizer.vis_backends.1.enable=True
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend', enable=False),
]
visualizer = dict(vis_backends=vis_backends)
