"""Measuring MixedAE against MMPretrain's MAE and MixMask-MoCo v2 against
its MoCo v2 (``tools/benchmark.py``)."""
from .components import (THRESHOLDS, component_breakdown,
                         explained_overhead_ms)
from .data_loader import loader_throughput
from .memory import TensorMemoryPeak, peak_memory
from .model_pair import (ARCHS, build_adamw, build_model, build_optimizer,
                         cpu_autocast, model_configs, train_step)
from .siamese_pair import (MIXMASK_MOCOV2_CONFIG, MOCOV2_CONFIG,
                           check_mixmask_batch, mixmask_breakdown,
                           mixmask_model_configs, mocov2_optim_wrapper,
                           predicted_step_time_ratio)
from .timing import time_interleaved

__all__ = [
    'THRESHOLDS', 'component_breakdown', 'explained_overhead_ms',
    'loader_throughput', 'TensorMemoryPeak', 'peak_memory', 'ARCHS',
    'build_adamw', 'build_model', 'build_optimizer', 'cpu_autocast',
    'model_configs', 'train_step', 'MIXMASK_MOCOV2_CONFIG', 'MOCOV2_CONFIG',
    'check_mixmask_batch', 'mixmask_breakdown', 'mixmask_model_configs',
    'mocov2_optim_wrapper', 'predicted_step_time_ratio', 'time_interleaved'
]
