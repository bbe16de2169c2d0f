"""fastavro's private ``fastavro._read_py`` module name (imported by its tests): the names of
``_read``."""
from . import _read as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
