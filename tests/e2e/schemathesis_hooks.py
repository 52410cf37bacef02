"""Schemathesis hooks for Missive (loaded via SCHEMATHESIS_HOOKS by test_schemathesis.py).

Schemathesis generates requests from openapi/missive.yaml. A few properties of valid
requests cannot be expressed in JSON Schema, so generated "positive" (schema-valid)
requests would be rejected by a correct server and reported as `positive_data_acceptance`
failures. These hooks fix exactly those values - and nothing else - right before each call:

1. Documents. The spec can only say "a string with contentMediaType application/pdf";
   the server (correctly) validates that the bytes are a PDF. Every generated `document`
   / `attachment` string (multipart) and `content` string (JSON, base64) is replaced by a
   real minimal PDF. Negative cases stay negative: only values that are strings are
   replaced, so a missing part or a non-string stays as generated, and schemathesis
   re-validates the edited case against the schema before sending (see
   `Case.call` -> `_revalidate_metadata`), so the positive/negative label stays correct.

2. Idempotency-Key. Each generated key must be new: the same key with a different body is
   a 422 by design, and hypothesis happily generates the key "0" many times. In positive
   cases the key is replaced by a unique one (still 1..255 printable ASCII). Negative cases
   are left alone: there a 422 is an expected answer anyway, and editing the headers of,
   e.g., the "Authorization missing" scenario would make schemathesis re-label it positive
   and send its default Authorization header again.

3. Opaque cursors (`cursor` on list operations, `after` on the event feed and the inbox
   feed). Only a value the server handed out is a valid cursor; a random string is
   correctly a 400. Schema-valid random cursors are dropped from the query (the request
   stays schema-valid); too long ones are kept (they must still be rejected).

4. Webhook event types. A subscription in a SOAP format cannot carry the business inbox's
   `letter.received` (a rule across two fields; `422 invalid_field`). In positive cases
   with a SOAP format, `letter.received` is taken out of `eventTypes`.
"""

from __future__ import annotations

import base64
import sys
import uuid
from pathlib import Path

import schemathesis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from missive_testkit import make_pdf  # noqa: E402

# ASCII-only so that it stays a `str` (schemathesis treats bytes in a body as binary and
# would relabel the case as negative).
PDF_TEXT = make_pdf("schemathesis", binary_padding=False).decode("ascii")
PDF_B64 = base64.b64encode(PDF_TEXT.encode("ascii")).decode("ascii")

CURSOR_PARAMS = {"cursor": 128, "after": 64}  # name -> spec maxLength


def _fix_document(value):
    return PDF_TEXT if isinstance(value, (str, bytes)) else value


def _fix_inline(doc):
    if isinstance(doc, dict) and isinstance(doc.get("content"), str):
        return {**doc, "content": PDF_B64}
    return doc


@schemathesis.hook
def before_call(context, case, kwargs):
    # 1. documents
    if case.method.upper() == "POST" and case.path == "/v1/envelopes" and isinstance(case.body, dict):
        media = (case.media_type or "").lower()
        if media.startswith("multipart/"):
            if "document" in case.body:
                case.body["document"] = _fix_document(case.body["document"])
            # Only a list is a schema-valid `attachment`. A lone string is a negative case
            # ("incorrect type") that looks like a one-item list on the wire; leave its
            # random (non-PDF) content, so the server's 422 still rejects it.
            if isinstance(case.body.get("attachment"), list):
                case.body["attachment"] = [_fix_document(v) for v in case.body["attachment"]]
        elif "json" in media:
            if "document" in case.body:
                case.body["document"] = _fix_inline(case.body["document"])
            if isinstance(case.body.get("attachments"), list):
                case.body["attachments"] = [_fix_inline(d) for d in case.body["attachments"]]

    # 2. Idempotency-Key (positive cases only, see above)
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and case.headers:
        for name in list(case.headers):
            if name.lower() == "idempotency-key":
                value = case.headers[name]
                if isinstance(value, str) and 1 <= len(value) <= 255:
                    case.headers[name] = f"st-{uuid.uuid4().hex}"

    # 3. opaque cursors
    if case.query:
        for name, max_len in CURSOR_PARAMS.items():
            value = case.query.get(name)
            if isinstance(value, str) and len(value) <= max_len:
                del case.query[name]

    # 4. letter.received only with the standard-webhooks format (positive cases only)
    if positive and case.method.upper() == "POST" and case.path == "/v1/webhooks" and isinstance(case.body, dict):
        types = case.body.get("eventTypes")
        if str(case.body.get("format", "")).startswith("soap") and isinstance(types, list) and "letter.received" in types:
            case.body["eventTypes"] = [t for t in types if t != "letter.received"]


@schemathesis.serializer("application/pdf")
def pdf_part(ctx, value) -> bytes:
    """Multipart `document`/`attachment` parts are declared `application/pdf`. In negative
    cases schemathesis may generate a non-string for them (a number, an object); it then has
    no serializer for the part and reports "Serialization not possible" instead of sending
    the request. Send such values as their JSON text: still not a PDF, so still negative."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    import json
    return json.dumps(value).encode("utf-8")
