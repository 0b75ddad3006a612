"""Find the configs of an installed mixedae-mm, as mm* packages do.

A wheel of mixedae-mm ships ``configs/``, ``tools/`` and
``model-index.yml`` under ``mixedae_mm/.mim/`` (see ``setup.py``), the
layout of OpenMMLab's own packages that ``mim`` and mmengine read.  A
checkout (or an editable install of one) has them at its root instead.
"""
import os.path as osp
from typing import Optional

__all__ = [
    'CONFIG_SCHEME', 'config_dir', 'config_path', 'register_config_package'
]

#: The prefix of a config path inside this package, as in ``mmpretrain::``.
CONFIG_SCHEME = 'mixedae_mm::'

_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_dir(package_dir: Optional[str] = None) -> str:
    """The folder that holds ``mixedae/``, ``_base_/`` and the other
    configs.

    Args:
        package_dir (str, optional): The ``mixedae_mm`` package folder.
            Defaults to the one this module belongs to.

    Returns:
        str: ``<package>/.mim/configs`` in an installed wheel, else the
        ``configs/`` folder next to the package (a checkout).

    Raises:
        FileNotFoundError: Neither exists; the message names both.
    """
    package_dir = package_dir or _PACKAGE_DIR
    candidates = (osp.join(package_dir, '.mim', 'configs'),
                  osp.join(osp.dirname(package_dir), 'configs'))
    for candidate in candidates:
        if osp.isdir(candidate):
            return candidate
    raise FileNotFoundError(
        f'no configs in {candidates[0]} (an installed wheel) nor in '
        f'{candidates[1]} (a checkout): reinstall mixedae-mm from a wheel '
        'or an sdist built with its setup.py.')


def config_path(name: str, package_dir: Optional[str] = None) -> str:
    """The file of a config given by its path relative to ``configs/``.

    Args:
        name (str): E.g. ``'mixedae/mixedae_vit-tiny-p8_1xb16-60i_demo-
            64px.py'``, with or without the ``mixedae_mm::`` prefix.
        package_dir (str, optional): See :func:`config_dir`.

    Returns:
        str: The absolute path of the config file.

    Raises:
        FileNotFoundError: No such config; the message names the folder
            that was searched.
    """
    if name.startswith(CONFIG_SCHEME):
        name = name[len(CONFIG_SCHEME):]
    root = config_dir(package_dir)
    path = osp.join(root, name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'no config {name!r} in {root}; the model zoo is listed in '
            f'{osp.join(root, "mixedae", "README.md")}.')
    return path


def register_config_package() -> None:
    """Let mmengine resolve ``mixedae_mm::<path>`` like ``mmpretrain::``.

    mmengine maps the module names it accepts before ``::`` to their pip
    names in ``mmengine.config.utils.MODULE2PACKAGE`` and then reads the
    installed package's ``.mim/`` (``model-index.yml``, ``configs/``).
    Adding ``mixedae_mm`` there makes
    ``mmengine.hub.get_config('mixedae_mm::mixedae/<config>.py')`` work once
    :mod:`mixedae_mm` is imported, for a wheel install (an editable install
    has no ``.mim``: :func:`config_path` serves both).
    """
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault('mixedae_mm', 'mixedae-mm')
