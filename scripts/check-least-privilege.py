#!/usr/bin/env python3
"""Least privilege in the service's template: each function's role may do what its use cases
do and nothing around it. Probes name an action on a concrete object or table key and say
whether the function's policies must allow it; the policies are read from the template (the
function's inline statements and the managed policies it references) and evaluated the way IAM
matches (wildcards in actions and resources; StringLike/StringEquals conditions, with
ForAllValues for dynamodb:LeadingKeys). No AWS account needed.

usage: check-least-privilege.py TEMPLATE   (exits 1 listing every probe that fails)
"""
import fnmatch
import sys

import cfn_yaml


ARCHIVE = "${ArchiveBucket.Arn}/tenants/kommun"
ORDER = f"{ARCHIVE}/orders/0b7c5a54-2f1e-4b7a-9a57-1d2f3e4a5b6c"
EVIDENCE = f"{ORDER}/v1/evidence/9f8e7d6c-bankid-order-ref.json"
ORIGINAL = f"{ARCHIVE}/documents/{'ab' * 32}/original.pdf"
TABLE = "Table.Arn"

# (function, action, resource, dynamodb leading key or None, must be allowed?)
PROBES = []


def probe(functions, action, resource, allowed, key=None):
    for f in functions.split():
        PROBES.append((f, action, resource, key, allowed))


ALL = "Upload CreateSigningOrder BankidCollect Seal Publish ArchiveExport Housekeeping"
PIPELINE = "Seal Publish ArchiveExport"

# Files: each function writes only what it makes, and reads only what it uses.
probe("BankidCollect", "s3:PutObject", EVIDENCE, True)
probe("BankidCollect", "s3:GetObject", EVIDENCE, True)
probe("BankidCollect", "s3:GetObject", ORIGINAL, True)
# The public verification page checks the archive version kept for an order (never hands it out).
probe("BankidCollect", "s3:GetObject", f"{ORDER}/archive.pdf", True)
probe("BankidCollect", "s3:GetObject", f"{ORDER}/sip.zip", False)
for name in ["archive.pdf", "publication.pdf", "notice.json", "sip.zip"]:
    probe("BankidCollect", "s3:PutObject", f"{ORDER}/{name}", False)
probe("CreateSigningOrder", "s3:GetObject", EVIDENCE, False)
for name in ["archive.pdf", "publication.pdf", "notice.json", "notice.html", "sip.zip"]:
    probe("CreateSigningOrder", "s3:GetObject", f"{ORDER}/{name}", True)
probe("CreateSigningOrder Upload Housekeeping", "s3:PutObject", f"{ORDER}/archive.pdf", False)
probe("Upload", "s3:PutObject", ORIGINAL, True)
probe("Seal", "s3:GetObject", ORIGINAL, True)
probe("Seal", "s3:GetObject", EVIDENCE, True)
probe("Seal", "s3:PutObject", f"{ORDER}/archive.pdf", True)
probe("Seal", "s3:GetObject", f"{ORDER}/archive.pdf", True)
probe("Seal", "s3:PutObject", EVIDENCE, False)
probe("Seal", "s3:PutObject", f"{ORDER}/sip.zip", False)
probe("Publish", "s3:GetObject", ORIGINAL, True)
for name in ["publication.pdf", "notice.json", "notice.html"]:
    probe("Publish", "s3:PutObject", f"{ORDER}/{name}", True)
probe("Publish", "s3:PutObject", f"{ORDER}/archive.pdf", False)
probe("Publish", "s3:GetObject", EVIDENCE, False)
probe("ArchiveExport", "s3:GetObject", f"{ORDER}/archive.pdf", True)
probe("ArchiveExport", "s3:GetObject", EVIDENCE, True)
probe("ArchiveExport", "s3:PutObject", f"{ORDER}/sip.zip", True)
# The package is read back before the order is exported; delivery form b (signatures removed)
# is made from the original.
probe("ArchiveExport", "s3:GetObject", f"{ORDER}/sip.zip", True)
probe("ArchiveExport", "s3:GetObject", ORIGINAL, True)
# The delivery to the e-archive: the package and its manifest, by the export function only.
for name in ["uuid-0123.zip", "uuid-0123.json"]:
    probe("ArchiveExport", "s3:PutObject", f"${{ArchiveBucket.Arn}}/exports/kommun/{name}", True)
    probe("Upload CreateSigningOrder BankidCollect Seal Publish Housekeeping", "s3:PutObject",
          f"${{ArchiveBucket.Arn}}/exports/kommun/{name}", False)
probe("ArchiveExport", "s3:PutObject", f"{ORDER}/archive.pdf", False)
probe(PIPELINE, "s3:PutObject", ORIGINAL, False)

# The table: every function writes the tenant's records and the personal-data key ring;
# tenants are written by administrators; staff and API keys also by the admin API (the upload
# function writes a key's last use); nothing deletes an API key (it is revoked).
probe(ALL, "dynamodb:PutItem", TABLE, True, key="T#kommun")
probe(ALL, "dynamodb:PutItem", TABLE, True, key="KEYRING")
for who in ["TENANT#kommun", "TENANTS"]:
    probe(ALL, "dynamodb:PutItem", TABLE, False, key=who)
    probe(ALL, "dynamodb:DeleteItem", TABLE, False, key=who)
probe("Upload CreateSigningOrder", "dynamodb:PutItem", TABLE, True, key="APIKEY#0123")
probe("BankidCollect " + PIPELINE + " Housekeeping", "dynamodb:PutItem", TABLE, False, key="APIKEY#0123")
probe(ALL, "dynamodb:DeleteItem", TABLE, False, key="APIKEY#0123")
# Calls under an Idempotency-Key: the two functions that take creating calls.
for action in ["dynamodb:PutItem", "dynamodb:DeleteItem"]:
    probe("Upload CreateSigningOrder", action, TABLE, True, key="IDEM#0123")
    probe("BankidCollect " + PIPELINE + " Housekeeping", action, TABLE, False, key="IDEM#0123")
probe("CreateSigningOrder", "dynamodb:PutItem", TABLE, True, key="STAFF#0123")
probe("CreateSigningOrder", "dynamodb:PutItem", TABLE, True, key="SIGNER#0123")
probe(
    "Upload BankidCollect Seal Publish ArchiveExport Housekeeping",
    "dynamodb:PutItem",
    TABLE,
    False,
    key="STAFF#0123",
)
for key in ["SESSION#0123", "EID#0123"]:
    probe("BankidCollect", "dynamodb:PutItem", TABLE, True, key=key)
    probe("BankidCollect", "dynamodb:DeleteItem", TABLE, True, key=key)
    probe("Upload CreateSigningOrder " + PIPELINE + " Housekeeping", "dynamodb:PutItem", TABLE, False, key=key)


# Queues: each function sends only to the step after its own (the orders function to all three:
# a stopped step run again; housekeeping to all three: work that waits, and renewals, which go
# to the seal queue; the seal function also to the export queue: an exported order's package is
# delivered again after a renewal).
for q in ["SealQueue.Arn", "PublishQueue.Arn", "ArchiveExportQueue.Arn"]:
    probe("CreateSigningOrder Housekeeping", "sqs:SendMessage", q, True)
    probe("Upload", "sqs:SendMessage", q, False)
probe("BankidCollect", "sqs:SendMessage", "SealQueue.Arn", True)
probe("BankidCollect", "sqs:SendMessage", "PublishQueue.Arn", False)
probe("Seal", "sqs:SendMessage", "PublishQueue.Arn", True)
probe("Seal", "sqs:SendMessage", "ArchiveExportQueue.Arn", True)
probe("Seal", "sqs:SendMessage", "SealQueue.Arn", False)
probe("Publish", "sqs:SendMessage", "SealQueue.Arn", False)


def as_list(v):
    return v if isinstance(v, list) else [v]


def statements_of(template, function):
    resources = template["Resources"]
    props = resources[function + "Function"]["Properties"]
    out = []
    for p in props.get("Policies", []):
        if isinstance(p, str):  # !Ref to a managed policy of the template
            out += as_list(resources[p]["Properties"]["PolicyDocument"]["Statement"])
        elif isinstance(p, dict) and "Statement" in p:
            out += as_list(p["Statement"])
    return out


def condition_holds(cond, key):
    for op, tests in cond.items():
        for name, wanted in tests.items():
            wanted = as_list(wanted)
            if name == "dynamodb:LeadingKeys":
                if key is None:
                    return False
                match = op in ("ForAllValues:StringLike", "StringLike")
                if not match and op not in ("ForAllValues:StringEquals", "StringEquals"):
                    raise SystemExit(f"unknown condition operator {op}")
                ok = any(
                    fnmatch.fnmatchcase(key, w) if match else key == w for w in wanted
                )
                if not ok:
                    return False
            else:
                # Conditions on other keys (kms:ViaService, s3:prefix) do not apply to
                # object and item probes: such a statement grants nothing here.
                return False
    return True


def allows(statements, action, resource, key):
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in as_list(s.get("Action", []))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(s.get("Resource", []))):
            continue
        if "Condition" in s and not condition_holds(s["Condition"], key):
            continue
        return True
    return False


template = cfn_yaml.load(sys.argv[1])
failures = []
for function, action, resource, key, wanted in PROBES:
    got = allows(statements_of(template, function), action, resource, key)
    if got != wanted:
        what = f"{resource}" + (f" (key {key})" if key else "")
        failures.append(
            f"{function}: {action} on {what} is {'allowed' if got else 'denied'}, "
            f"must be {'allowed' if wanted else 'denied'}"
        )
for f in failures:
    print(f"least privilege: {f}")
print(f"{len(PROBES)} probes, {len(failures)} failed")
sys.exit(1 if failures else 0)
