"""Small factories for test data. Prefer the services where they exist; these are for setup."""

from __future__ import annotations

import functools
import uuid

from compliance_app.db import session_scope
from compliance_app.models import Membership, Organization, Role, User
from compliance_app.services.authz import Actor
from compliance_app.services.passwords import hash_password

DEFAULT_PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash(password: str) -> str:
    """argon2 is slow on purpose; tests hash each distinct password once."""
    return hash_password(password)


def make_user(email: str | None = None, password: str = DEFAULT_PASSWORD, name: str = "Test User") -> User:
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    with session_scope() as s:
        user = User(email=email.lower(), password_hash=_password_hash(password), name=name)
        s.add(user)
    return user


def make_org(owner: User | None = None, slug: str | None = None, name: str | None = None) -> Organization:
    owner = owner or make_user()
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    with session_scope() as s:
        org = Organization(name=name or slug.title(), slug=slug, owner_id=owner.id)
        s.add(org)
        s.flush()
        s.add(Membership(user_id=owner.id, organization_id=org.id, role=Role.ADMIN))
    return org


def add_member(org: Organization, user: User | None = None, role: Role = Role.MEMBER) -> User:
    user = user or make_user()
    with session_scope() as s:
        s.add(Membership(user_id=user.id, organization_id=org.id, role=role))
    return user


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, label=user.email)
