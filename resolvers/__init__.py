"""GraphQL resolvers' access to the CIS: per-request DataLoaders over the batch-first adapter."""
