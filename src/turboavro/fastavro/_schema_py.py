"""fastavro's private ``fastavro._schema_py`` module name (imported by its tests): the names of
``schema``."""
from . import schema as _m

globals().update({k: v for k, v in vars(_m).items() if not k.startswith("__")})
