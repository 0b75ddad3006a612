from .checkpoint_check_hook import CheckpointCheckHook
from .knn_eval_hook import KNNEvalHook
from .non_finite_loss_hook import NonFiniteLossHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'CheckpointCheckHook', 'KNNEvalHook', 'NonFiniteLossHook', 'RNGStateHook'
]
