"""The 东方饭店 (Oriental Hotel) guest archive (task 1 §1.3) and its profile lookup."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ._common import _bad


# --- 东方饭店 (Oriental Hotel) guest archive: [004] 学习情境1 情境引入 ---------------------------

#: The birthday card sent to a guest who has not come back for a year or more (our wording of the
#: card in the 东方饭店 case).
BIRTHDAY_CARD = "{name}：您已经{years}年没有光临东方饭店了，我们都很想念您。祝您生日快乐！"

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈")
_SEATS = ["靠近第一个窗口", "靠近第二个窗口", "靠近第三个窗口", "靠门的位置", "角落的位置", "中间的圆桌", "吧台旁"]
_FOODS = ["三明治", "咖啡", "鸡蛋", "粥", "油条", "豆浆", "牛奶", "水果", "面条", "包子", "茶", "果汁", "煎饼"]


def _case_guest():
    """于先生, exactly as in the case: first stay with breakfast by the second window on 8 August,
    back more than a year later, then away for more than three years."""
    guest = ("G001", "于先生", pd.Timestamp("1972-11-20"))
    stays = [("G001", pd.Timestamp("2021-08-06"), pd.Timestamp("2021-08-09")),
             ("G001", pd.Timestamp("2022-09-14"), pd.Timestamp("2022-09-17"))]
    breakfasts = [("G001", pd.Timestamp("2021-08-07"), "靠门的位置", "粥、鸡蛋"),
                  ("G001", pd.Timestamp("2021-08-08"), "靠近第二个窗口", "三明治、咖啡、鸡蛋"),
                  ("G001", pd.Timestamp("2022-09-15"), "靠近第二个窗口", "三明治、咖啡、鸡蛋"),
                  ("G001", pd.Timestamp("2022-09-16"), "靠近第二个窗口", "三明治、咖啡、鸡蛋")]
    return guest, stays, breakfasts


def hotel_archive(seed: int | None = None, n_guests: int = 30) -> dict[str, pd.DataFrame]:
    """A guest archive of the 东方饭店 case: three tables ``guests``, ``stays`` and ``breakfasts``.

    Guest ``G001`` is 于先生 with the case's facts ([004] 学习情境1 情境引入): breakfast on 8 August of
    the year before his second stay, at the seat by the second window, one sandwich, one coffee and
    one egg; his last stay begins on 2022-09-14. The other guests are invented from ``seed``
    (default 1997) with habits: each usually sits in the same place and orders the same breakfast,
    but not always. Columns:

    - guests: ``guest_id``, ``name`` (surname + 先生/女士), ``birthday``;
    - stays: ``guest_id``, ``check_in``, ``check_out``;
    - breakfasts: ``guest_id``, ``date``, ``seat``, ``items`` (items joined by "、").

    >>> archive = hotel_archive()
    >>> archive["breakfasts"].query("guest_id == 'G001'").iloc[1].tolist()[1:]
    [Timestamp('2021-08-08 00:00:00'), '靠近第二个窗口', '三明治、咖啡、鸡蛋']
    """
    if n_guests < 1:
        raise _bad(f"n_guests must be at least 1, got {n_guests}", f"客人数至少为 1：{n_guests}")
    rng = np.random.default_rng(1997 if seed is None else seed)
    guest, stays, breakfasts = _case_guest()
    guests = [guest]
    first_day, last_day = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-12-20")
    span = (last_day - first_day).days
    for i in range(2, n_guests + 1):
        gid = f"G{i:03d}"
        name = f"{rng.choice(_SURNAMES)}{'先生' if rng.random() < 0.55 else '女士'}"
        birthday = pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(rng.integers(0, 365 * 50)))
        if birthday.month == 2 and birthday.day == 29:
            birthday -= pd.Timedelta(days=1)
        guests.append((gid, name, birthday))
        seat = str(rng.choice(_SEATS))
        order = "、".join(rng.choice(_FOODS, size=int(rng.integers(1, 4)), replace=False))
        starts = np.sort(rng.choice(span, size=int(rng.integers(1, 6)), replace=False))
        previous_out = first_day - pd.Timedelta(days=1)
        for start in starts:
            check_in = max(first_day + pd.Timedelta(days=int(start)), previous_out + pd.Timedelta(days=1))
            check_out = check_in + pd.Timedelta(days=int(rng.integers(1, 6)))
            stays.append((gid, check_in, check_out))
            previous_out = check_out
            for d in pd.date_range(check_in + pd.Timedelta(days=1), check_out):
                if rng.random() < 0.75:
                    s = seat if rng.random() < 0.7 else str(rng.choice(_SEATS))
                    o = order if rng.random() < 0.7 else "、".join(
                        rng.choice(_FOODS, size=int(rng.integers(1, 4)), replace=False))
                    breakfasts.append((gid, d, s, o))
    g = pd.DataFrame(guests, columns=["guest_id", "name", "birthday"])
    s = pd.DataFrame(stays, columns=["guest_id", "check_in", "check_out"])
    b = pd.DataFrame(breakfasts, columns=["guest_id", "date", "seat", "items"])
    s = s.sort_values(["check_in", "guest_id"], kind="stable").reset_index(drop=True)
    b = b.sort_values(["date", "guest_id"], kind="stable").reset_index(drop=True)
    return {"guests": g, "stays": s, "breakfasts": b}


def full_years(start, end) -> int:
    """Whole calendar years from ``start`` to ``end`` (a birthday-style count).

    >>> full_years("2022-09-14", "2025-09-13"), full_years("2022-09-14", "2025-09-14")
    (2, 3)
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    return end.year - start.year - int((end.month, end.day) < (start.month, start.day))


@computes("guest_profile", "老顾客档案查询（姓名、老位置、老菜单、生日贺卡）", "a returning guest's profile")
def guest_profile(archive: Mapping[str, pd.DataFrame], guest_id: str, today) -> dict:
    """What the staff of 东方饭店 know about a returning guest on the morning of ``today``.

    Only records dated before ``today`` (breakfasts) or on it (stays) are used. Keys:

    - ``name``: how to greet the guest (e.g. ``'于先生'``);
    - ``last_breakfast``, ``usual_seat``, ``usual_order``: the date, seat and items (a list) of the
      guest's most recent breakfast before ``today``, or ``None`` when there is none (the case: "还要
      老位置吗？" — the usual seat and order are those of the last visit);
    - ``birthday_greeting``: on the guest's birthday, when the last stay began a full year or more
      before ``today``, :data:`BIRTHDAY_CARD` filled with the name and the whole years away;
      otherwise ``None``.

    Textbook [004] 学习情境1 情境引入 (东方饭店); the one-year rule for the card is crmlab's.

    >>> archive = hotel_archive()
    >>> p = guest_profile(archive, "G001", "2022-09-15")
    >>> p["usual_seat"], p["usual_order"], p["last_breakfast"].date()
    ('靠近第二个窗口', ['三明治', '咖啡', '鸡蛋'], datetime.date(2021, 8, 8))
    >>> guest_profile(archive, "G001", "2025-11-20")["birthday_greeting"]
    '于先生：您已经3年没有光临东方饭店了，我们都很想念您。祝您生日快乐！'
    """
    today = pd.Timestamp(today)
    guests = archive["guests"]
    row = guests[guests["guest_id"] == guest_id]
    if row.empty:
        raise _bad(f"no guest {guest_id!r} in the archive", f"档案中没有客人 {guest_id!r}")
    name, birthday = row["name"].iloc[0], pd.Timestamp(row["birthday"].iloc[0])
    b = archive["breakfasts"]
    b = b[(b["guest_id"] == guest_id) & (b["date"] < today)].sort_values("date", kind="stable")
    profile = {"name": name, "last_breakfast": None, "usual_seat": None, "usual_order": None,
               "birthday_greeting": None}
    if len(b):
        last = b.iloc[-1]
        profile.update(last_breakfast=last["date"], usual_seat=last["seat"],
                       usual_order=str(last["items"]).split("、"))
    s = archive["stays"]
    visits = s.loc[(s["guest_id"] == guest_id) & (s["check_in"] <= today), "check_in"]
    if len(visits) and (birthday.month, birthday.day) == (today.month, today.day):
        years = full_years(visits.max(), today)
        if years >= 1:
            profile["birthday_greeting"] = BIRTHDAY_CARD.format(name=name, years=years)
    return profile
