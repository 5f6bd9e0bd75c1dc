"""crmlab.concepts: the concepts of learning situation 1 (textbook tasks 1–2) as data and functions."""
import itertools

import pandas as pd
import pytest

from crmlab import concepts, datasets, glossary
from crmlab.concepts import ConceptError, ProcessGraph


# --------------------------------------------------------------------------- labels
def test_every_table_entry_has_a_chinese_term_and_an_english_gloss():
    tables = [concepts.CLASSIFICATION_BASES, concepts.TIME_ORDER_TYPES, concepts.PURCHASE_MOTIVES,
              concepts.RELATIONSHIP_CHARACTERISTICS, concepts.RELATIONSHIP_DIMENSIONS, concepts.LIFECYCLE_STAGES,
              concepts.LOYALTY_LADDER, concepts.KOTLER_LEVELS, concepts.SUPPLY_CHAIN_TYPES,
              concepts.SUPPLY_CHAIN_FEATURES, concepts.DEVELOPMENT_STEPS, concepts.CONCEPT_LAYERS,
              concepts.CRM_DEFINITIONS, concepts.CONTENT_BLOCKS, concepts.CRM_PROCESS_STEPS, concepts.CRM_ROLES,
              concepts.ORG_LEVELS, concepts.VOCATIONAL_ABILITIES, concepts.CAUSES, concepts.TECH_LINEAGE,
              concepts.THEORY_EVOLUTION,
              concepts.MANAGEMENT_PHILOSOPHIES, concepts.CONSUMPTION_ERAS, concepts.PIPL_SENSITIVE,
              concepts.PIPL_LAWFUL_BASES]
    for table in tables:
        for key, entry in table.items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in entry[0]), (key, entry[0])
            assert entry[1] and entry[1].isascii() or "–" in entry[1], (key, entry[1])


def test_key_of_accepts_key_chinese_and_english_and_rejects_others_bilingually():
    assert concepts.key_of("partnership", concepts.KOTLER_LEVELS) == "partnership"
    assert concepts.key_of("伙伴型", concepts.KOTLER_LEVELS) == "partnership"
    assert concepts.key_of(" PARTNERSHIP ", concepts.KOTLER_LEVELS) == "partnership"
    with pytest.raises(ConceptError, match="^未知.* / unknown "):
        concepts.key_of("朋友型", concepts.KOTLER_LEVELS)
    assert issubclass(ConceptError, ValueError)


def test_wrong_entries_counts_missing_extra_and_unknown_labels():
    key = {"a": "partnership", "b": "basic"}
    norm = lambda v: concepts.key_of(v, concepts.KOTLER_LEVELS)   # noqa: E731
    assert concepts.wrong_entries({"a": "伙伴型", "b": "基本型"}, key, norm) == []
    assert concepts.wrong_entries({"a": "朋友型", "b": "basic", "z": "basic"}, key, norm) == ["a", "z"]
    assert concepts.wrong_entries({}, key) == ["a", "b"]
    assert concepts.wrong_entries(None, key) == ["a", "b"]
    assert concepts.wrong_entries({"a": "partnership", "b": "basic"}, key) == []


def test_customer_type_keys_agree_with_the_glossary():
    for table in (concepts.TIME_ORDER_TYPES, concepts.PURCHASE_MOTIVES):
        for key, (zh, *_rest) in table.items():
            assert glossary.key(zh) == key


# --------------------------------------------------------------------------- customers
@pytest.mark.parametrize("bought,progress,expected", [
    (True, True, "present"), (False, True, "present"), (True, False, "past"), (False, False, "future")])
def test_time_order_type_follows_001(bought, progress, expected):
    assert concepts.time_order_type(bought, progress) == expected


def _toy_market():
    customers = pd.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F", "F"]})
    orders = pd.DataFrame({"customer_id": ["A", "B", "E", "F"],
                           "order_date": pd.to_datetime(["2025-06-01", "2025-10-04", "2026-02-01", "2025-10-03"])})
    opps = pd.DataFrame({"customer_id": ["C", "D", "A"],
                         "created_date": pd.to_datetime(["2025-12-01", "2025-03-01", "2025-01-01"]),
                         "closed_date": pd.to_datetime(["2026-01-15", "2025-05-01", pd.NaT])})
    return customers, orders, opps


def test_time_order_types_reads_open_deals_recent_orders_and_ignores_the_future():
    customers, orders, opps = _toy_market()
    before = [df.copy() for df in (customers, orders, opps)]
    types = concepts.time_order_types(customers, orders, opps, "2026-01-01")
    assert types.to_dict() == {
        "A": "present",   # an opportunity still open (no closed date)
        "B": "present",   # ordered 89 days before today: inside the window
        "C": "present",   # opportunity closed only after today: in progress today
        "D": "future",    # a lost deal long ago, never bought
        "E": "future",    # its only order is after today
        "F": "past",      # ordered 90 days before today: outside the window
    }
    assert types.index.name == "customer_id" and list(types.index) == list("ABCDEF")
    for b, a in zip(before, (customers, orders, opps)):
        pd.testing.assert_frame_equal(a, b)          # inputs untouched
    with pytest.raises(ValueError, match="window_days"):
        concepts.time_order_types(customers, orders, opps, "2026-01-01", window_days=-1)


def test_time_order_types_on_the_shipped_market_covers_every_customer_once():
    customers = datasets.load("customers")
    types = concepts.time_order_types(customers, datasets.load("orders"), datasets.load("opportunities"),
                                      "2026-01-01")
    assert types.index.is_unique and len(types) == customers["customer_id"].nunique()
    assert set(types) == {"past", "present", "future"}


def test_classification_bases_table():
    table = concepts.classification_bases()
    assert {"time_order", "purchase_motive", "value_level", "loyalty"} <= set(table.index)
    assert list(table.columns) == ["zh", "en", "source", "types"]


# --------------------------------------------------------------------------- relationships
def test_relationship_breadth_counts_new_retained_and_won_back():
    orders = pd.DataFrame({
        "customer_id": ["a", "b", "a", "a", "b", "c", "c", "c"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-04-02", "2024-07-01",
                                      "2024-08-01", "2024-08-09", "2024-08-20", "2025-01-03"])})
    table = concepts.relationship_breadth(orders)
    assert list(table.columns) == ["new", "retained", "won_back"]
    assert table.to_dict("index") == {
        "2024Q1": {"new": 2, "retained": 0, "won_back": 0},
        "2024Q2": {"new": 0, "retained": 1, "won_back": 0},
        "2024Q3": {"new": 1, "retained": 1, "won_back": 1},
        "2024Q4": {"new": 0, "retained": 0, "won_back": 0},   # an empty quarter is kept
        "2025Q1": {"new": 0, "retained": 0, "won_back": 1},
    }


def test_relationship_breadth_adds_up_to_the_active_customers_on_real_data():
    orders = datasets.load("orders")
    table = concepts.relationship_breadth(orders)
    active = orders.groupby(orders["order_date"].dt.to_period("Q"))["customer_id"].nunique()
    assert table.sum(axis=1).tolist() == active.tolist()
    assert table["new"].sum() == orders["customer_id"].nunique()
    monthly = concepts.relationship_breadth(orders, freq="M")
    assert len(monthly) == 24 and monthly["new"].sum() == orders["customer_id"].nunique()


def test_relationship_breadth_bad_and_empty_input():
    with pytest.raises(ValueError, match="order_date"):
        concepts.relationship_breadth(pd.DataFrame({"customer_id": ["a"]}))
    empty = concepts.relationship_breadth(pd.DataFrame({"customer_id": [], "order_date": pd.to_datetime([])}))
    assert empty.empty and list(empty.columns) == ["new", "retained", "won_back"]


def test_kotler_corners_confirmed_by_the_textbook_and_the_full_matrix():
    assert concepts.kotler_level("few", "high") == "partnership"     # task 1 §1.2.3
    assert concepts.kotler_level("many", "low") == "basic"           # task 1 §1.2.3
    assert concepts.kotler_level("少", "高") == "partnership"
    cells = [concepts.kotler_level(c, m) for c in ("many", "medium", "few") for m in ("low", "medium", "high")]
    assert len(cells) == 9 and set(cells) == set(concepts.KOTLER_LEVELS)
    # fewer customers or a higher margin never lowers the level
    rank = {k: i for i, k in enumerate(concepts.KOTLER_LEVELS)}
    bands, margins = ["many", "medium", "few"], ["low", "medium", "high"]
    for i, c in enumerate(bands):
        for j, m in enumerate(margins):
            level = rank[concepts.kotler_level(c, m)]
            if i + 1 < 3:
                assert rank[concepts.kotler_level(bands[i + 1], m)] >= level
            if j + 1 < 3:
                assert rank[concepts.kotler_level(c, margins[j + 1])] >= level
    # the standard matrix is "one level up per step towards fewer customers or a higher margin"
    levels = list(concepts.KOTLER_LEVELS)
    for i, c in enumerate(bands):
        for j, m in enumerate(margins):
            assert concepts.kotler_level(c, m) == levels[i + j]
    with pytest.raises(ConceptError, match="margin"):
        concepts.kotler_level("few", "huge")
    assert concepts.kotler_table(lang="en").loc["many", "low"] == "basic"
    assert concepts.kotler_table().loc["多", "低"] == "基本型"      # Chinese by default
    with pytest.raises(ValueError):
        concepts.kotler_table("fr")


def test_supply_chain_rules_on_every_feature_combination():
    for combo in itertools.product([False, True], repeat=4):
        f = dict(zip(concepts.SUPPLY_CHAIN_FEATURES, combo))
        got = concepts.supply_chain_type(f)
        if f["equity_ties"]:
            assert got == "strategic_alliance"
        elif f["top_management_ties"] and f["high_switching_cost"]:
            assert got == "partnership"
        elif f["priority_access"]:
            assert got == "preferred_supplier"
        else:
            assert got == "buy_sell"


def test_supply_chain_type_bad_input():
    with pytest.raises(ConceptError, match="lacks"):
        concepts.supply_chain_type({"equity_ties": True})
    with pytest.raises(ConceptError, match="True or False"):
        concepts.supply_chain_type({"equity_ties": "yes", "top_management_ties": False,
                                    "high_switching_cost": False, "priority_access": False})


def test_relationship_cases_are_seeded_and_classified_row_by_row():
    all16 = concepts.relationship_cases()
    assert len(all16.drop_duplicates()) == 16 and all16.index[0] == "K01"
    a, b = concepts.relationship_cases(seed=3, n=20), concepts.relationship_cases(seed=3, n=20)
    pd.testing.assert_frame_equal(a, b)
    types = concepts.supply_chain_types(a)
    assert list(types.index) == list(a.index)
    assert types.tolist() == [concepts.supply_chain_type(r) for _, r in a.iterrows()]
    assert len(concepts.relationship_cases(n=5)) == 5


# --------------------------------------------------------------------------- CRM process graph
# The textbook's order (task 1 §1.3.4) lives here and in lab 03's hidden test only, not in crmlab.
_CRM_ORDER = ["collect", "analyse", "exchange", "service", "time"]


def _crm_process():
    return ProcessGraph(_CRM_ORDER, zip(_CRM_ORDER, _CRM_ORDER[1:]))


def test_a_five_step_chain_of_the_textbook_process():
    g = _crm_process()
    assert sorted(g.steps) == sorted(concepts.CRM_PROCESS_STEPS)
    assert g.edges == [("collect", "analyse"), ("analyse", "exchange"), ("exchange", "service"), ("service", "time")]
    assert g.is_chain() and g.order() == g.steps
    assert g.successors("collect") == ["analyse"] and g.predecessors("collect") == []
    assert len(g) == 5 and "time" in g and "ProcessGraph(5 steps, 4 edges)" == repr(g)


def test_process_graph_rejects_bad_edits_and_changes_nothing():
    g = ProcessGraph(["a", "b"], [("a", "b")])
    for bad in (lambda: g.add_step("a"), lambda: g.add_edge("a", "z"), lambda: g.add_edge("a", "a"),
                lambda: g.add_edge("a", "b")):
        with pytest.raises(ConceptError, match=" / "):
            bad()
    assert g.steps == ["a", "b"] and g.edges == [("a", "b")]


def test_process_graph_order_and_chain_detection():
    cycle = ProcessGraph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert not cycle.is_chain()
    with pytest.raises(ConceptError, match="cycle"):
        cycle.order()
    branch = ProcessGraph(["a", "b", "c"], [("a", "b"), ("a", "c")])
    assert branch.order() == ["a", "b", "c"] and not branch.is_chain()
    added_backwards = ProcessGraph(["c", "b", "a"], [("a", "b"), ("b", "c")])
    assert added_backwards.is_chain() and added_backwards.order() == ["a", "b", "c"]
    assert not ProcessGraph().is_chain()
    assert ProcessGraph(["x"]).is_chain()
    assert _crm_process().edge_table().shape == (4, 2)


def test_compare_edges_checks_edge_by_edge_across_languages():
    zh = [concepts.CRM_PROCESS_STEPS[k][0] for k in _CRM_ORDER]
    mine = ProcessGraph(zh, [(zh[0], zh[1]), (zh[1], zh[2]), (zh[3], zh[2]), (zh[3], zh[4])])
    table = concepts.compare_edges(mine, _crm_process(), normalise=concepts.step_key)
    assert table["status"].tolist() == ["ok", "ok", "missing", "ok", "extra"]
    assert table.iloc[-1][["from", "to"]].tolist() == ["service", "exchange"]
    assert concepts.step_key("Customer time management") == "time"


def test_process_graph_draws_without_warnings():
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmlab import plotting
    plotting.use_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = _crm_process()
        ax = g.draw(labels={k: v[0] for k, v in concepts.CRM_PROCESS_STEPS.items()})
        ax.figure.canvas.draw()
        ProcessGraph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")]).draw()
    assert sum(bool(t.get_text()) for t in ax.texts) == 5
    plt.close("all")


def test_roles_and_levels():
    assert len(concepts.CRM_ROLES) == 5 and concepts.role_key("CRM细分经理") == "segment_manager"
    assert list(concepts.ORG_LEVELS) == ["department", "collaboration", "enterprise"]
    assert len(concepts.VOCATIONAL_ABILITIES) == 11
    with pytest.raises(ConceptError):
        concepts.role_key("CEO")


# --------------------------------------------------------------------------- 东方饭店
def test_hotel_archive_reproduces_the_case_facts():
    archive = concepts.hotel_archive()
    yu = archive["guests"].set_index("guest_id").loc["G001"]
    assert yu["name"] == "于先生"
    p = concepts.guest_profile(archive, "G001", "2022-09-15")          # the morning of the story
    assert p["name"] == "于先生" and p["usual_seat"] == "靠近第二个窗口"
    assert p["usual_order"] == ["三明治", "咖啡", "鸡蛋"]
    assert p["last_breakfast"] == pd.Timestamp("2021-08-08")          # "去年8月8日"
    assert (pd.Timestamp("2022-09-15") - p["last_breakfast"]).days > 365  # more than a year ago
    assert p["birthday_greeting"] is None
    card = concepts.guest_profile(archive, "G001", "2025-11-20")["birthday_greeting"]
    assert card == concepts.BIRTHDAY_CARD.format(name="于先生", years=3)   # three years away


def test_hotel_archive_is_seeded_consistent_and_without_leap_birthdays():
    a, b = concepts.hotel_archive(seed=5, n_guests=50), concepts.hotel_archive(seed=5, n_guests=50)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert len(a["guests"]) == 50 and a["guests"]["guest_id"].is_unique
    assert set(a["stays"]["guest_id"]) <= set(a["guests"]["guest_id"])
    assert (a["stays"]["check_out"] > a["stays"]["check_in"]).all()
    assert not ((a["guests"]["birthday"].dt.month == 2) & (a["guests"]["birthday"].dt.day == 29)).any()
    for gid, stays in a["stays"].groupby("guest_id"):
        stays = stays.sort_values("check_in")
        assert (stays["check_in"].iloc[1:].to_numpy() > stays["check_out"].iloc[:-1].to_numpy()).all(), gid
    merged = a["breakfasts"].merge(a["stays"], on="guest_id")
    inside = (merged["date"] > merged["check_in"]) & (merged["date"] <= merged["check_out"])
    assert inside.groupby([merged["guest_id"], merged["date"]]).any().all()   # breakfast during a stay
    with pytest.raises(ValueError):
        concepts.hotel_archive(n_guests=0)


def test_guest_profile_uses_only_the_past_and_the_one_year_card_rule():
    archive = concepts.hotel_archive(seed=8, n_guests=40)
    before = {k: v.copy() for k, v in archive.items()}
    g = archive["guests"].iloc[5]
    first_stay = archive["stays"].query("guest_id == @g.guest_id")["check_in"].min()
    p = concepts.guest_profile(archive, g.guest_id, first_stay)
    assert p["usual_seat"] is None and p["usual_order"] is None and p["last_breakfast"] is None
    last_in = archive["stays"].query("guest_id == @g.guest_id")["check_in"].max()
    day = pd.Timestamp(year=last_in.year + 2, month=g.birthday.month, day=g.birthday.day)
    years = concepts.full_years(last_in, day)
    p = concepts.guest_profile(archive, g.guest_id, day)
    assert p["birthday_greeting"] == concepts.BIRTHDAY_CARD.format(name=g["name"], years=years)
    assert concepts.guest_profile(archive, g.guest_id, day + pd.Timedelta(days=1))["birthday_greeting"] is None
    recent = pd.Timestamp(year=last_in.year, month=g.birthday.month, day=g.birthday.day)
    if recent >= last_in:
        assert concepts.guest_profile(archive, g.guest_id, recent)["birthday_greeting"] is None
    for k in archive:
        pd.testing.assert_frame_equal(archive[k], before[k])
    with pytest.raises(ConceptError, match="G999"):
        concepts.guest_profile(archive, "G999", day)


def test_full_years_counts_whole_calendar_years():
    assert concepts.full_years("2022-09-14", "2025-09-13") == 2
    assert concepts.full_years("2022-09-14", "2025-09-14") == 3
    assert concepts.full_years("2024-02-28", "2025-02-27") == 0


# --------------------------------------------------------------------------- history
@pytest.mark.parametrize("table,answer", [
    (concepts.TECH_LINEAGE, ["contact_management", "sfa", "css", "call_centre", "crm"]),
    (concepts.THEORY_EVOLUTION, ["contact_management", "customer_service", "crm_theory", "customer_alliance"]),
    (concepts.MANAGEMENT_PHILOSOPHIES, ["output", "sales", "profit", "customer", "satisfaction"]),
    (concepts.CONSUMPTION_ERAS, ["rational", "sensory", "emotional"]),
    (concepts.DEVELOPMENT_STEPS, ["differentiate", "contact", "adapt"]),
    (concepts.CONCEPT_LAYERS, ["customer", "customer_relationship", "crm"]),
    (concepts.CRM_PROCESS_STEPS, _CRM_ORDER),
])
def test_ordered_tables_do_not_hold_their_exercise_answer(table, answer):
    # the labs ask for these orders: crmlab lists the same keys alphabetically, never in the answer's order
    assert sorted(table) == sorted(answer)
    assert list(table) == sorted(table) != answer
    assert all(len(entry) == 2 for entry in concepts.CONSUMPTION_ERAS.values())   # no choice standard either


def test_functions_that_compute_an_exercise_answer_are_recorded():
    from crmlab import segmentation, shortcuts, value
    marked = [concepts.time_order_type, concepts.time_order_types, concepts.relationship_breadth,
              concepts.kotler_level, concepts.kotler_table, concepts.supply_chain_type, concepts.supply_chain_types,
              concepts.guest_profile, concepts.survey_summary, concepts.repeat_profit_share,
              segmentation.segment_sizes, segmentation.purchase_intervals, segmentation.frequency_segments,
              value.top_share, value.pareto_table, value.value_loyalty_cell, value.value_loyalty_matrix,
              value.value_response_cell, value.value_response_matrix]
    assert all(getattr(f, "computes", None) for f in marked)
    assert not hasattr(concepts, "crm_process") and not hasattr(concepts, "sort_stages")
    assert not hasattr(concepts, "KOTLER_MATRIX")
    shortcuts.forget()
    concepts.kotler_table()
    assert shortcuts.called() == {"kotler_level"}
    shortcuts.forget()


def test_history_timeline_keeps_the_conflicting_dates_with_their_sources():
    t = concepts.history_timeline()
    contact = t[t["event"] == "contact management begins"]
    assert contact["year"].nunique() == 3 and contact["source"].is_unique
    assert t.loc[t["event"] == "Gartner Group proposes CRM", "year"].item() == 1999


def test_haidilao_survey_reproduces_the_prospectus_figures_exactly():
    survey = concepts.haidilao_survey()
    assert len(survey) == 1000
    counts = {"monthly": survey["visits"].isin(["每周", "每月"]).sum(), "again": (survey["come_again"] == "会").sum(),
              "satisfied": survey["satisfaction"].isin(["非常满意", "满意"]).sum(),
              "very": (survey["satisfaction"] == "非常满意").sum()}
    assert counts == {"monthly": 683, "again": 982, "satisfied": 993, "very": 520}
    summary = concepts.survey_summary(survey)
    assert summary["very_satisfied"] > concepts.HAIDILAO_FIGURES["very_satisfied"]   # "超过50%"
    other = concepts.survey_summary(concepts.haidilao_survey(n=437, seed=4))
    assert other["monthly_visitors"] == round(0.683 * 437) / 437


def test_haidilao_survey_bad_input():
    with pytest.raises(ValueError):
        concepts.haidilao_survey(n=0)
    with pytest.raises(ValueError, match="50"):
        concepts.haidilao_survey(very_satisfied=0.4)
    with pytest.raises(ConceptError, match="unknown answers"):
        concepts.survey_summary(pd.DataFrame({"visits": ["每天"], "come_again": ["会"], "satisfaction": ["满意"]}))
    with pytest.raises(ConceptError, match="column"):
        concepts.survey_summary(pd.DataFrame({"visits": ["每周"]}))
    with pytest.raises(ConceptError, match="no respondents"):
        concepts.survey_summary(pd.DataFrame({"visits": [], "come_again": [], "satisfaction": []}))


def test_pipl_sensitive_categories_follow_article_28():
    assert len(concepts.PIPL_SENSITIVE) == 7 and len(concepts.PIPL_LAWFUL_BASES) == 7
    for name in ("医疗健康", "financial_account", "行踪轨迹", "biometric data"):
        assert concepts.is_sensitive(name)
    for name in ("address", "姓名", "library loans"):
        assert not concepts.is_sensitive(name)


def test_repeat_profit_share_on_toy_and_real_data():
    orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [10.0, 30.0, 20.0, 5.0],
                           "cost": [5.0, 10.0, 15.0, 5.0],
                           "order_date": pd.to_datetime(["2024-03-01", "2025-03-01", "2025-04-01", "2023-01-01"])})
    assert concepts.repeat_profit_share(orders, 2025) == pytest.approx(0.8)
    with pytest.raises(ConceptError, match="no orders"):
        concepts.repeat_profit_share(orders, 2030)
    with pytest.raises(ConceptError, match="zero"):
        concepts.repeat_profit_share(orders, 2023)
    with pytest.raises(ConceptError, match="cost"):
        concepts.repeat_profit_share(orders.drop(columns="cost"), 2025)
    real = datasets.load("orders")
    share = concepts.repeat_profit_share(real, 2025)
    assert 0 < share < 1
