"""What a token may do: Consul's policy authorizer (exact rule, then longest prefix, then default)."""

from __future__ import annotations

from .rules import PolicyRules

__all__ = ["ALLOW_ALL", "Authorizer", "PermissionDenied"]


class PermissionDenied(Exception):
    """acl.PermissionDeniedError: 403 with Consul's text."""

    def __init__(self, accessor: str, resource: str, level: str, name: str | None) -> None:
        text = f"Permission denied: token with AccessorID '{accessor}' lacks permission '{resource}:{level}'"
        if name:
            text += f' on "{name}"'
        super().__init__(text)
        self.text = text


class Authorizer:
    """``management`` allows everything; otherwise rules decide, and the default policy fills gaps."""

    def __init__(
        self, accessor: str, rules: PolicyRules, default_allow: bool, management: bool = False
    ) -> None:
        self.accessor = accessor
        self.rules = rules
        self.default_allow = default_allow
        self.management = management

    @property
    def unrestricted(self) -> bool:
        """True when no check can fail (no filtering needed on reads)."""
        return self.management or (
            self.default_allow and not self.rules.exact and not self.rules.prefix and not self.rules.single
        )

    def _policy(self, resource: str, name: str | None) -> str | None:
        if name is None:
            return self.rules.single.get(resource)
        exact = self.rules.exact.get(resource, {})
        if name in exact:
            return exact[name]
        best: str | None = None
        best_len = -1
        for prefix, policy in self.rules.prefix.get(resource, {}).items():
            if name.startswith(prefix) and len(prefix) > best_len:
                best, best_len = policy, len(prefix)
        return best

    def allowed(self, resource: str, name: str | None, level: str) -> bool:
        if self.management:
            return True
        policy = self._policy(resource, name)
        if policy is None:
            return self.default_allow
        if policy == "deny":
            return False
        if level == "read":
            return policy in ("read", "list", "write")
        if level == "list":
            return policy in ("list", "write")
        return policy == "write"

    def require(self, resource: str, name: str | None, level: str) -> None:
        if not self.allowed(resource, name, level):
            raise PermissionDenied(self.accessor, resource, level, name)


ALLOW_ALL = Authorizer("", PolicyRules(), default_allow=True, management=True)
