"""HTTP Basic authentication for the registry server: a users file of salted password hashes.

The file has one user a line, ``name:role:hash`` (``#`` starts a comment), where ``role`` is

- ``read``: GET requests, content lookups and compatibility checks;
- ``write``: also registrations and deletes of subjects and versions;
- ``admin``: also config (compatibility levels) and mode changes;

and ``hash`` is ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (hashlib.scrypt, salt and key in
base64), written by :func:`hash_password` or ``turboavro registry passwd``. The server keeps
passwords only as these hashes; a verified (name, password) pair is remembered in memory by
its SHA-256 so that scrypt runs once per client, not once per request.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from .._files import atomic_write
from ..errors import AvroError

__all__ = ["ROLES", "User", "Users", "hash_password", "verify_password", "add_user"]

ROLES = ("read", "write", "admin")
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and tens of milliseconds per hash


class UsersFileError(AvroError, ValueError):
    """A users file that cannot be read or has a malformed line."""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The stored form of ``password``: ``scrypt$n$r$p$salt$key``."""
    salt = secrets.token_bytes(16) if salt is None else salt
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(key).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored ``scrypt$...`` hash (constant-time compare)."""
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt, validate=True),
            n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=2**26,
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    hash: str


def _parse_line(line: str, where: str) -> User | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    parts = line.split(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise UsersFileError(f"{where}: expected name:role:hash")
    name, role, hashed = parts
    if role not in ROLES:
        raise UsersFileError(f"{where}: unknown role {role!r} (one of {', '.join(ROLES)})")
    if not hashed.startswith("scrypt$") or hashed.count("$") != 5:
        raise UsersFileError(f"{where}: the password hash must be scrypt$n$r$p$salt$key")
    return User(name, role, hashed)


class Users:
    """The users of a users file, with a cache of verified credentials."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self._verified: dict[bytes, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Users:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsersFileError(f"cannot read users file {os.fspath(path)}: {exc}") from None
        users: dict[str, User] = {}
        for number, line in enumerate(text.splitlines(), 1):
            user = _parse_line(line, f"{os.fspath(path)} line {number}")
            if user is not None:
                users[user.name] = user
        return cls(users)

    def role(self, name: str, password: str) -> str | None:
        """The role of valid credentials, else None."""
        user = self.users.get(name)
        if user is None:
            return None
        token = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        with self._lock:
            if token in self._verified:
                return self._verified[token]
        if not verify_password(password, user.hash):
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = user.role
        return user.role


def add_user(path: str | os.PathLike[str], name: str, password: str, role: str) -> None:
    """Add or replace ``name`` in a users file (created if missing, mode 0600)."""
    if role not in ROLES:
        raise UsersFileError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if not name or ":" in name or any(c.isspace() for c in name):
        raise UsersFileError(f"invalid user name {name!r}: no ':' or spaces")
    target = Path(path)
    lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    kept = [line for line in lines if line.split(":", 1)[0] != name]
    kept.append(f"{name}:{role}:{hash_password(password)}")
    # replaced whole or not at all: an interrupted write cannot lose the other users
    with atomic_write(target, new_mode=0o600) as out:
        out.write(("\n".join(kept) + "\n").encode("utf-8"))
