"""Measuring MixedAE against MMPretrain's MAE (``tools/benchmark.py``)."""
from .components import (THRESHOLDS, component_breakdown,
                         explained_overhead_ms)
from .data_loader import loader_throughput
from .memory import TensorMemoryPeak, peak_memory
from .model_pair import (ARCHS, build_adamw, build_model, cpu_autocast,
                         model_configs, train_step)
from .timing import time_interleaved

__all__ = [
    'THRESHOLDS', 'component_breakdown', 'explained_overhead_ms',
    'loader_throughput', 'TensorMemoryPeak', 'peak_memory', 'ARCHS',
    'build_adamw', 'build_model', 'cpu_autocast', 'model_configs',
    'train_step', 'time_interleaved'
]
