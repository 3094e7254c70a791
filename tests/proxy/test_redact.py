"""Credentials masked by shape (relay.proxy.redact): wherever they ride, whatever they are called."""
import pytest

from relay.proxy.redact import mask, redact_target

KEYS = ("sk-ant-api03-AbCdEf012345_-xyz", "sk-ant-oat01-AbCdEf0123456789", "sk-proj-AbCdEf0123456789abcdef",
        "sk-AbCdEf0123456789abcdefGH", "AIzaSyAbCdEf0123456789abcdefGHIJK", "ya29.a0AbCdEf0123456789abcdef",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl")


@pytest.mark.parametrize("key", KEYS)
def test_every_credential_shape_is_masked_wherever_it_is(key):
    assert mask(f"invalid x-api-key: {key} (check it)") == "invalid x-api-key: *** (check it)"
    assert redact_target(f"/v1/models/{key}/x") == "/v1/models/***/x"
    assert redact_target(f"/v1/x?alt=sse&q={key}") == "/v1/x?alt=sse&q=***"
    encoded = "".join(f"%{b:02X}" for b in key.encode())
    assert redact_target(f"/v1/x?v={encoded}") == "/v1/x?v=***"


def test_credential_names_are_read_after_percent_decoding():
    assert redact_target("/x?%6Bey=s3cret&alt=sse") == "/x?%6Bey=***&alt=sse"
    for name in ("key", "API_KEY", "api-key", "token", "oauth_token", "access_token", "client_secret", "auth"):
        assert redact_target(f"/x?{name}=s3cret") == f"/x?{name}=***"


def test_bearer_values_and_ordinary_text_and_paths():
    assert mask("Authorization: Bearer abc.def-ghi_jkl") == "Authorization: ***"
    assert mask("claude-cli/2.1.3 (external, cli)") == "claude-cli/2.1.3 (external, cli)"
    assert mask(None) is None and mask(12) == 12
    for target in ("/v1/messages?beta=true", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
                   "/v1/tasks/desk-0123456789abcdefghij", "/v1/responses"):
        assert redact_target(target) == target
