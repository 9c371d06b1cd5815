"""Which client a ticket belongs to, and so which support tier applies (P1, P2)."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.model import Customer
from plugin.policy import Client, Policy


@dataclass(frozen=True, slots=True)
class ClientMatch:
    """The tier that applies, the client that named it (if any), and why."""

    tier: str
    client: Client | None
    reason: str


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def _domain_matches(domain: str, client_domains: list[str]) -> bool:
    """Exact domain or any subdomain of it ("mail.acme.example" belongs to "acme.example")."""
    return any(domain == known or domain.endswith("." + known) for known in client_domains)


def match_client(customer: Customer, policy: Policy) -> ClientMatch:
    """The first client in the policy's list that matches, else the organization's tier, else
    the default tier."""
    organization = (customer.organization or "").strip().lower()
    email = (customer.email or "").strip().lower()
    domain = _email_domain(email)
    for client in policy.clients:
        if organization and organization in client.organizations:
            return ClientMatch(client.tier, client, f"organization '{customer.organization}'")
        if domain and _domain_matches(domain, client.domains):
            return ClientMatch(client.tier, client, f"email domain '{domain}'")
        if email and email in client.emails:
            return ClientMatch(client.tier, client, f"email address '{email}'")
    named = (customer.organization_tier or "").strip().lower()
    if policy.organization_tier_attribute and named in policy.tiers:
        return ClientMatch(
            named, None, f"organization attribute {policy.organization_tier_attribute}"
        )
    return ClientMatch(policy.default_tier, None, "no client matched: default tier")
