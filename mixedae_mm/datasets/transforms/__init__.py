from .loading import CheckedLoadImageFromFile

__all__ = ['CheckedLoadImageFromFile']
