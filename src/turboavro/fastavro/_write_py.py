"""fastavro's private ``fastavro._write_py`` module name (imported by its tests): the names of
``_write``."""
from . import _write as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
