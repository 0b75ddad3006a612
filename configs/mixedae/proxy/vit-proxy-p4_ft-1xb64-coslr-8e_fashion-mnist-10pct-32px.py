# Proxy fine-tuning on 10 % of the labels: 600 images a class (6,000), 8
# epochs (750 iterations of 64), 1 warm-up.  Set the encoder with
# --cfg-options model.backbone.init_cfg.checkpoint=<pre-training .pth>
# (tools/proxy.py does, for every row).
_base_ = './_base_/finetune_recipe.py'
train_dataloader = dict(dataset=dict(per_class=600))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=7,
        eta_min=1e-6,
        by_epoch=True,
        begin=1,
        end=8,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=8, val_interval=8)
