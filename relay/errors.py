"""Errors that speak to users: a message, a hint for what to do, and an HTTP status for the API."""


class RelayError(Exception):
    status = 500

    def __init__(self, message, hint=None, status=None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if status is not None:
            self.status = status


class ConfigError(RelayError):
    status = 400


class UpstreamError(RelayError):
    status = 502


class SessionParseError(RelayError):
    status = 422


class NotFound(RelayError):
    status = 404
