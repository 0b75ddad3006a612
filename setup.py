"""Install mixedae-mm: MixedAE self-supervised pre-training for OpenMMLab.

``install_requires`` holds the *ranges* the code works with
(``requirements/runtime.txt``), never exact pins, so installing the package
into an existing OpenMMLab environment leaves its torch, mmcv and mm*
alone.  The exact tested stack is ``requirements/constraints.txt``, which
only ``tools/setup_env.sh`` uses.

As OpenMMLab's packages do, the wheel carries the configs, the tools and
``model-index.yml`` under ``mixedae_mm/.mim/``, so that ``mim`` and
mmengine's ``mixedae_mm::mixedae/<config>.py`` paths find them in an
installed package.  They are copied into the build directory only; the
checkout stays as it is, and an editable install reads the checkout's own
``configs/`` (see :func:`mixedae_mm.utils.config_path`).
"""
import re
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
#: Top-level files and folders shipped under ``mixedae_mm/.mim/``.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_version() -> str:
    text = (ROOT / 'mixedae_mm' / 'version.py').read_text()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name: str) -> list:
    lines = (ROOT / 'requirements' / name).read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines
            if ln.split('#')[0].strip()]


class BuildPyWithMim(build_py):
    """``build_py`` that also copies :data:`MIM_FILES` into
    ``<build_lib>/mixedae_mm/.mim/`` (a wheel's or an sdist build's)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # an editable install reads the checkout's files
        target = Path(self.build_lib) / 'mixedae_mm' / '.mim'
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        ignore = shutil.ignore_patterns('__pycache__', '*.pyc')
        for name in MIM_FILES:
            source = ROOT / name
            if not source.exists():
                raise FileNotFoundError(
                    f'{source} is missing: a wheel of mixedae-mm ships it '
                    'under mixedae_mm/.mim/ (is MANIFEST.in complete?)')
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=ignore)
            else:
                shutil.copy2(source, target / name)


setup(
    name='mixedae-mm',
    version=read_version(),
    description='MixedAE (CVPR 2023) self-supervised pre-training as an '
    'OpenMMLab plugin for MMPretrain, MMSegmentation and MMDetection',
    long_description=(ROOT / 'README.md').read_text()
    if (ROOT / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    cmdclass={'build_py': BuildPyWithMim},
    license='Apache License 2.0',
    zip_safe=False,
)
