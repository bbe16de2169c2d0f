"""fastavro's private ``fastavro._logical_readers_py`` module name (imported by its tests): the names of
``logical_readers``."""
from . import logical_readers as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
