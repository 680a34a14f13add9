"""The cluster's ZeroMQ sockets, made in one place: the broker's ROUTER and every DEALER.

Every node, the lifeline threads and the one-off operator tools (``odyssey
status``, ``odyssey admin``) get their sockets here, so the options that
matter everywhere (identity, queue limits, linger, CurveZMQ keys) are set once.

On tcp, every socket speaks CurveZMQ (RFC 26): the broker is the server with
its key pair, each client has its own key pair, and pyzmq's ZAP
authenticator (RFC 27), in a thread of the broker, admits only the public
keys of ``security.authorized_keys_dir`` (``cluster.keys``). ipc endpoints
need no keys: they are files only the data directory's owner may open.
"""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path

import zmq
from zmq.auth.thread import ThreadAuthenticator

from cluster.config import Config
from cluster.keys import AuthorizedKeys, KeyError_, load_public, load_secret

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 << 20
HWM = 100_000  # frames queued per peer before sends fail (a batch per loop turn, so many seconds' worth)
ZAP_DOMAIN = b"odyssey"
_authenticators: list = []  # kept alive with the broker's socket


IPC_PATH_LIMIT = 100  # a unix socket's path (sun_path) holds 107 bytes


def ipc_endpoint(path: Path) -> str:
    """``ipc://path``; if the path is too long for a unix socket, the same file reached through a
    short link in a new private (0700) temporary directory, so the socket still lives where it should."""
    if len(str(path)) <= IPC_PATH_LIMIT:
        return f"ipc://{path}"
    link = Path(tempfile.mkdtemp(prefix="odyssey-")) / "d"
    link.symlink_to(path.parent, target_is_directory=True)
    return f"ipc://{link / path.name}"


class SecurityError(RuntimeError):
    """The endpoint needs keys that are not there (or not safe): one line saying what to do."""


def check_security(config: Config, role: str, name: str) -> None:
    """At a node's start: refuse tcp without keys, warn when keys are switched off."""
    tcp = config.broker_bind.startswith("tcp://") if role == "broker" else config.broker_endpoint.startswith("tcp://")
    if not tcp:
        return
    if not config.security.curve:
        log.warning("UNSAFE: [security] curve = false: the broker's tcp endpoint trusts anyone who reaches it "
                    "(a lab only; see README \"Several machines\")")
        return
    try:
        if role == "broker":
            load_secret(keys_dir(config) / "broker.key_secret")
        else:
            client_keys(config, name)
    except KeyError_ as error:
        raise SecurityError(f"{'broker.bind' if role == 'broker' else 'broker.endpoint'} is tcp, so CurveZMQ keys "
                            f"are needed ([security] keys_dir = {config.security.keys_dir!r}): {error}; "
                            f"or set [security] curve = false (unsafe)") from None


def keys_dir(config: Config) -> Path:
    return config.path(config.security.keys_dir)


def client_keys(config: Config, key_name: str) -> tuple[bytes, bytes, bytes]:
    """(public, secret, broker's public) for a client named ``key_name``."""
    public, secret, _info = load_secret(keys_dir(config) / f"{key_name}.key_secret")
    return public, secret, load_public(keys_dir(config) / "broker.key")


def _with_curve(socket: zmq.Socket, config: Config, key_name: str) -> None:
    public, secret, server = client_keys(config, key_name)
    socket.curve_secretkey, socket.curve_publickey, socket.curve_serverkey = secret, public, server


def node_dealer(config: Config, identity: bytes, linger_ms: int = 2000,
                context: zmq.Context | None = None) -> zmq.Socket:
    """A DEALER to the broker with a fixed identity (``<name>#<incarnation>`` for a node,
    ``<name>!life`` for its lifeline), with the node's key on tcp."""
    dealer = (context or zmq.Context.instance()).socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, identity)
    dealer.setsockopt(zmq.LINGER, linger_ms)
    dealer.setsockopt(zmq.SNDHWM, HWM)
    dealer.setsockopt(zmq.RCVHWM, HWM)
    if config.curve:
        _with_curve(dealer, config, node_name(identity))
    dealer.connect(config.broker_endpoint)
    return dealer


def node_name(identity: bytes) -> str:
    """The node name in a node's or lifeline's identity."""
    return identity.decode("utf-8", "replace").split("#")[0].split("!")[0]


def client_dealer(config: Config | None, endpoint: str, prefix: str, key_name: str | None = None) -> zmq.Socket:
    """A DEALER for one request and its answer (``odyssey status``, ``odyssey admin``); on tcp it
    uses ``key_name`` (default: ``security.operator_key``)."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, f"{prefix}-{uuid.uuid4().hex[:8]}".encode())
    dealer.setsockopt(zmq.LINGER, 0)
    if config is not None and config.security.curve and endpoint.startswith("tcp://"):
        _with_curve(dealer, config, key_name or config.security.operator_key)
    dealer.connect(endpoint)
    return dealer


class _Admission:
    """The ZAP callback: a client key is let in only if it is authorized."""

    def __init__(self, directory: Path) -> None:
        self.keys = AuthorizedKeys(directory)

    def callback(self, domain: str, key: bytes) -> bool:
        allowed = self.keys.lookup(key) is not None
        if not allowed:
            log.warning("refused a connection with an unknown key %s…", key[:12].decode(errors="replace"))
        return allowed


def broker_router(config: Config) -> tuple[zmq.Socket, AuthorizedKeys | None]:
    """The broker's ROUTER, bound where ``broker.bind`` says; with CurveZMQ, also the authorized keys
    the broker checks every frame against (the ZAP thread checks each connection)."""
    context = zmq.Context.instance()
    router = context.socket(zmq.ROUTER)
    # No ROUTER_HANDOVER: a peer cannot take over an identity that is connected (and a node's
    # identity holds its incarnation, so a restarted node never needs to).
    # A send to a peer whose connection is gone fails (EHOSTUNREACH) instead of vanishing: that is
    # how the broker tells a dead node (its process gone, its sockets closed) from a stalled one.
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.setsockopt(zmq.LINGER, 0)
    router.setsockopt(zmq.SNDHWM, HWM)
    router.setsockopt(zmq.RCVHWM, HWM)
    router.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # a peer sending more is disconnected
    authorized = None
    if config.curve_bind:
        public, secret, _info = load_secret(keys_dir(config) / "broker.key_secret")
        directory = config.path(config.security.authorized_keys_dir)
        authenticator = ThreadAuthenticator(context)
        authenticator.start()
        authenticator.configure_curve_callback(ZAP_DOMAIN.decode(), _Admission(directory))
        _authenticators.append(authenticator)
        router.zap_domain = ZAP_DOMAIN
        router.curve_server = True
        router.curve_secretkey, router.curve_publickey = secret, public
        authorized = AuthorizedKeys(directory)
    router.bind(config.broker_bind)
    if config.broker_bind.startswith("ipc://"):
        os.chmod(config.broker_bind[len("ipc://"):], 0o600)  # only the data directory's owner connects
    return router, authorized
