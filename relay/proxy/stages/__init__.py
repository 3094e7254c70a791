"""Request stages, one module each; relay/proxy/pipeline.default_stages() builds them from the settings."""
