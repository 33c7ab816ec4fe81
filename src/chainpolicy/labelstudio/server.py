"""A local Label Studio server (SQLite under a data folder), started non-interactively.

The server reads settings as ``LABEL_STUDIO_X``, then ``HEARTEX_X``, then plain ``X``, so stray
``HOST``/``PORT``/``USERNAME``/``PASSWORD`` in the caller's environment would leak into it: it
is started with a clean environment holding only what it needs.

Secrets: the admin's API token is the one given (``chainpolicy ls serve`` passes
``$CHAINPOLICY_LS_TOKEN`` when it is set) or a generated one, fixed when the data folder is first
used; the admin password is always generated. Both are kept in files inside the data folder
(mode 0600, folder 0700; the default folder is git-ignored) because Label Studio applies the token
only when it creates the admin: later starts on the same folder must know it. Neither is ever
printed or logged (Label Studio itself echoes tokens shorter than 6 characters, which
``TOKEN_PATTERN`` rules out); commands print the file to read them from.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from chainpolicy.errors import ChainpolicyError
from chainpolicy.labelstudio.client import health

ADMIN_EMAIL = "admin@chainpolicy.local"
TOKEN_FILE = "chainpolicy-token"
PASSWORD_FILE = "chainpolicy-password"
INSTALL_HINT = "pip install -e '.[labelstudio]'"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    token_file: Path
    password_file: Path

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


def _secret(path: Path, size: int, given: str | None = None) -> str:
    """The secret stored in ``path``; on first use ``given`` or a random one (owner-only file)."""
    if path.exists():
        return path.read_text("utf-8").strip()
    value = given or secrets.token_hex(size)
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


def stored_token(data_dir: Path) -> str | None:
    """The admin token of a data folder, if the folder has been used."""
    path = data_dir / TOKEN_FILE
    return path.read_text("utf-8").strip() if path.exists() else None


def _ours(url: str, token: str) -> bool:
    """Whether the server at ``url`` accepts our token (another server on the port would not)."""
    request = urllib.request.Request(
        f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read()).get("email") == ADMIN_EMAIL
    except (OSError, ValueError):
        return False


def start(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    token: str | None = None,
    timeout: float = 180.0,
) -> Server:
    """Start the server and wait until ``/health`` answers on the port asked for.

    ``token`` is the admin's API token for a new data folder (default: generated); a folder that
    was used before keeps its token, whatever is given.
    """
    if token is not None and not TOKEN_PATTERN.fullmatch(token):
        # The value is a secret: describe it, never echo it.
        raise ChainpolicyError(
            f"the API token given has {len(token)} characters; it must be 20-128 letters, "
            "digits, '-' or '_'"
        )
    binary = executable()
    if not port_free(host, port):
        raise ChainpolicyError(f"port {port} on {host} is in use; choose another with --port")
    data_dir = data_dir.resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = _secret(data_dir / TOKEN_FILE, 20, token)
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
    server = Server(process, url, data_dir, data_dir / TOKEN_FILE, data_dir / PASSWORD_FILE)
    try:
        _wait_until_ready(server, token, timeout)
    except BaseException:
        # Not ready, not ours, or interrupted (Ctrl-C while it starts): never leave it orphaned.
        server.stop()
        raise
    return server


def _wait_until_ready(server: Server, token: str, timeout: float) -> None:
    process, url, data_dir = server.process, server.url, server.data_dir
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ChainpolicyError(
                f"Label Studio exited with code {process.returncode} before it was ready; "
                f"see {data_dir / 'server.log'}"
            )
        # Label Studio silently takes another port if ours is busy: only our URL counts, and
        # only if the server there is this one (it knows our token).
        if health(url, timeout=2.0):
            if _ours(url, token):
                return
            raise ChainpolicyError(
                f"{url} answers but rejects the admin token kept in {server.token_file}: either "
                "another server took the port (choose another with --port) or the database in "
                f"{data_dir} was made without that token"
            )
        time.sleep(0.5)
    raise ChainpolicyError(
        f"Label Studio did not answer {url}/health within {timeout:.0f} s; see "
        f"{data_dir / 'server.log'}"
    )
