# The COCO Mask R-CNN recipe of
# mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py on 8 GPUs,
# kept whole: 64 images per optimizer step, lr 1e-4, 100 epochs.  Each GPU
# holds 4 images, as in the 16-GPU layout, and accumulates the gradients
# of 2 iterations before a step (`accumulative_counts=2`).  mmengine's
# schedulers and loops count iterations, not steps, so every iteration
# count is doubled: 368750 iterations = 184375 steps of 64 images = 100
# epochs, warm-up 500 (250 steps), lr x 0.1 at epochs 88 and 96,
# evaluation and checkpoints every 10000 (5000 steps).
#
# Why accumulation, not the linear rule (32 images per step, lr 5e-5,
# twice the steps) nor 8 images per GPU: it is the reference's batch and
# lr exactly.  mmengine divides each iteration's loss by 2 and DDP
# averages over 8 GPUs, so a step follows the mean of 16 four-image
# losses, as on 16 GPUs; no layer of this model sees the batch (LayerNorm
# only).  A GPU holds what it holds in the 16-GPU layout; 8 images per GPU
# would double the activations, which with global attention at 1024 px we
# could not measure (no GPU here).  It takes about twice the wall time of
# the 16-GPU run.  A run that is not 8 processes x 4 images with 2
# accumulated iterations is refused (CheckBatchLayoutHook).
_base_ = './mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py'

accumulative_counts = 2
# iterations: the 16-GPU schedule's, times the accumulation
max_iters = 184375 * accumulative_counts
interval = 5000 * accumulative_counts
optim_wrapper = dict(accumulative_counts=accumulative_counts)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=250 * accumulative_counts),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[163889 * accumulative_counts,
                    177546 * accumulative_counts],  # epochs 88 and 96
        gamma=0.1)
]
train_cfg = dict(
    max_iters=max_iters,
    val_interval=interval,
    dynamic_intervals=[(max_iters // interval * interval + 1, max_iters)])
default_hooks = dict(
    logger=dict(interval=50 * accumulative_counts),
    checkpoint=dict(interval=interval))
# mmengine's `--auto-scale-lr` counts processes x batch, not the
# accumulation: 8 x 4 = 32 keeps lr 1e-4 on 8 GPUs
auto_scale_lr = dict(base_batch_size=32)

custom_hooks = [
    dict(type='CheckPretrainedWeightsHook', allowed_unexpected=['ln1.*']),
    dict(
        type='CheckBatchLayoutHook',
        images_per_iter=32,
        accumulative_counts=accumulative_counts,
        hint='This config is for 8 GPUs x 4 images, accumulating 2 '
        'iterations per step.  On 16 GPUs use the *_16xb4-amp-lsj-100e_coco'
        '.py config of this backbone (for another pre-training than its '
        'default: --cfg-options model.backbone.init_cfg.checkpoint=FILE).'),
]
