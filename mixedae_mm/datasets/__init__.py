from .class_balanced_subset import ClassBalancedSubset, class_balanced_indices
from .demo_photographs import DEMO_CONFIG, FIGURE_IMAGES, export_demo_images
from .fashion_mnist import (FASHION_MNIST_FILES, FashionMNISTNotFound,
                            prepare_fashion_mnist)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'ClassBalancedSubset', 'class_balanced_indices',
    'DEMO_CONFIG', 'FIGURE_IMAGES', 'export_demo_images',
    'FASHION_MNIST_FILES', 'FashionMNISTNotFound', 'prepare_fashion_mnist'
]
