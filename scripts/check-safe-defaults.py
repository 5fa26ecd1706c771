#!/usr/bin/env python3
"""Safe defaults in the service's template: a stack deployed with no parameter overrides must
not be unsafe. Today's rule: the archive's Object Lock retention has no default, so nobody gets
a one-day lock on a municipality's archive by forgetting a parameter.

usage: check-safe-defaults.py TEMPLATE   (exits 1 with the reasons when a rule is broken)
"""
import sys

import cfn_yaml


template = cfn_yaml.load(sys.argv[1])
params = template.get("Parameters", {})
problems = []
retention = params.get("ArchiveRetentionDays")
if retention is None:
    problems.append("no ArchiveRetentionDays parameter")
elif "Default" in retention:
    problems.append(
        f"ArchiveRetentionDays has a default ({retention['Default']} days): the archive's "
        "Object Lock retention must be chosen at deploy time"
    )
for p in problems:
    print(f"unsafe default: {p}")
sys.exit(1 if problems else 0)
