"""Hooks for the schemathesis run against `esign serve` (scripts/schemathesis).

Schemathesis draws header values from small pools, so two generated requests often share an
Idempotency-Key with different bodies, which the API rightly refuses (422
idempotency.key_reused) and the run would count as a valid request rejected. Each call gets a
fresh key instead; the key's own rules are tested in shared/src/web/api/idempotency_tests.rs.
"""
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.headers and any(h.lower() == "idempotency-key" for h in case.headers):
        for name in [h for h in case.headers if h.lower() == "idempotency-key"]:
            del case.headers[name]
        case.headers["Idempotency-Key"] = str(uuid.uuid4())


# The PDF bodies (upload, the verification page) are sent as the raw bytes generated: the
# service answers what is no PDF with its own 4xx, never a 5xx.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
