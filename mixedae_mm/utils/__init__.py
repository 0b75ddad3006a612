from .checkpoint_compat import (load_local_checkpoint,
                                register_checkpoint_loader)
from .state_dict_diff import StateDictDiff, diff_state_dicts, list_keys

__all__ = [
    'load_local_checkpoint', 'register_checkpoint_loader', 'StateDictDiff',
    'diff_state_dicts', 'list_keys'
]
