"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256).

`begin_sign_in` stores the sign-in in flight (state hash, nonce, PKCE verifier) and returns the
identity provider's authorization URL; `finish_sign_in` takes the provider's answer, uses the
stored sign-in exactly once (a replayed state finds nothing), exchanges the code with Authlib's
OAuth 2 client (requests), verifies the ID token (signature against the provider's JWKS, issuer, audience,
expiry, nonce) and signs in the account whose email the provider says is VERIFIED.

An account is linked to the provider's subject (`sub`) on its first single sign-on: a later
token with the same email but another subject is refused (the address now belongs to someone
else at the provider). That first sign-on also applies the organizations' email-domain rules
(services/sso_domains.py). With OIDC_CREATE_USERS an unknown verified email gets an account.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import Membership, SsoDomainRule, SsoLoginRequest, User
from compliance_app.models.types import utcnow
from compliance_app.services import accounts, activity
from compliance_app.services.crypto import hash_token, new_token
from compliance_app.services.errors import AuthenticationRequired, Conflict, ValidationError
from compliance_app.services.passwords import hash_password
from compliance_app.services.sso_policy import sso_configured
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

CALLBACK_PATH = "/api/auth/sso/callback"
SCOPE = "openid email profile"
#: How long a sign-in may stay at the identity provider before its state is refused.
LOGIN_TTL = timedelta(minutes=10)
#: Clock difference tolerated between this server and the provider on exp/iat/nbf (seconds).
LEEWAY = 60
HTTP_TIMEOUT = 10.0
#: Asymmetric algorithms only: an HS256 token would be "signed" with the client secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
AGAIN = "Sign in again."


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person."""

    subject: str
    email: str
    name: str


def provider_name() -> str | None:
    """'Okta' for the sign-in page's button, or None when single sign-on is not configured."""
    return get_settings().oidc_name.strip() or "SSO" if sso_configured() else None


def redirect_uri() -> str:
    """The callback URL to register at the identity provider."""
    return get_settings().app_url.rstrip("/") + CALLBACK_PATH


def begin_sign_in(next_path: str) -> tuple[str, str]:
    """(authorization URL, state): the caller sends the browser to the URL and binds the state to it."""
    metadata = _metadata()
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    url, _ = _client().create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    now = utcnow()
    with session_scope() as s:
        s.execute(delete(SsoLoginRequest).where(SsoLoginRequest.expires_at <= now))
        s.add(SsoLoginRequest(state_hash=hash_token(state), nonce=nonce, code_verifier=verifier,
                              next_path=next_path[:2000], created_at=now, expires_at=now + LOGIN_TTL))  # fmt: skip
    return url, state


def finish_sign_in(
    state: str, code: str, browser_state: str | None, client_key: str, *,
    user_agent: str | None = None, previous_token: str | None = None,
) -> tuple[User, str, str]:
    """(user, session token, where to go next) for the provider's answer, or AuthenticationRequired saying why."""
    if not state or not code:
        raise AuthenticationRequired(f"The identity provider's answer has no code or state. {AGAIN}")
    if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
        raise AuthenticationRequired(f"This sign-in was not started in this browser. {AGAIN}")
    request = _take_request(state)
    identity = _verify(_exchange(code, request.code_verifier), request.nonce)
    with session_scope() as s:
        user = _account_for(s, identity)
        token = accounts.open_session(s, user, client_key, user_agent, previous_token=previous_token)
        activity.record(s, accounts.user_actor(user, {"ip": client_key}), "user.login_sso", target=user.email)
    return user, token, request.next_path


def _take_request(state: str) -> _InFlight:
    """The sign-in this state belongs to, deleted in the same statement: only the first use finds it."""
    with session_scope() as s:
        row = s.execute(
            delete(SsoLoginRequest)
            .where(SsoLoginRequest.state_hash == hash_token(state))
            .returning(SsoLoginRequest.nonce, SsoLoginRequest.code_verifier, SsoLoginRequest.next_path,
                       SsoLoginRequest.expires_at)
        ).first()  # fmt: skip
    if row is None or row.expires_at <= utcnow():
        raise AuthenticationRequired(f"This sign-in has expired or was already used. {AGAIN}")
    return _InFlight(nonce=row.nonce, code_verifier=row.code_verifier, next_path=row.next_path)


@dataclass(frozen=True)
class _InFlight:
    nonce: str
    code_verifier: str
    next_path: str


def _settings_or_refuse() -> tuple[str, str, str]:
    if not sso_configured():
        raise Conflict("Single sign-on is not configured on this server.")
    settings = get_settings()
    return settings.oidc_issuer.strip(), settings.oidc_client_id.strip(), settings.oidc_client_secret


def _client() -> OAuth2Session:
    _issuer, client_id, secret = _settings_or_refuse()
    return OAuth2Session(
        client_id, secret or None, scope=SCOPE, redirect_uri=redirect_uri(), code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
    )  # fmt: skip


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("single sign-on: could not read the %s at %s: %s", what, url, type(exc).__name__)
        raise AuthenticationRequired(f"The identity provider could not be reached ({what}). Try again later.") from None
    if not isinstance(document, dict):
        raise AuthenticationRequired(f"The identity provider's {what} is not a JSON object.")
    return document


def _metadata() -> dict[str, Any]:
    """The provider's discovery document; its issuer must be the configured one."""
    issuer, _client_id, _secret = _settings_or_refuse()
    metadata = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
    if str(metadata.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise AuthenticationRequired("The identity provider's discovery document names another issuer.")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise AuthenticationRequired(f"The identity provider's discovery document has no {key}.")
    return metadata


def _exchange(code: str, verifier: str) -> tuple[str, dict[str, Any]]:
    """(ID token, discovery document): the code traded at the token endpoint with the PKCE verifier."""
    metadata = _metadata()
    try:
        with _client() as client:
            token = client.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier,
                timeout=HTTP_TIMEOUT, allow_redirects=False,
            )  # fmt: skip
    except OAuthError as exc:
        raise AuthenticationRequired(f"The identity provider refused the sign-in ({exc.error}). {AGAIN}") from None
    except (requests.RequestException, ValueError) as exc:
        log.warning("single sign-on: token endpoint failed: %s", type(exc).__name__)
        raise AuthenticationRequired("The identity provider could not be reached (token). Try again later.") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise AuthenticationRequired(f"The identity provider sent no ID token. {AGAIN}")
    return id_token, metadata


def _verify(exchanged: tuple[str, dict[str, Any]], nonce: str) -> Identity:
    """Signature (JWKS), issuer, audience, expiry and nonce of the ID token, then its verified email."""
    id_token, metadata = exchanged
    _issuer, client_id, _secret = _settings_or_refuse()
    try:
        keys = KeySet.import_key_set(_get_json(metadata["jwks_uri"], "JWKS"))  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        claims = CodeIDToken(
            token.claims, token.header,
            options={"iss": {"essential": True, "value": metadata["issuer"]},
                     "aud": {"essential": True, "value": client_id}, "exp": {"essential": True}},
            params={"nonce": nonce, "client_id": client_id},
        )  # fmt: skip
        claims.validate(now=int(time.time()), leeway=LEEWAY)
    except ExpiredTokenError:
        raise AuthenticationRequired(f"The identity provider's ID token has expired. {AGAIN}") from None
    except MissingClaimError as exc:
        raise AuthenticationRequired(f"The ID token has no {_CLAIMS.get(exc.claim, exc.claim)}. {AGAIN}") from None
    except ClaimError as exc:
        raise AuthenticationRequired(f"The ID token's {_CLAIMS.get(exc.claim, exc.claim)} is wrong. {AGAIN}") from None
    except BadSignatureError:
        raise AuthenticationRequired("The ID token's signature does not verify with the provider's keys.") from None
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        log.warning("single sign-on: unusable ID token: %s", type(exc).__name__)
        raise AuthenticationRequired("The ID token could not be verified with the provider's keys.") from None
    email, verified = claims.get("email"), claims.get("email_verified")
    if not isinstance(email, str) or not email:
        raise AuthenticationRequired("The identity provider did not share an email address (scope 'email').")
    if verified is not True and verified != "true":
        raise AuthenticationRequired(f"The identity provider has not verified {email[:320]}: verify it there first.")
    try:
        email = accounts.validate_email(email)
    except ValidationError as exc:
        raise AuthenticationRequired(exc.message) from None
    name = claims.get("name")
    return Identity(subject=str(claims["sub"])[:255], email=email, name=name[:200] if isinstance(name, str) else "")


_CLAIMS = {
    "iss": "issuer (iss)", "aud": "audience (aud: issued for another application)",
    "nonce": "nonce (it does not answer this sign-in)", "sub": "subject (sub)", "azp": "authorized party (azp)",
    "iat": "issue time (iat)", "nbf": "start time (nbf)", "exp": "expiry (exp)",
}  # fmt: skip


def _account_for(s: Session, identity: Identity) -> User:
    """The account of a verified email, linked to the subject on its first single sign-on."""
    user = s.exec(select(User).where(func.lower(User.email) == identity.email)).first()
    if user is None:
        if not get_settings().oidc_create_users:
            raise AuthenticationRequired(
                f"No account uses {identity.email}. Ask an administrator to invite you, then sign in again."
            )
        user = User(email=identity.email, name=identity.name, password_hash=hash_password(new_token()))
        s.add(user)
        s.flush()
        activity.record(s, accounts.user_actor(user), "user.signed_up_sso", target=user.email)
    if not user.is_active:
        raise AuthenticationRequired("This account is deactivated.")
    if user.sso_subject is None:
        owner = s.exec(select(User.id).where(User.sso_subject == identity.subject)).first()
        if owner is not None:
            raise AuthenticationRequired("This identity is already linked to another account. Ask an administrator.")
        user.sso_subject = identity.subject
        _apply_domain_rules(s, user)
    elif user.sso_subject != identity.subject:
        raise AuthenticationRequired(
            f"{identity.email} belongs to an account linked to another identity at the provider. Ask an administrator."
        )
    return user


def _apply_domain_rules(s: Session, user: User) -> None:
    """Membership with each rule's role in every organization that has a rule for the email's domain."""
    domain = user.email.rsplit("@", 1)[1]
    member_of = set(s.exec(select(Membership.organization_id).where(Membership.user_id == user.id)).all())
    for rule in s.exec(select(SsoDomainRule).where(SsoDomainRule.domain == domain)).all():
        if rule.organization_id in member_of:
            continue
        s.add(Membership(user_id=user.id, organization_id=rule.organization_id, role=rule.role))
        activity.record(s, accounts.user_actor(user), "member.added_by_domain_rule",
                        organization_id=rule.organization_id, target=user.email,
                        meta={"domain": domain, "role": str(rule.role)})  # fmt: skip
