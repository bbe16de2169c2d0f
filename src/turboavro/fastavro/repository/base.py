from . import AbstractSchemaRepository, SchemaRepositoryError  # noqa: F401
