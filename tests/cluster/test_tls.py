"""An edge with edge.tls_cert / edge.tls_key serves wss:// and https:// (a self-signed certificate made here)."""
from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from cluster import config as config_module
from cluster import supervisor
from harness import GameClient


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files in ``directory``."""
    cert, key = directory / "edge-cert.pem", directory / "edge-key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor openssl is available")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
        return cert, key
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                               x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private_key, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    return cert, key


@pytest.fixture
def tls_cluster(cluster_factory, tmp_path_factory):
    root = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(root)
    # Relative paths, resolved against the config file's directory (the harness writes it in root).
    cluster = cluster_factory(root=root, extra_config=f'[edge]\ntls_cert = "{cert.name}"\ntls_key = "{key.name}"\n'
                                                  "handshake_timeout_ms = 1500\n")
    return cluster, cert


def trusting(cert: Path) -> ssl.SSLContext:
    """A client context that verifies the edge against our certificate (hostname 127.0.0.1)."""
    context = ssl.create_default_context(cafile=str(cert))
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)  # a bare self-signed test certificate
    return context


def test_a_player_plays_over_wss_with_the_certificate_verified(tls_cluster):
    cluster, cert = tls_cluster
    url = cluster.url()
    assert url.startswith("wss://127.0.0.1:")
    client = GameClient(url, trusting(cert))
    try:
        got = client.create_account("secure@example.org")
        assert got[-1] == {"type": 100, "win": "winSelectPlayer", "message": ""}, got[-1]
    finally:
        client.close()
    # The harness's own client (verification off) plays too.
    player = cluster.client()
    got = player.create_account("other@example.org")
    assert got[-1]["type"] == 100 and got[-1]["win"] == "winSelectPlayer"


def test_https_answers_healthz_status_and_metrics(tls_cluster):
    cluster, cert = tls_cluster
    port = cluster.edge_ports["edge-1"]
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=5,
                                context=trusting(cert)) as response:
        health = json.loads(response.read())
    assert health["ok"] is True and health["broker"] is True
    assert cluster.http_get("/status").lstrip().lower().startswith(b"<!doctype html>")
    assert b"odyssey_sessions" in cluster.http_get("/metrics")
    assert (cluster.root / "edge-1.log").read_text().count("listening on wss://") == 1


def test_nothing_is_served_in_the_clear(tls_cluster):
    cluster, _cert = tls_cluster
    port = cluster.edge_ports["edge-1"]
    with pytest.raises(Exception):
        connect(f"ws://127.0.0.1:{port}/", open_timeout=3).close()
    with pytest.raises((OSError, http.client.HTTPException)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3).read()


def test_a_connection_that_never_starts_tls_is_closed_after_the_handshake_timeout(tls_cluster):
    cluster, _cert = tls_cluster
    # Without the bound, the default TLS handshake timeout (60 s) would make recv time out here.
    sock = socket.create_connection(("127.0.0.1", cluster.edge_ports["edge-1"]), timeout=5)
    try:
        assert sock.recv(1) == b"", "the edge sent something to a client that never said hello"
    except ConnectionResetError:
        pass
    finally:
        sock.close()


def test_tls_settings_resolve_against_the_config_file_and_go_together(tmp_path):
    (tmp_path / "cluster.toml").write_text('[edge]\ntls_cert = "tls/cert.pem"\ntls_key = "/etc/key.pem"\n')
    loaded = config_module.load(tmp_path / "cluster.toml")
    assert loaded.edge_tls == ((tmp_path / "tls" / "cert.pem").resolve(), Path("/etc/key.pem"))
    assert config_module.Config().edge_tls is None
    with pytest.raises(config_module.ConfigError, match="tls_cert and edge.tls_key"):
        config_module.from_dict({"edge": {"tls_cert": "cert.pem"}})


@pytest.mark.parametrize("tls", [False, True])
def test_the_up_banner_names_the_play_status_and_metrics_addresses(tls, capsys):
    config = config_module.Config()
    config.edge.host = "127.0.0.1"
    s = "s" if tls else ""
    supervisor.print_banner(config, "/data", f"ws{s}://127.0.0.1:8080/", f"http{s}://127.0.0.1:8080/")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Odyssey is up: players connect to ws{s}://127.0.0.1:8080/"
    assert f"  play in a browser: http{s}://127.0.0.1:8080/play/" in lines
    assert f"  status page: http{s}://127.0.0.1:8080/status" in lines
    assert f"  metrics: http{s}://127.0.0.1:8080/metrics" in lines
    assert "  status: odyssey status --data-dir /data" in lines
