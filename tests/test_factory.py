"""The app factory and its configuration."""

from pathlib import Path

from nutera import create_app
from nutera.config import database_url, load_secret_key


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(str(tmp_path))
    assert len(first) == 64
    assert load_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(str(tmp_path)) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_defaults_to_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path / 'nutera.sqlite3'}"


def test_database_url_normalises_postgres_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert database_url("/x") == "postgresql+psycopg://u@h/db"


def test_environment_prefixed_settings_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("NUTERA_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("SECRET_KEY", "x")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert Path(app.config["UPLOAD_FOLDER"]).parent == tmp_path


def test_blueprint_prefixes_keep_the_public_urls(app):
    """Prefixed blueprints answer the same URLs under the same endpoints as before."""
    adapter = app.url_map.bind("localhost")
    expected = {
        "/kelola/sasaran/3": "targeting.review",
        "/kelola/sasaran/3/hitung": "targeting.recompute",
        "/kelola/sasaran/kasus/5": "targeting.decision",
        "/kelola/sasaran/3/ekspor.xlsx": "targeting.export",
        "/meja-pengaduan": "complaints.queue",
        "/meja-pengaduan/7": "complaints.detail",
        "/pengaduan": "complaints.new_complaint",
        "/pemutakhiran/tugas/2": "refresh.job_status",
    }
    for url, endpoint in expected.items():
        method = "POST" if url.endswith("hitung") else "GET"
        assert adapter.match(url, method=method)[0] == endpoint, url
