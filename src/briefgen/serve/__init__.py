"""briefgen serve: leaders answer the self-assessment on the web.

``store`` keeps rounds, respondents and answers in a database (SQLite by default, PostgreSQL by
URL) through SQLAlchemy, its schema made by the Alembic migrations in ``migrations/``;
``questions`` turns the framework into the form's sections and validates what is posted;
``app`` is the Starlette application uvicorn runs; ``commands`` holds ``invite``, ``serve`` and
``export``. See docs/serve.md.
"""

from __future__ import annotations
