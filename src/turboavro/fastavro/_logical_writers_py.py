"""fastavro's private ``fastavro._logical_writers_py`` module name (imported by its tests): the names of
``logical_writers``."""
from . import logical_writers as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
