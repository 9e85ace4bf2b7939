"""docker-compose.yml and its override agree with each other and with `Settings`.

No Docker engine runs here, so the files are parsed and checked: services, ports,
healthchecks, start order, Traefik routes, and every backend environment variable
(a real Settings field, with values that validate).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values
from pydantic import ValidationError

from app.core.config import BACKEND_DIR, Environment, Settings

ROOT = BACKEND_DIR.parent
BACKEND_SERVICES = ("prestart", "backend")
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "TAG"}
# Values for variables the files require (`${VAR:?message}`).
REQUIRED_VALUES = {"SECRET_KEY": "s" * 40, "POSTGRES_PASSWORD": "pg-secret"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")

Service = dict[str, Any]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return data


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return load("docker-compose.yml")


@pytest.fixture(scope="module")
def override() -> dict[str, Any]:
    return load("docker-compose.override.yml")


def merge(base_service: Service, override_service: Service) -> Service:
    """Docker Compose's merge for the keys used here: mappings merge, the rest replaces."""
    merged = dict(base_service)
    for key, value in override_service.items():
        if key in {"environment", "depends_on", "build"} and isinstance(value, dict):
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
    """Resolve `${VAR:-default}` to the `.env` value or its default, and `${VAR:?msg}` to
    a test value."""
    dotenv = dotenv or {}

    def one(match: re.Match[str]) -> str:
        name, kind, arg = match.group(1), match.group(2), match.group(3)
        if dotenv.get(name):
            return dotenv[name]
        if kind and kind.endswith("?"):
            return REQUIRED_VALUES[name]
        return arg or ""

    return _VARIABLE.sub(one, str(value)).replace("$$", "$")


def variables(text: str) -> set[str]:
    return {m.group(1) for m in _VARIABLE.finditer(text)}


def host_ports(service: Service) -> dict[int, int]:
    """{host port: container port}"""
    result = {}
    for entry in service.get("ports", []):
        host, container = str(entry).rsplit(":", 1)
        result[int(host.rsplit(":", 1)[-1])] = int(container.split("/")[0])
    return result


def settings_from(service: Service, dotenv: dict[str, str] | None = None) -> Settings:
    """The Settings the container would get (empty values mean "default", as in the app),
    with `dotenv` standing for the operator's `.env` (what `${VAR:-...}` picks up)."""
    env = {k: interpolate(v, dotenv or {}) for k, v in as_mapping(service["environment"]).items()}
    given: dict[str, Any] = {k: v for k, v in env.items() if v != ""}
    return Settings(_env_file=None, **given)


def test_services(base: dict[str, Any], override: dict[str, Any]) -> None:
    assert set(base["services"]) == {"db", "redis", "adminer", "prestart", "backend", "proxy"}
    assert set(override["services"]) - set(base["services"]) == {"mailcatcher"}
    assert base["services"]["db"]["image"].startswith("postgres:15")
    assert "app-db-data" in base["volumes"]


def test_ports(base: dict[str, Any], override: dict[str, Any]) -> None:
    prod = services(base)
    assert host_ports(prod["adminer"]) == {8080: 8080}
    assert host_ports(prod["proxy"]) == {80: 80, 8090: 8080}
    assert "--api.dashboard=true" in prod["proxy"]["command"]
    assert "--entrypoints.traefik.address=:8080" in prod["proxy"]["command"]
    # Production publishes only the proxy and Adminer; the API goes through Traefik.
    published = {port for service in prod.values() for port in host_ports(service)}
    assert published == {80, 8080, 8090}

    dev = services(base, override)
    assert host_ports(dev["mailcatcher"]) == {8025: 8025, 1025: 1025}
    assert host_ports(dev["backend"]) == {8000: 8000}
    assert host_ports(dev["db"]) == {5432: 5432}
    all_ports = [p for service in dev.values() for p in host_ports(service)]
    assert len(all_ports) == len(set(all_ports)), "a host port is published twice"


@pytest.mark.parametrize("name", ["db", "redis", "backend", "proxy"])
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
        backend = as_mapping(merged["backend"]["depends_on"])
        assert backend["db"]["condition"] == "service_healthy"
        assert backend["redis"]["condition"] == "service_healthy"
        assert backend["prestart"]["condition"] == "service_completed_successfully"
        assert as_mapping(merged["prestart"]["depends_on"])["db"]["condition"] == "service_healthy"


def test_commands(base: dict[str, Any], override: dict[str, Any]) -> None:
    prod = services(base)
    assert prod["prestart"]["command"] == ["socia", "migrate"]
    assert prod["backend"]["command"][:2] == ["socia", "serve"]
    assert prod["backend"]["build"]["context"] == "./backend"
    dev = services(base, override)
    assert dev["backend"]["command"][:2] == ["socia", "dev"]
    assert "./backend/app:/app/app" in dev["backend"]["volumes"]
    assert dev["backend"]["build"]["args"]["INSTALL_DEV"] == "true"


def test_traefik_routes_the_api_and_docs_to_the_backend(base: dict[str, Any]) -> None:
    labels = dict(label.split("=", 1) for label in base["services"]["backend"]["labels"])
    assert labels["traefik.enable"] == "true"
    rule = labels["traefik.http.routers.socia-backend.rule"]
    for prefix in ("/api", "/docs", "/redoc", "/q"):
        assert f"PathPrefix(`{prefix}`)" in rule
    port = labels["traefik.http.services.socia-backend.loadbalancer.server.port"]
    command = base["services"]["backend"]["command"]
    assert command[command.index("--port") + 1] == port
    assert labels["traefik.http.routers.socia-backend.entrypoints"] == "http"
    assert "--entrypoints.http.address=:80" in base["services"]["proxy"]["command"]


@pytest.mark.parametrize("service", BACKEND_SERVICES)
def test_backend_environment_is_made_of_settings(
    base: dict[str, Any], override: dict[str, Any], service: str
) -> None:
    for merged in (services(base), services(base, override)):
        names = set(as_mapping(merged[service]["environment"]))
        unknown = names - set(Settings.model_fields)
        assert not unknown, f"{service} sets variables that are not settings: {unknown}"


# What an operator adds to `.env` for production: the real SMS gateway and mail server.
PRODUCTION_DOTENV = {"SMS_GATEWAY_AUTH_KEY": "gateway-key", "SMTP_HOST": "smtp.example.com"}


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
    cfg = settings_from(dev["backend"])
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


def test_dockerfile_runs_the_production_server_as_a_non_root_user() -> None:
    dockerfile = (BACKEND_DIR / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "uv sync --locked" in dockerfile
    cmd = re.findall(r"^CMD\s+(.+)$", dockerfile, flags=re.MULTILINE)[-1]
    assert '"socia", "serve"' in cmd
    ignored = Path(BACKEND_DIR / ".dockerignore").read_text().split()
    assert {".venv/", ".data/", ".env"} <= set(ignored)
