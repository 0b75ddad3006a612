# UperNet on a MixedAE ViT-B/16 for ADE20K semantic segmentation, 512x512
# crops, 160k iterations, 8 GPUs x 2 images, AMP: MAE's recipe (mmseg's
# configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py) with AdamW
# lr 1e-4, weight decay 0.05, layer-wise lr decay 0.65, drop path 0.1,
# 1500 warm-up iterations then linear (poly 1.0) decay, sliding-window
# test (stride 341).  The backbone is mmpretrain's VisionTransformer, built
# across registries, whose weights are the MixedAE encoder's: it gives the
# outputs of layers 4, 6, 8 and 12 (as feature maps at stride 16), which
# Feature2Pyramid rescales to strides 4, 8, 16 and 32.
#
# Differences from the reference (mmseg's MAE config), setting by setting:
# - No relative position bias.  mmseg's MAE backbone (BEiT's) adds one
#   table per block, zero-initialised and learned (MAE's paper turns them
#   on for this transfer); a MixedAE checkpoint has none, and mmpretrain's
#   VisionTransformer has no such option.  Absolute position embeddings
#   only, resized bicubically from 14x14 to 32x32 (as mmseg's).  Could
#   lower mIoU (relative positions help dense tasks); not measured.
# - No layer scale.  mmseg's config sets init_values=1.0: a learned
#   per-channel scale of each block's two branches, starting at 1 (the
#   identity).  Our pre-training has none, so here it could only be added
#   as new weights, not loaded; left out.  Starts from the same function;
#   training could end elsewhere, by a little, in no known direction.
# - Weight decay: as mmseg's LayerDecayOptimizerConstructor -- none on
#   one-dimensional weights (norms, biases, in backbone, neck and heads),
#   0.05 on everything else, pos_embed and cls_token included (mmseg tests
#   their bare names against 'backbone.'-prefixed ones, so they are
#   decayed).  The layer ids of the lr decay are mmseg's too (patch
#   embedding, pos_embed, cls_token x 0.65^13, block i x 0.65^(12-i), neck
#   and heads x 1).
# - AMP (AmpOptimWrapper).  mmseg's config is named for AMP but asks for
#   it with a `fp16 = dict(...)` field that mmengine no longer reads, so
#   as shipped it trains in fp32 unless started with `--amp`.  Precision
#   only; not measured.
# - CheckBatchLayoutHook refuses a run that is not 16 images per iteration
#   (on 4 GPUs: --cfg-options train_dataloader.batch_size=4).
# Each model-zoo entry has its own config,
# upernet_vit-base-p16_mixedae-*-pre_*.py, that loads its pre-training;
# this one loads the 1600-epoch ViT-B/16.
_base_ = [
    'mmseg::_base_/models/upernet_mae.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='base',
        img_size=crop_size,
        patch_size=16,
        out_indices=(3, 5, 7, 11),
        out_type='featmap',
        final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(embed_dim=768, rescales=[4, 2, 1, 0.5]),
    decode_head=dict(
        in_channels=[768, 768, 768, 768], channels=768, num_classes=150),
    auxiliary_head=dict(in_channels=768, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))

optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='BackboneLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.65,
        flat_decay_mult=0.0))  # mmseg's rule: no decay on 1-d weights only
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
        end=1500),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        by_epoch=False,
        begin=1500,
        end=160000)
]

# mmseg collates with pseudo_collate; said here so that tools/train.py
# (MMPretrain's arguments, default_collate) does the same
train_dataloader = dict(
    batch_size=2, collate_fn=dict(type='pseudo_collate'))
val_dataloader = dict(batch_size=1, collate_fn=dict(type='pseudo_collate'))
test_dataloader = val_dataloader

# Fail the run unless every encoder weight was loaded (`ln1`, the final
# norm, and `segment_embed` are not used on purpose), and unless it has
# the 8 x 2 images per iteration the 160k iterations are written for.
custom_hooks = [
    dict(type='CheckPretrainedWeightsHook', allowed_unexpected=['ln1.*']),
    dict(
        type='CheckBatchLayoutHook',
        images_per_iter=16,
        hint='Keep 16 images per iteration: train_dataloader.batch_size = '
        '16 / number of GPUs.'),
]

# Logs: mmengine's LocalVisBackend and its TensorBoard backend, off by
# default; on with --cfg-options visualizer.vis_backends.1.enable=True
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend', enable=False),
]
visualizer = dict(vis_backends=vis_backends)
