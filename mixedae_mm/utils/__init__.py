from .checkpoint_compat import (TRUST_ENV, InvalidCheckpointError,
                                UnsafeCheckpointError,
                                checkpoint_safe_globals,
                                drop_executable_config,
                                load_local_checkpoint,
                                register_checkpoint_loader)
from .file_hash import file_sha256
from .package_configs import (config_dir, config_path,
                              register_config_package)
from .state_dict_diff import StateDictDiff, diff_state_dicts, list_keys

__all__ = [
    'TRUST_ENV', 'InvalidCheckpointError', 'UnsafeCheckpointError',
    'checkpoint_safe_globals', 'drop_executable_config',
    'load_local_checkpoint', 'register_checkpoint_loader', 'StateDictDiff',
    'diff_state_dicts', 'list_keys', 'config_dir', 'config_path',
    'register_config_package', 'file_sha256'
]

# ``mixedae_mm::<config>`` paths for mmengine, as ``mmpretrain::``
register_config_package()
