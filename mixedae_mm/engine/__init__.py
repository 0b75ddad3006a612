from .hooks import *  # noqa: F401,F403
from .vis_backends import OptionalTensorboardVisBackend  # noqa: F401
