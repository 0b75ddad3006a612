# Runtime shared by every mixedae-mm config: mmpretrain's defaults, plus the
# import that registers MixedAE's classes.
custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

# mixedae-mm's hooks: refuse a checkpoint of another model before loading
# it, stop on a non-finite loss before it is checkpointed, and keep the
# random generators' state in checkpoints so --resume continues exactly
custom_hooks = [
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# Logs: mmengine's LocalVisBackend (vis_data/*.json) and its TensorBoard
# backend, off by default; switch it on with
#   --cfg-options visualizer.vis_backends.1.enable=True
# and look with `tensorboard --logdir work_dirs/` (pip install tensorboard).
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend', enable=False),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
