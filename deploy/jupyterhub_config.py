"""JupyterHub for a class on one server, with local system users (``make hub``).

Run by the project's environment (``.venv/bin/jupyterhub -f deploy/jupyterhub_config.py``) as
root, so that each student's server runs as that student's system user (LocalProcessSpawner; as
another user the hub can only start that user's own server). Settings come from the environment:

  HUB_IP, HUB_PORT          where the hub listens (default 127.0.0.1:8000: a trial on this machine;
                            0.0.0.0 behind TLS for a class, see deploy/README.md)
  HUB_API_PORT, HUB_PROXY_API_PORT   the hub's and the proxy's internal ports (8081, 8001)
  HUB_STATE_DIR             the hub's database, cookie secret and proxy pid (build/hub/state)
  HUB_SHARED_DIR            what the students' processes read: their Python and nbgrader settings
                            (build/hub/shared; every folder above it must be open to them)
  NBGRADER_EXCHANGE         nbgrader's exchange folder, mode 1777 (/srv/nbgrader/exchange)
  HUB_AUTHENTICATOR         shared-password (default: a trial, JupyterHub's dummy authenticator
                            with one password for everyone) or any authenticator, e.g.
                            github (oauthenticator), ltiauthenticator.lti13.authenticator.LTI13Authenticator
  HUB_PASSWORD              that shared password, 8 characters or more (default: generated into
                            HUB_STATE_DIR/trial_password and logged at start)
  HUB_ADMINS, HUB_USERS     comma-separated admins (instructors) and allowed users; without
                            HUB_USERS the dummy authenticator lets any system user but root in
  HUB_THREADS               torch threads per student (NBHELPERS_THREADS, default 1)
  HUB_SERVICE_TOKEN         when set, an admin service `class-admin` with this API token (tests, scripts)
  HUB_EXTRA_CONFIG          a Python file of further settings loaded last (a real authenticator's
                            client id and secret, TLS, ...: deploy/README.md)
"""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # nbhelpers from this checkout, whatever the working directory

from nbhelpers.course import hub as classhub  # noqa: E402

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file
env = os.environ.get
VENV = Path(sys.prefix)
STATE = Path(env("HUB_STATE_DIR") or ROOT / "build" / "hub" / "state").resolve()
SHARED = Path(env("HUB_SHARED_DIR") or ROOT / "build" / "hub" / "shared").resolve()
EXCHANGE = Path(env("NBGRADER_EXCHANGE") or classhub.DEFAULT_EXCHANGE)
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
(SHARED / "etc" / "jupyter").mkdir(parents=True, exist_ok=True)
SHARED.chmod(0o755)
closed = classhub.blocked_for_others(SHARED / "etc" / "jupyter")
if closed is not None:
    raise classhub.HubError(f"students cannot enter {closed}: set HUB_SHARED_DIR to a folder every "
                            "user can read (e.g. /srv/class)")

# The proxy, the hub and where they keep their state.
c.JupyterHub.bind_url = f"http://{env('HUB_IP', '127.0.0.1')}:{env('HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env('HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(classhub.configurable_http_proxy(ROOT / "build" / "hub" / "node"))]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the students' servers

# Who may log in. Real authenticators are configuration only: see deploy/README.md.
authenticator = env("HUB_AUTHENTICATOR", "shared-password")
c.JupyterHub.authenticator_class = authenticator
admins = {u for u in env("HUB_ADMINS", "").split(",") if u}
c.Authenticator.blocked_users = {"root"}  # a server started as root would be a root shell
users = {u for u in env("HUB_USERS", "").split(",") if u}
if users:
    c.Authenticator.allowed_users = users | admins
else:
    c.Authenticator.allow_all = True
if authenticator == "shared-password":
    password = env("HUB_PASSWORD")
    if not password:
        stored = STATE / "trial_password"
        if not stored.exists():
            stored.write_text(secrets.token_urlsafe(12) + "\n")
            stored.chmod(0o600)
        password = stored.read_text().strip()
        print(f"[make hub] trial login: a system user's name and the shared password {password} "
              f"(from {stored}; HUB_PASSWORD sets it)", flush=True)
    c.SharedPasswordAuthenticator.user_password = password

# Each student's server: their own system user, the project's packages, one torch thread.
PYTHON = classhub.student_python(VENV, SHARED / "python")
(SHARED / "etc" / "jupyter" / "nbgrader_config.py").write_text(classhub.exchange_config(EXCHANGE))
classhub.prepare_exchange(EXCHANGE)
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(PYTHON), "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = classhub.spawner_environment(VENV, PYTHON, SHARED / "etc" / "jupyter",
                                                     int(env("HUB_THREADS", classhub.STUDENT_THREADS)))
# LocalProcessSpawner does not enforce these: it passes them on as MEM_LIMIT, CPU_LIMIT, ... (the
# Kubernetes spawner of deploy/z2jh-config.yaml enforces the same numbers). See notebooks/README.md.
c.Spawner.mem_guarantee = classhub.MEM_GUARANTEE
c.Spawner.mem_limit = classhub.MEM_LIMIT
c.Spawner.cpu_guarantee = classhub.CPU_GUARANTEE
c.Spawner.cpu_limit = classhub.CPU_LIMIT
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90

# Instructors are the hub's admins; with HUB_SERVICE_TOKEN an admin service `class-admin` too (the
# class test and scripts use its token). JupyterHub wants admins in one place: the admin role.
services = []
if env("HUB_SERVICE_TOKEN"):
    c.JupyterHub.services = [{"name": "class-admin", "api_token": env("HUB_SERVICE_TOKEN")}]
    services = ["class-admin"]
c.JupyterHub.load_roles = [{"name": "admin", "users": sorted(admins), "services": services}]

# Site settings kept out of the repository (secrets): loaded last, so they win.
if env("HUB_EXTRA_CONFIG"):
    load_subconfig(env("HUB_EXTRA_CONFIG"))  # noqa: F821 - provided by JupyterHub's config loader
