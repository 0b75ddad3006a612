# Proxy fine-tuning on 1 % of the labels: 60 images a class (600), 50
# epochs (470 iterations of 64), 5 warm-up.  Set the encoder with
# --cfg-options model.backbone.init_cfg.checkpoint=<pre-training .pth>
# (tools/proxy.py does, for every row).
_base_ = './_base_/finetune_recipe.py'
train_dataloader = dict(dataset=dict(per_class=60))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=45,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=50,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=50, val_interval=50)
