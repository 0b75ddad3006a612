"""Install mixedae-mm: MixedAE self-supervised pre-training for OpenMMLab."""
import re
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


def read_version() -> str:
    text = (ROOT / 'mixedae_mm' / 'version.py').read_text()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name: str) -> list:
    lines = (ROOT / 'requirements' / name).read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines
            if ln.split('#')[0].strip()]


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
    install_requires=[
        r for r in read_requirements('constraints.txt')
        if not r.startswith('setuptools')
    ] + read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
