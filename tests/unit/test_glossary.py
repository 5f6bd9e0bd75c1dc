import pytest

from crmlab import glossary


def test_round_trip_between_keys_and_chinese_terms():
    for key, (zh, en, also) in glossary.TERMS.items():
        assert glossary.key(zh) == key
        assert glossary.key(en) == key
        for label in also:
            assert glossary.key(label) == key


def test_synonyms_from_the_textbooks():
    assert glossary.key("客户终身价值") == "clv"          # 终身 ([004]) and 终生 ([000]) both accepted
    assert glossary.key("A类客户") == glossary.key("重点客户") == "abc_A"
    assert glossary.label("risk") == "风险客户 risk"


def test_unknown_term_is_a_clear_error():
    with pytest.raises(KeyError, match="未知术语"):
        glossary.key("no such thing")
