"""A local Label Studio server (SQLite under a data folder), started non-interactively.

The server reads settings as ``LABEL_STUDIO_X``, then ``HEARTEX_X``, then plain ``X``, so stray
``HOST``/``PORT``/``USERNAME``/``PASSWORD`` in the caller's environment would leak into it: it
is started with a clean environment holding only what it needs. The admin password and API
token are generated once per data folder and kept in files inside it (mode 0600, the folder is
git-ignored); they are never printed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chainpolicy.errors import ChainpolicyError
from chainpolicy.labelstudio.client import health

ADMIN_EMAIL = "admin@chainpolicy.local"
TOKEN_FILE = "chainpolicy-token"
PASSWORD_FILE = "chainpolicy-password"
INSTALL_HINT = "pip install -e '.[labelstudio]'"


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    token_file: Path

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def executable() -> str:
    found = shutil.which("label-studio", path=str(Path(sys.executable).parent)) or shutil.which(
        "label-studio"
    )
    if found is None:
        raise ChainpolicyError(f"the Label Studio server is not installed: {INSTALL_HINT}")
    return found


def _secret(path: Path, size: int) -> str:
    """The secret stored in ``path``, created on first use (readable by the owner only)."""
    if path.exists():
        return path.read_text("utf-8").strip()
    value = secrets.token_hex(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def clean_env(data_dir: Path, token: str, password: str) -> dict[str, str]:
    keep = {
        k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT") if k in os.environ
    }
    return {
        **keep,
        "HOME": str(data_dir),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": ADMIN_EMAIL,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start(
    data_dir: Path, host: str = "127.0.0.1", port: int = 8080, *, timeout: float = 180.0
) -> Server:
    """Start the server and wait until ``/health`` answers on the port asked for."""
    binary = executable()
    if not port_free(host, port):
        raise ChainpolicyError(f"port {port} on {host} is in use; choose another with --port")
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = _secret(data_dir / TOKEN_FILE, 20)
    password = _secret(data_dir / PASSWORD_FILE, 16)
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [binary, "start", "--no-browser", "--internal-host", host, "--port", str(port)],
        env=clean_env(data_dir, token, password),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
        start_new_session=True,
    )
    log.close()
    url = f"http://{host}:{port}"
    server = Server(process, url, data_dir, data_dir / TOKEN_FILE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ChainpolicyError(
                f"Label Studio exited with code {process.returncode} before it was ready; "
                f"see {data_dir / 'server.log'}"
            )
        # Label Studio silently takes another port if ours is busy: only our URL counts.
        if health(url, timeout=2.0):
            return server
        time.sleep(0.5)
    server.stop()
    raise ChainpolicyError(
        f"Label Studio did not answer {url}/health within {timeout:.0f} s; see "
        f"{data_dir / 'server.log'}"
    )
