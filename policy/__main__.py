"""The policy pack: `pulumi preview --policy-pack policy` runs these guardrails."""

from pulumi_policy import PolicyPack

from guardrails import POLICIES

PolicyPack(name="tiktok-connection-guardrails", policies=POLICIES)
