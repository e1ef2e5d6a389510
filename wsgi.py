"""WSGI entry point: gunicorn wsgi:app"""

from nutera import create_app

app = create_app()
