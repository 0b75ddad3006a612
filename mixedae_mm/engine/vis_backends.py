"""mmengine's TensorBoard backend behind a config switch."""
from typing import Optional

from mmengine.registry import VISBACKENDS
from mmengine.visualization import TensorboardVisBackend

__all__ = ['OptionalTensorboardVisBackend']


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """:class:`~mmengine.visualization.TensorboardVisBackend`, switched off
    unless ``enable=True``.

    A config cannot append to a list from the command line, so the configs
    of mixedae-mm list this backend after mmengine's ``LocalVisBackend``
    and one option switches TensorBoard on for any train script (ours,
    MMSegmentation's, MMDetection's)::

        --cfg-options visualizer.vis_backends.1.enable=True

    Switched on, it is mmengine's backend unchanged: the runner's scalars
    (losses, lr, ...), the config and the visualisation images go to an
    event file in ``<work_dir>/<timestamp>/vis_data/``.  Switched off, it
    writes nothing and needs no ``tensorboard`` package.

    Args:
        save_dir (str): The folder of the event file (set by the
            Visualizer).
        enable (bool): Write to TensorBoard. Defaults to False.

    Raises:
        ImportError: ``enable=True`` but ``tensorboard`` is not installed.
    """

    def __init__(self, save_dir: str, enable: bool = False) -> None:
        super().__init__(save_dir)
        self.enable = enable
        if enable:
            try:
                import torch.utils.tensorboard  # noqa: F401
            except ImportError as e:
                raise ImportError(
                    'the TensorBoard backend is switched on (enable=True) '
                    'but tensorboard is not installed: pip install '
                    'tensorboard, or leave visualizer.vis_backends.1.enable '
                    'False') from e

    @property
    def experiment(self) -> Optional[object]:
        """The ``SummaryWriter``; None while switched off."""
        return super().experiment if self.enable else None

    def add_config(self, config, **kwargs) -> None:
        if self.enable:
            super().add_config(config, **kwargs)

    def add_image(self, name, image, step: int = 0, **kwargs) -> None:
        if self.enable:
            super().add_image(name, image, step, **kwargs)

    def add_scalar(self, name, value, step: int = 0, **kwargs) -> None:
        if self.enable:
            super().add_scalar(name, value, step, **kwargs)

    def add_scalars(self,
                    scalar_dict: dict,
                    step: int = 0,
                    file_path: Optional[str] = None,
                    **kwargs) -> None:
        if self.enable:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)
