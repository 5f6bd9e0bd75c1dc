"""One default language for the whole package: Chinese (issue 18)."""
import importlib
import inspect
import pkgutil

import pytest

import crmlab
from crmlab._lang import DEFAULT_LANG, LANGS, check_lang
from crmlab.errors import CRMLabError

KNOWN_EXCEPTIONS: set[str] = set()      # none: every lang parameter defaults to Chinese


def _lang_defaults():
    """(qualified name, default of ``lang``) of every crmlab function or method with a ``lang`` parameter."""
    seen = {}
    for info in pkgutil.walk_packages(crmlab.__path__, "crmlab."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            members = [(name, obj)]
            if inspect.isclass(obj):
                members = [(f"{name}.{m}", f) for m, f in vars(obj).items() if callable(f)]
            for qual, f in members:
                if getattr(inspect.unwrap(f), "__module__", None) != module.__name__:
                    continue
                try:
                    param = inspect.signature(f).parameters.get("lang")
                except (TypeError, ValueError):
                    continue
                if param is not None and param.default is not inspect.Parameter.empty:
                    seen[f"{module.__name__}.{qual}"] = param.default
    return seen


def test_default_language_is_chinese():
    assert DEFAULT_LANG == "zh" and LANGS == ("zh", "en")


def test_every_lang_parameter_defaults_to_chinese():
    defaults = _lang_defaults()
    assert len(defaults) >= 15      # value, loyalty, service, complaints, concepts, satisfaction, survey, ui …
    # a default of None means "the current language" (e.g. of a UI page), not a language of its own
    wrong = {k: v for k, v in defaults.items() if v is not None and v != DEFAULT_LANG and k not in KNOWN_EXCEPTIONS}
    assert wrong == {}


def test_check_lang_accepts_zh_and_en_and_explains_anything_else():
    assert check_lang("zh") == "zh" and check_lang("en") == "en"
    for bad in ("fr", "ZH", "", None, 1):
        with pytest.raises(CRMLabError) as err:
            check_lang(bad)
        assert err.value.code == "BAD_LANG"
        assert str(err.value) == f"{err.value.zh} / {err.value.en}" and "lang" in err.value.zh


def test_check_lang_raises_the_module_error():
    from crmlab import value
    with pytest.raises(value.CustomerValueError) as err:
        value.value_type("个人", lang="english")
    assert "'zh'" in str(err.value) and "'en'" in str(err.value)
