"""Green Button "Download My Data": an account's usage as an ESPI Atom feed or as CSV
(``route`` serves them)."""

# The schema first: ``resolvers`` modules import ``schema.errors``, whose package builds the
# whole schema, which imports ``resolvers`` back; started from ``resolvers``, that cycle
# finds them half-imported.
import schema as _schema  # noqa: F401
