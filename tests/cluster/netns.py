"""Linux network namespaces as stand-in hosts for the multi-host tests.

``Hosts`` makes namespaces joined by veth pairs on private test addresses (and removes them),
runs commands inside one (``ip netns exec``), and opens a TCP socket from inside one, so that
a websocket client in the test process can reach an edge that only that "host" can see: a
thread enters the namespace (setns affects only the calling thread), connects, and hands the
socket back.
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import socket
import subprocess
import threading

CLONE_NEWNET = 0x40000000


def unusable_reason() -> str | None:
    """Why namespaces cannot be made here (None: they can)."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "making network namespaces needs root"
    name = f"ody-probe-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


class Hosts:
    """Namespaces named ``<prefix>-<host>``, each with lo up, joined pairwise by veth links."""

    def __init__(self) -> None:
        self.prefix = f"ody{secrets.token_hex(2)}"
        self.namespaces: list[str] = []

    def run(self, *argv: str) -> None:
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")

    def add(self, host: str) -> str:
        namespace = f"{self.prefix}-{host}"
        self.run("ip", "netns", "add", namespace)
        self.namespaces.append(namespace)
        self.run("ip", "-n", namespace, "link", "set", "lo", "up")
        return namespace

    def link(self, host_a: str, address_a: str, host_b: str, address_b: str, prefix_len: int = 24) -> None:
        """A veth pair between two hosts, with an address (and the link up) at each end."""
        ns_a, ns_b = f"{self.prefix}-{host_a}", f"{self.prefix}-{host_b}"
        end_a, end_b = f"{self.prefix}{host_a[:3]}{host_b[:3]}", f"{self.prefix}{host_b[:3]}{host_a[:3]}"
        self.run("ip", "link", "add", end_a[:15], "type", "veth", "peer", "name", end_b[:15])
        for end, namespace, address in ((end_a[:15], ns_a, address_a), (end_b[:15], ns_b, address_b)):
            self.run("ip", "link", "set", end, "netns", namespace)
            self.run("ip", "-n", namespace, "addr", "add", f"{address}/{prefix_len}", "dev", end)
            self.run("ip", "-n", namespace, "link", "set", end, "up")

    def argv(self, host: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", f"{self.prefix}-{host}", *argv]

    def connect(self, host: str, address: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A TCP connection to address:port made from inside ``host``'s namespace."""
        found: dict = {}

        def inside() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            try:
                with open(f"/run/netns/{self.prefix}-{host}") as namespace:
                    if libc.setns(namespace.fileno(), CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns failed")
                found["socket"] = socket.create_connection((address, port), timeout=timeout)
            except OSError as error:
                found["error"] = error
        thread = threading.Thread(target=inside)  # the thread, and its namespace, end with it
        thread.start()
        thread.join()
        if "error" in found:
            raise found["error"]
        return found["socket"]

    def remove(self) -> None:
        """Delete every namespace (their veth ends go with them)."""
        for namespace in self.namespaces:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        self.namespaces = []
