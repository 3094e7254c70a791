"""Gemini Code Assist (Gemini CLI logged in with a Google account): what relay reads from the
`/v1internal:<method>` calls. Pure, no I/O; the same interface as providers.anthropic.

The model calls are `:generateContent` and `:streamGenerateContent?alt=sse`. Unlike the API-key
path, the model and the session travel in the body: {"model", "project", "user_prompt_id",
"request": {"contents", ..., "session_id"}}. Each answer (each SSE chunk) wraps a Gemini API
response as {"response": <GenerateContentResponse>, "traceId": ...}, read by providers.gemini.
`:retrieveUserQuota` answers {"buckets": [{"modelId", "tokenType", "remainingFraction",
"resetTime", "remainingAmount"}]}: recorded as `code-assist-quota-<model>-<field>` values beside the
rate-limit headers, which relay.costs.quota turns into per-model buckets. The other calls
(loadCodeAssist, onboardUser, listExperiments ...) pass through unread.
"""
from relay.proxy.providers import gemini
from relay.proxy.providers.common import json_object

PROVIDER = "gemini"            # the wire API of its model calls: usage and prices as Gemini's
WIRE_NAME = "code_assist"
QUOTA_PREFIX = "code-assist-quota-"
ratelimit_headers = gemini.ratelimit_headers
error_body = gemini.error_body
_BUCKET_FIELDS = (("remainingFraction", "remaining-fraction"), ("resetTime", "reset-time"),
                  ("remainingAmount", "remaining-amount"))


def path_method(path):
    """"streamGenerateContent" from "/v1internal:streamGenerateContent?alt=sse"; None without one."""
    target = (path or "").split("?")[0]
    return target.rpartition(":")[2] or None if ":" in target else None


def request_meta(body, headers, path=None):
    """(model, stream, session_id) from the body and the method in the path."""
    stream = path_method(path) == "streamGenerateContent"
    data = json_object(body)
    if data is None:
        return None, stream, None
    model = data.get("model") if isinstance(data.get("model"), str) else None
    request = data.get("request") if isinstance(data.get("request"), dict) else {}
    session_id = request.get("session_id")
    return model, stream, session_id if isinstance(session_id, str) and session_id else None


def quota_values(data):
    """The code-assist-quota-* values of a retrieveUserQuota answer ({} when it is not one)."""
    buckets = data.get("buckets") if isinstance(data, dict) else None
    found = {}
    for bucket in buckets if isinstance(buckets, list) else ():
        if not isinstance(bucket, dict) or not isinstance(bucket.get("modelId"), str):
            continue
        name = bucket["modelId"]
        kind = bucket.get("tokenType")
        if isinstance(kind, str) and kind and kind != "REQUESTS":
            name += "/" + kind.lower()
        for field, suffix in _BUCKET_FIELDS:
            if isinstance(bucket.get(field), (int, float, str)) and not isinstance(bucket.get(field), bool):
                found[f"{QUOTA_PREFIX}{name}-{suffix}"] = str(bucket[field])
    return found


class ResponseReader(gemini.ResponseReader):
    def on_document(self, data):
        self.quota.update(quota_values(data))
        super().on_document(data)

    def _on_chunk(self, data):
        wrapped = data.get("response")
        super()._on_chunk(wrapped if isinstance(wrapped, dict) and "error" not in data else data)
