from . import FlatDictRepository  # noqa: F401
