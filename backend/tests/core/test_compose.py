"""docker-compose.yml and its override agree with each other and with `Settings`.

No Docker engine runs here, so the files are parsed and checked: services, ports,
healthchecks, start order, Traefik routes, and every backend environment variable
(a real Settings field, with values that validate).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values
from pydantic import ValidationError

from app.core import embedded_pg
from app.core.config import BACKEND_DIR, Environment, Settings
from app.core.db import db_slot_count, plan_server

ROOT = BACKEND_DIR.parent
BACKEND_SERVICES = ("prestart", "backend", "worker")
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "TAG", "DOMAIN", "ACME_EMAIL"}
# Values for variables the files require (`${VAR:?message}`).
REQUIRED_VALUES = {
    "SECRET_KEY": "s" * 40,
    "POSTGRES_PASSWORD": "pg-secret",
    "DOMAIN": "socia.example.in",
    "ACME_EMAIL": "ops@example.in",
}
# The innermost `${...}` (no `$` or braces inside), not escaped as `$${...}`.
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^${}]*))?\}")

Service = dict[str, Any]


class Override(list[Any]):
    """A sequence tagged `!override`: it replaces the base file's instead of adding to it."""


class ComposeLoader(yaml.SafeLoader):
    pass


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
    assert isinstance(node, yaml.SequenceNode), "!override is used on sequences here"
    return Override(loader.construct_sequence(node))


ComposeLoader.add_constructor("!override", _override)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load((ROOT / name).read_text(), Loader=ComposeLoader)
    return data


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return load("docker-compose.yml")


@pytest.fixture(scope="module")
def override() -> dict[str, Any]:
    return load("docker-compose.override.yml")


def merge(base_service: Service, override_service: Service) -> Service:
    """Docker Compose's merge for the keys used here: mappings merge, sequences add up
    (unless tagged `!override`), the rest replaces."""
    merged = dict(base_service)
    for key, value in override_service.items():
        if isinstance(value, Override):
            merged[key] = list(value)
        elif key in {"environment", "depends_on", "build", "labels"} and isinstance(value, dict):
            merged[key] = {**as_mapping(base_service.get(key)), **value}
        elif key in {"ports", "volumes", "expose"}:
            merged[key] = [*base_service.get(key, []), *value]
        else:
            merged[key] = value
    return merged


def as_mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, list):  # depends_on: [a, b] / environment: [A=1]
        return dict(item.split("=", 1) if "=" in item else (item, {}) for item in value)
    return dict(value)


def services(base: dict[str, Any], override: dict[str, Any] | None = None) -> dict[str, Service]:
    result: dict[str, Service] = dict(base["services"])
    for name, service in (override or {}).get("services", {}).items():
        result[name] = merge(result.get(name, {}), service)
    return result


def interpolate(value: Any, dotenv: dict[str, str] | None = None) -> str:
    """Resolve `${VAR:-default}` (nested too) to the `.env` value or its default, and
    `${VAR:?msg}` (or a plain `${VAR}` of those) to a test value."""
    dotenv = dotenv or {}

    def one(match: re.Match[str]) -> str:
        name, kind, arg = match.group(1), match.group(2), match.group(3)
        if dotenv.get(name):
            return dotenv[name]
        if (kind and kind.endswith("?")) or (kind is None and name in REQUIRED_VALUES):
            return REQUIRED_VALUES[name]
        return arg or ""

    text, previous = str(value), None
    while text != previous:  # innermost first
        previous, text = text, _VARIABLE.sub(one, text)
    return text.replace("$$", "$")


def variables(text: str) -> set[str]:
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def host_ports(service: Service) -> dict[int, int]:
    """{host port: container port}"""
    result = {}
    for entry in service.get("ports", []):
        host, container = str(entry).rsplit(":", 1)
        result[int(host.rsplit(":", 1)[-1])] = int(container.split("/")[0])
    return result


def labels(service: Service) -> dict[str, str]:
    return {k: interpolate(v) for k, v in as_mapping(service.get("labels")).items()}


def settings_from(service: Service, dotenv: dict[str, str] | None = None) -> Settings:
    """The Settings the container would get (empty values mean "default", as in the app),
    with `dotenv` standing for the operator's `.env` (what `${VAR:-...}` picks up)."""
    env = {k: interpolate(v, dotenv or {}) for k, v in as_mapping(service["environment"]).items()}
    given: dict[str, Any] = {k: v for k, v in env.items() if v != ""}
    return Settings(_env_file=None, **given)


def test_services(base: dict[str, Any], override: dict[str, Any]) -> None:
    assert set(base["services"]) == {
        "db",
        "redis",
        "adminer",
        "prestart",
        "backend",
        "worker",
        "frontend",
        "proxy",
    }
    assert set(override["services"]) - set(base["services"]) == {"mailcatcher"}
    assert {"app-db-data", "traefik-certificates"} <= set(base["volumes"])


def test_the_database_runs_the_embedded_servers_major_version(base: dict[str, Any]) -> None:
    """`socia dev` and the tests run on the embedded PostgreSQL: the same major version
    as production, so nothing works locally that the server refuses."""
    image = base["services"]["db"]["image"]
    assert image == f"postgres:{embedded_pg.POSTGRES_MAJOR}"


def test_production_publishes_only_the_proxy(base: dict[str, Any]) -> None:
    prod = services(base)
    published = {port for service in prod.values() for port in host_ports(service)}
    assert published == {80, 443}
    assert host_ports(prod["proxy"]) == {80: 80, 443: 443}
    assert "ports" not in prod["adminer"]
    # No Traefik API or dashboard at all, let alone the unauthenticated one.
    command = prod["proxy"]["command"]
    assert not [flag for flag in command if flag.startswith("--api")]


def test_development_publishes_the_tools(base: dict[str, Any], override: dict[str, Any]) -> None:
    dev = services(base, override)
    assert host_ports(dev["adminer"]) == {8080: 8080}
    assert host_ports(dev["proxy"]) == {80: 80, 8090: 8080}  # no HTTPS locally
    command = dev["proxy"]["command"]
    assert "--api.dashboard=true" in command
    assert "--entrypoints.traefik.address=:8080" in command
    assert host_ports(dev["mailcatcher"]) == {8025: 8025, 1025: 1025}
    assert host_ports(dev["backend"]) == {8000: 8000}
    assert host_ports(dev["db"]) == {5432: 5432}
    all_ports = [p for service in dev.values() for p in host_ports(service)]
    assert len(all_ports) == len(set(all_ports)), "a host port is published twice"


def test_traefik_is_a_version_that_works_with_current_docker(base: dict[str, Any]) -> None:
    image = base["services"]["proxy"]["image"]
    match = re.fullmatch(r"traefik:v(\d+)\.(\d+)(?:\.\d+)?", image)
    assert match, image
    assert (int(match.group(1)), int(match.group(2))) >= (3, 6)


def _flags(command: list[str]) -> dict[str, str]:
    return dict(flag.split("=", 1) for flag in command if "=" in flag)


def test_production_serves_https_with_lets_encrypt(base: dict[str, Any]) -> None:
    proxy = services(base)["proxy"]
    flags = {k: interpolate(v) for k, v in _flags(proxy["command"]).items()}
    assert flags["--entrypoints.http.address"] == ":80"
    assert flags["--entrypoints.https.address"] == ":443"
    # Plain HTTP only redirects.
    assert flags["--entrypoints.http.http.redirections.entrypoint.to"] == "https"
    assert flags["--entrypoints.http.http.redirections.entrypoint.scheme"] == "https"
    # Certificates for every router on the HTTPS entrypoint, from Let's Encrypt.
    resolver = flags["--entrypoints.https.http.tls.certresolver"]
    assert flags[f"--certificatesresolvers.{resolver}.acme.email"] == REQUIRED_VALUES["ACME_EMAIL"]
    assert flags[f"--certificatesresolvers.{resolver}.acme.tlschallenge"] == "true"
    storage = flags[f"--certificatesresolvers.{resolver}.acme.storage"]
    # acme.json lives on a named volume, so a restart does not request new certificates.
    mounts = dict(str(volume).split(":", 1) for volume in proxy["volumes"])
    assert mounts["traefik-certificates"] == str(Path(storage).parent)

    router = labels(services(base)["backend"])
    assert router["traefik.http.routers.socia-backend.entrypoints"] == "https"
    rule = router["traefik.http.routers.socia-backend.rule"]
    assert rule.startswith(f"Host(`{REQUIRED_VALUES['DOMAIN']}`) && (")
    # Links and QR codes point at the domain, over HTTPS.
    cfg = settings_from(services(base)["backend"], PRODUCTION_DOTENV)
    assert str(cfg.PUBLIC_BASE_URL) == f"https://{REQUIRED_VALUES['DOMAIN']}/"


def test_development_serves_plain_http_on_any_host(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    dev = services(base, override)
    flags = _flags(dev["proxy"]["command"])
    assert flags["--entrypoints.http.address"] == ":80"
    assert not [flag for flag in flags if "https" in flag or "certificatesresolvers" in flag]
    router = labels(dev["backend"])
    assert router["traefik.http.routers.socia-backend.entrypoints"] == "http"
    assert "Host(" not in router["traefik.http.routers.socia-backend.rule"]
    assert str(settings_from(dev["backend"]).PUBLIC_BASE_URL) == "http://localhost/"


@pytest.mark.parametrize("name", ["db", "redis", "backend", "frontend", "proxy"])
def test_healthchecks(base: dict[str, Any], name: str) -> None:
    check = base["services"][name]["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(check["test"]) >= 2
    assert {"interval", "timeout", "retries"} <= set(check)


def test_backend_healthcheck_uses_the_readiness_probe(base: dict[str, Any]) -> None:
    assert any(
        "/api/v1/utils/ready" in part for part in base["services"]["backend"]["healthcheck"]["test"]
    )


def test_start_order(base: dict[str, Any], override: dict[str, Any]) -> None:
    for merged in (services(base), services(base, override)):
        for name, service in merged.items():
            for target, spec in as_mapping(service.get("depends_on")).items():
                assert target in merged, f"{name} depends on unknown {target}"
                condition = (spec or {}).get("condition", "service_started")
                if condition == "service_healthy":
                    assert "healthcheck" in merged[target], f"{target} has no healthcheck"
        for name in ("backend", "worker"):
            after = as_mapping(merged[name]["depends_on"])
            assert after["db"]["condition"] == "service_healthy"
            assert after["redis"]["condition"] == "service_healthy"
            assert after["prestart"]["condition"] == "service_completed_successfully"
        assert as_mapping(merged["prestart"]["depends_on"])["db"]["condition"] == "service_healthy"


def test_commands(base: dict[str, Any], override: dict[str, Any]) -> None:
    prod = services(base)
    assert prod["prestart"]["command"] == ["socia", "migrate"]
    assert prod["backend"]["command"][:2] == ["socia", "serve"]
    assert prod["worker"]["command"] == ["socia", "worker"]
    assert prod["backend"]["build"]["context"] == "./backend"
    dev = services(base, override)
    assert dev["backend"]["command"][:2] == ["socia", "dev"]
    assert "./backend/app:/app/app" in dev["backend"]["volumes"]
    assert dev["backend"]["build"]["args"]["INSTALL_DEV"] == "true"


def test_the_worker_runs_the_backend_image_with_its_settings(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    for merged in (services(base), services(base, override)):
        worker, backend = merged["worker"], merged["backend"]
        assert worker["image"] == backend["image"]
        assert worker["build"] == backend["build"]
        assert "ports" not in worker
        different = {
            name
            for name in set(as_mapping(worker["environment"]))
            | set(as_mapping(backend["environment"]))
            if as_mapping(worker["environment"]).get(name)
            != as_mapping(backend["environment"]).get(name)
        }
        # Only its own (smaller) pool, and the backend's development log level.
        assert different <= {"DB_POOL_SIZE", "DB_MAX_OVERFLOW", "LOG_LEVEL"}


def app_path_prefixes() -> set[str]:
    """The first path segment of every route of the app (`/` for the root itself)."""
    from starlette.routing import Mount, Route

    from app.api.openapi import api_routes
    from app.main import app as fastapi_app

    # FastAPI keeps included routers as routes of their own: walk into them too (the
    # API's and the web pages' routers), or every page they serve goes unchecked.
    paths = [path for path, _, _ in api_routes(fastapi_app.routes)]
    paths += [r.path for r in fastapi_app.routes if isinstance(r, Route | Mount)]
    prefixes = set()
    for path in paths:
        segment = path.strip("/").split("/")[0]
        prefixes.add("/" + segment if segment else "/")
    return prefixes


def test_the_prefixes_come_from_every_router() -> None:
    assert {"/api", "/docs", "/q", "/t", "/account", "/demo", "/checkout", "/"} <= (
        app_path_prefixes()
    )


def test_traefik_routes_the_api_and_docs_to_the_backend(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    for merged in (services(base), services(base, override)):
        router = labels(merged["backend"])
        assert router["traefik.enable"] == "true"
        rule = router["traefik.http.routers.socia-backend.rule"]
        # Every page and route the app serves is reachable through the proxy, but its
        # root: `/` is the staff dashboard's (the backend's root only points at /docs).
        for prefix in app_path_prefixes() - {"/"}:
            assert f"PathPrefix(`{prefix}`)" in rule, prefix
        assert "Path(`/`)" not in rule
        assert "traefik.http.routers.socia-backend.priority" not in router
        port = router["traefik.http.services.socia-backend.loadbalancer.server.port"]
        command = merged["backend"]["command"]
        assert command[command.index("--port") + 1] == port
        entrypoint = router["traefik.http.routers.socia-backend.entrypoints"]
        assert f"--entrypoints.{entrypoint}.address" in _flags(merged["proxy"]["command"])


def test_traefik_routes_everything_else_to_the_dashboard(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    for merged, host in ((services(base), True), (services(base, override), False)):
        router = labels(merged["frontend"])
        backend = labels(merged["backend"])
        assert router["traefik.enable"] == "true"
        rule = router["traefik.http.routers.socia-frontend.rule"]
        expected = "PathPrefix(`/`)"
        if host:
            expected = f"Host(`{REQUIRED_VALUES['DOMAIN']}`) && {expected}"
        assert rule == expected
        # The lowest priority: the backend's router (priority = its rule's length,
        # Traefik's default) always wins for /api, /docs, /q, ...
        assert router["traefik.http.routers.socia-frontend.priority"] == "1"
        entrypoint = router["traefik.http.routers.socia-frontend.entrypoints"]
        assert entrypoint == backend["traefik.http.routers.socia-backend.entrypoints"]
        port = router["traefik.http.services.socia-frontend.loadbalancer.server.port"]
        assert port == str(merged["frontend"]["expose"][0]) == _nginx_port()
        assert "ports" not in merged["frontend"]
        assert "frontend" in as_mapping(merged["proxy"]["depends_on"])


def _frontend_file(name: str) -> str:
    return (ROOT / "frontend" / name).read_text()


def _nginx_port() -> str:
    match = re.search(r"^\s*listen\s+(\d+);", _frontend_file("nginx.conf"), flags=re.MULTILINE)
    assert match
    return match.group(1)


def test_the_dashboard_image_builds_with_node_and_serves_with_nginx(base: dict[str, Any]) -> None:
    assert services(base)["frontend"]["build"]["context"] == "./frontend"
    dockerfile = _frontend_file("Dockerfile")
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert len(stages) == 2
    assert stages[0].startswith("node:")
    # The serving stage runs as a non-root user (port 8080, not 80).
    assert stages[1].startswith("nginxinc/nginx-unprivileged:")
    assert "npm ci" in dockerfile
    assert "npm run build" in dockerfile
    assert "COPY --from=build /app/dist /usr/share/nginx/html" in dockerfile
    for source in ("package.json", "package-lock.json", "index.html", "src", "nginx.conf"):
        assert (ROOT / "frontend" / source).exists(), source
    ignored = set(_frontend_file(".dockerignore").split())
    assert {"node_modules/", "dist/", ".env"} <= ignored


def test_the_dashboard_falls_back_to_the_app_for_its_own_paths() -> None:
    """/venues/..., /sign-in, /verify-email?token=... are the app's routes: nginx answers
    index.html for any path that is not a file."""
    conf = _frontend_file("nginx.conf")
    assert re.search(r"location / \{[^}]*try_files \$uri /index\.html;", conf)
    assert "/healthz" in conf


def test_emailed_links_open_the_dashboard(base: dict[str, Any], override: dict[str, Any]) -> None:
    prod = settings_from(services(base)["backend"], PRODUCTION_DOTENV)
    assert str(prod.FRONTEND_HOST) == f"https://{REQUIRED_VALUES['DOMAIN']}/"
    for service in ("backend", "worker"):  # the worker sends the emails
        dev = settings_from(services(base, override)[service])
        assert str(dev.FRONTEND_HOST) == "http://localhost/"


# Connections outside the backend and worker services: PostgreSQL's
# superuser_reserved_connections (default 3), a `socia migrate` run (prestart, or by
# hand during a deploy), and Adminer sessions.
RESERVED_CONNECTIONS = {"superuser": 3, "migrations": 2, "adminer": 5}
# A `socia worker` process's queue (procrastinate's psycopg pool: psycopg_pool's default
# of 4 connections), on top of its DB_POOL_SIZE + DB_MAX_OVERFLOW for the jobs' sessions.
QUEUE_CONNECTIONS = 4


def _max_connections(db_service: Service) -> int:
    command = [str(part) for part in db_service["command"]]
    settings = [command[i + 1] for i, part in enumerate(command) if part == "-c"]
    values = dict(setting.split("=", 1) for setting in settings)
    assert "max_connections" in values, "set max_connections explicitly on the db command"
    return int(values["max_connections"])


def _backend_connections(service: Service, dotenv: dict[str, str]) -> int:
    cfg = settings_from(service, dotenv)
    command = service["command"]
    if command[:2] == ["socia", "dev"]:  # one process, with a worker in it
        return db_slot_count(cfg) + QUEUE_CONNECTIONS
    assert command[:2] == ["socia", "serve"]
    workers = int(command[command.index("--workers") + 1]) if "--workers" in command else None
    # The default number of workers follows the machine's CPUs: any machine.
    return max(
        plan_server(cfg, workers=workers, cpu_count=cpus).connections
        for cpus in (1, 2, 4, 8, 16, 64, 256)
    )


@pytest.mark.parametrize("file_set", ["production", "development"])
def test_the_connection_budget_adds_up(
    base: dict[str, Any], override: dict[str, Any], file_set: str
) -> None:
    merged = services(base) if file_set == "production" else services(base, override)
    dotenv = PRODUCTION_DOTENV if file_set == "production" else {}
    backend = _backend_connections(merged["backend"], dotenv)
    worker = db_slot_count(settings_from(merged["worker"], dotenv)) + QUEUE_CONNECTIONS
    needed = backend + worker + sum(RESERVED_CONNECTIONS.values())
    assert needed <= _max_connections(merged["db"]), (backend, worker, RESERVED_CONNECTIONS)


def test_the_backend_derives_its_pools_from_the_budget(base: dict[str, Any]) -> None:
    """Fixed pool sizes in the backend's environment would multiply by the workers."""
    environment = as_mapping(services(base)["backend"]["environment"])
    assert "DB_CONNECTION_BUDGET" in environment
    assert not {"DB_POOL_SIZE", "DB_MAX_OVERFLOW", "THREADPOOL_SIZE"} & set(environment)


@pytest.mark.parametrize("service", BACKEND_SERVICES)
def test_backend_environment_is_made_of_settings(
    base: dict[str, Any], override: dict[str, Any], service: str
) -> None:
    for merged in (services(base), services(base, override)):
        names = set(as_mapping(merged[service]["environment"]))
        unknown = names - set(Settings.model_fields)
        assert not unknown, f"{service} sets variables that are not settings: {unknown}"


# What an operator adds to `.env` for production: the real SMS gateway and mail server.
PRODUCTION_DOTENV = {
    "SMS_GATEWAY_AUTH_KEY": "gateway-key",
    "SMTP_HOST": "smtp.example.com",
    "RAZORPAY_KEY_ID": "rzp_live_key",
    "RAZORPAY_KEY_SECRET": "razorpay-key-secret",
    "RAZORPAY_WEBHOOK_SECRET": "razorpay-webhook-secret",
}


def test_production_refuses_to_start_without_real_sms_and_email(base: dict[str, Any]) -> None:
    for service in BACKEND_SERVICES:
        with pytest.raises(ValidationError, match="SMS_GATEWAY_AUTH_KEY"):
            settings_from(services(base)[service])
        no_mail = {"SMS_GATEWAY_AUTH_KEY": "gateway-key"}
        with pytest.raises(ValidationError, match="SMTP_HOST"):
            settings_from(services(base)[service], no_mail)


def test_production_environment_validates(base: dict[str, Any]) -> None:
    for service in BACKEND_SERVICES:
        cfg = settings_from(services(base)[service], PRODUCTION_DOTENV)
        assert cfg.is_production
        assert (cfg.SMS_PROVIDER, cfg.EMAIL_BACKEND) == ("msg91", "smtp")
        assert cfg.DATABASE_URL == "postgresql+psycopg://socia:pg-secret@db:5432/socia"
        assert cfg.REDIS_URL == "redis://redis:6379/0"
        assert cfg.TRUSTED_PROXY_HOPS == 1


def test_development_environment_validates_and_uses_the_mail_catcher(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    dev = services(base, override)
    for service in ("backend", "worker"):  # the worker sends the emails
        cfg = settings_from(dev[service])
        assert cfg.ENVIRONMENT is Environment.LOCAL
        assert cfg.SMS_PROVIDER == "console"  # codes in the `docker compose logs`
        assert cfg.EMAIL_BACKEND == "smtp"
        assert cfg.SMTP_HOST == "mailcatcher"
        assert cfg.SMTP_PORT in host_ports(dev["mailcatcher"]).values()
        assert not cfg.SMTP_TLS
        assert not cfg.SMTP_SSL
    assert settings_from(dev["prestart"]).ENVIRONMENT is Environment.LOCAL


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    documented = set(dotenv_values(ROOT / ".env.example"))
    for name in ("docker-compose.yml", "docker-compose.override.yml"):
        used = variables((ROOT / name).read_text())
        assert used <= documented, f"{name} uses undocumented {used - documented}"
        assert used - set(Settings.model_fields) <= COMPOSE_ONLY


def test_database_credentials_agree(base: dict[str, Any]) -> None:
    db_env = {k: interpolate(v) for k, v in base["services"]["db"]["environment"].items()}
    url = settings_from(base["services"]["backend"], PRODUCTION_DOTENV).DATABASE_URL
    assert url == (
        f"postgresql+psycopg://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}"
        f"@db:5432/{db_env['POSTGRES_DB']}"
    )


def _dockerfile() -> str:
    return (BACKEND_DIR / "Dockerfile").read_text()


def _uv_syncs(dockerfile: str) -> list[str]:
    joined = dockerfile.replace("\\\n", " ")
    return re.findall(r"uv sync [^\n]*", joined)


def test_dockerfile_runs_the_production_server_as_a_non_root_user() -> None:
    dockerfile = _dockerfile()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    cmd = re.findall(r"^CMD\s+(.+)$", dockerfile, flags=re.MULTILINE)[-1]
    assert '"socia", "serve"' in cmd


def test_the_image_ships_neither_dev_tools_nor_the_embedded_database() -> None:
    """Every `uv sync` of the image leaves out the default groups (dev, embedded); the
    development image (INSTALL_DEV) adds the dev group only."""
    syncs = _uv_syncs(_dockerfile())
    assert len(syncs) == 2
    for sync in syncs:
        assert sync.startswith("uv sync --locked")
        assert "--no-default-groups" in sync
        assert "embedded" not in sync
        assert '[ "$INSTALL_DEV" = "true" ] && echo "--group dev"' in sync


def test_the_image_does_not_copy_tests_or_benchmarks() -> None:
    copies = re.findall(r"^COPY\s+(?!--from)(.+)$", _dockerfile(), flags=re.MULTILINE)
    sources = {source for line in copies for source in line.split()[:-1]}
    assert sources == {
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "alembic.ini",
        ".python-version",
        "app",
    }
    for source in sources:
        assert (BACKEND_DIR / source).exists(), source
    # The build context leaves them out too (and local secrets and data).
    ignored = set((BACKEND_DIR / ".dockerignore").read_text().split())
    assert {"tests/", "bench/", "scripts/", ".venv/", ".data/", ".env"} <= ignored


def test_the_image_runs_the_pinned_python() -> None:
    pinned = (BACKEND_DIR / ".python-version").read_text().strip()
    base_image = re.findall(r"^FROM\s+(\S+)", _dockerfile(), flags=re.MULTILINE)[0]
    assert base_image == f"python:{pinned}-slim"
    assert "UV_PYTHON_DOWNLOADS=never" in _dockerfile()


def test_the_pinned_python_is_in_the_supported_range() -> None:
    pyproject = tomllib.loads((BACKEND_DIR / "pyproject.toml").read_text())
    supported = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", pyproject["project"]["requires-python"])
    assert supported
    lowest, beyond = int(supported.group(1)), int(supported.group(2))
    # CPython 3.11 to 3.14: what the embedded PostgreSQL has wheels for.
    assert (lowest, beyond) == (11, 15)
    pinned = (BACKEND_DIR / ".python-version").read_text().strip()
    match = re.fullmatch(r"3\.(\d+)", pinned)
    assert match, "pin a minor version (uv takes any installed patch release of it)"
    assert lowest <= int(match.group(1)) < beyond
