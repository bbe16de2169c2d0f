"""fastavro's private ``fastavro._validation_py`` module name (imported by its tests): the names of
``validation``."""
from . import validation as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
