"""The native provider plugin: `server` serves `provider` (the front end) with `schema`.

Nothing is imported here, so that the schema's names can be read without the
gRPC server or the HTTP client.
"""
