"""Helpers shared by the test folders (``from helpers import bilingual``).

``tests/`` is on ``sys.path`` through ``pythonpath = ["tests"]`` in pyproject.toml's pytest settings,
so every test folder (unit, system, grading, browser …) imports this one module.
"""
from __future__ import annotations

import re

from crmlab import errors

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3}")


def bilingual(err) -> str:
    """The message of ``err`` after checking it is crmlab's one bilingual format; returns the message.

    ``err`` is a ``pytest.ExceptionInfo``, an exception or a message. The message must carry Chinese
    and English, Chinese first: ``"中文 / English"`` (:func:`crmlab.errors.bilingual`). An error with
    ``zh`` and ``en`` attributes must be exactly ``bilingual(en, zh)``.
    """
    if hasattr(err, "value") and isinstance(err.value, BaseException):      # pytest.ExceptionInfo
        err = err.value
    message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    assert CJK.search(message), f"no Chinese in: {message!r}"
    assert LATIN.search(message), f"no English in: {message!r}"
    zh, en = getattr(err, "zh", None), getattr(err, "en", None)
    if zh is not None and en is not None:
        assert message == errors.bilingual(en, zh), f"not '中文 / English': {message!r}"
        assert CJK.search(zh), f"no Chinese in the Chinese message: {zh!r}"
        assert LATIN.search(en), f"no English in the English message: {en!r}"
    else:
        head, sep, tail = message.partition(errors.SEPARATOR)
        assert sep, f"not '中文{errors.SEPARATOR}English': {message!r}"
        assert CJK.search(head), f"the message does not start in Chinese: {message!r}"
        assert LATIN.search(tail), f"no English after the Chinese: {message!r}"
    return message


def new_pg_database(admin_url: str, template: str | None = None, prefix: str = "t_") -> str:
    """Create a throw-away PostgreSQL database (a copy of ``template`` if given) and return its name."""
    import uuid

    import sqlalchemy as sa

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return name


def drop_pg_database(admin_url: str, name: str) -> None:
    """Drop a database made by :func:`new_pg_database`, closing its connections."""
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    return admin_url.rsplit("/", 1)[0] + "/" + name
