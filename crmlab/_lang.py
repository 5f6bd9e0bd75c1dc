"""The one default language of crmlab (默认语言): Chinese, since the course is Chinese.

Every crmlab function with a ``lang`` parameter defaults to :data:`DEFAULT_LANG` (``"zh"``, the
textbook's Chinese terms) and accepts ``lang="en"`` for the English keys or labels.
:func:`check_lang` is the one check of a ``lang`` argument.

>>> from crmlab._lang import DEFAULT_LANG, check_lang
>>> DEFAULT_LANG
'zh'
>>> check_lang("en")
'en'
>>> check_lang("fr")
Traceback (most recent call last):
...
crmlab.errors.CRMLabError: lang 只能是 'zh' 或 'en'，收到 'fr' / lang must be 'zh' or 'en', got 'fr'
"""
from __future__ import annotations

from .errors import CRMLabError

__all__ = ["DEFAULT_LANG", "LANGS", "check_lang"]

#: The default ``lang`` of every crmlab function: Chinese.
DEFAULT_LANG = "zh"
#: The languages crmlab speaks: Chinese and English.
LANGS = ("zh", "en")


def _error(en: str, zh: str) -> CRMLabError:
    return CRMLabError("BAD_LANG", en, zh)


def check_lang(lang, error=_error) -> str:
    """``lang`` itself when it is ``"zh"`` or ``"en"``; otherwise raise ``error(en, zh)``.

    ``error`` makes the exception (a module passes its own, e.g. ``value.CustomerValueError``);
    its message is bilingual, ``"中文 / English"`` (:func:`crmlab.errors.bilingual`).

    >>> check_lang("zh")
    'zh'
    """
    if not isinstance(lang, str) or lang not in LANGS:
        raise error(f"lang must be 'zh' or 'en', got {lang!r}", f"lang 只能是 'zh' 或 'en'，收到 {lang!r}")
    return lang
