from .checkpoint_check_hook import CheckpointCheckHook
from .non_finite_loss_hook import NonFiniteLossHook
from .rng_state_hook import RNGStateHook

__all__ = ['CheckpointCheckHook', 'NonFiniteLossHook', 'RNGStateHook']
