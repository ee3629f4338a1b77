"""The GraphQL schema of coop-gateway: ``schema.root.build_schema()`` makes it.

Nothing is imported here: ``resolvers`` modules import ``schema.errors``, and a package that
built the whole schema on import would import ``resolvers`` back, half-imported.
"""
