#!/usr/bin/env python3
"""Derive tripline's table of AWS managed policies from a snapshot of their documents.

Input: a JSON-lines file with one AWS managed policy per line (`name`, `arn`, `updatedate`,
`deprecated`, `document`), such as ../shared/aws-managed-policies/managed-policies.jsonl.
Output (stdout): `managed-policies.json`, the compact table the binary embeds.

Only facts tripline's policies use are kept: the unconditional statements of each policy that
touch the services the DET and ROOT families look at, with only those services' actions. A
policy with no such statement is left out. Conditional grants are left out too: in AWS managed
policies they scope a grant to one service (`iam:PassedToService`, `iam:AWSServiceName`), which is
not a grant to the principal at large.

Two documents are not in the snapshot (their records exceed 4 MiB); they are added from the AWS
Managed Policy Reference: AdministratorAccess and PowerUserAccess.

Usage: python3 policies/aws-managed/generate.py ../shared/aws-managed-policies/managed-policies.jsonl \
           > policies/aws-managed/managed-policies.json
"""

import json
import sys

# Services whose actions the DET and ROOT policies ask about. Keep in step with the action
# lists in src/policy/rules/ (a test checks that every listed action's service is here).
SERVICES = {
    "access-analyzer", "cloudtrail", "cloudwatch", "config", "detective", "events",
    "guardduty", "iam", "macie", "macie2", "securityhub",
}

MISSING = {
    "AdministratorAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "PowerUserAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
             "Resource": "*"},
            {"Effect": "Allow",
             "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole",
                        "iam:ListRoles", "organizations:DescribeOrganization",
                        "account:ListRegions", "account:GetAccountInformation"],
             "Resource": "*"},
        ],
    },
}


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


# Read-only verbs: an action pattern starting with one (`iam:Get*`, `config:Describe*`) can
# never match the write actions tripline asks about, so it is left out of the table.
READ_VERBS = (
    "get", "list", "describe", "search", "lookup", "view", "batchget", "select", "validate",
    "generate", "simulate", "test", "deliver",
)


def relevant(action):
    if action == "*" or action == "*:*":
        return True
    service, _, name = action.partition(":")
    service = service.lower()
    if name.lower().startswith(READ_VERBS):
        return False
    # A wildcard service part (`*`, `cloud*`) may cover a relevant service.
    if "*" in service or "?" in service:
        return True
    return service in SERVICES


def compact(doc):
    out = []
    for st in as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Condition"):
            continue
        effect = st.get("Effect")
        kept = {"Effect": effect}
        if "NotAction" in st:
            # NotAction grants everything but the list: keep it whole.
            kept["NotAction"] = as_list(st["NotAction"])
        else:
            actions = [a for a in as_list(st.get("Action")) if relevant(a)]
            if not actions:
                continue
            kept["Action"] = actions
        for key in ("Resource", "NotResource"):
            if key in st:
                kept[key] = st[key]
        out.append(kept)
    if not any(s["Effect"] == "Allow" for s in out):
        return None
    return {"Version": "2012-10-17", "Statement": out}


def main():
    source = sys.argv[1]
    table = {}
    newest = ""
    with open(source, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            newest = max(newest, rec.get("updatedate") or "")
            doc = compact(rec["document"])
            if doc is not None:
                table[rec["name"]] = doc
    for name, doc in MISSING.items():
        table[name] = compact(doc)
    result = {
        "snapshot": newest[:10],
        "source": "iann0036/iam-dataset aws/managedpolicies (MIT), plus AdministratorAccess "
                  "and PowerUserAccess from the AWS Managed Policy Reference",
        "policies": [{"name": n, "document": table[n]} for n in sorted(table)],
    }
    json.dump(result, sys.stdout, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
