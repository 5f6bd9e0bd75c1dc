"""A seeded messy table (:func:`scattered_records`): the same customers recorded by several
salespeople of 无锡中原 (task 7 拓展), with its ground truth."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import ArchiveError


# --------------------------------------------------------------------------------------------
# A seeded messy table: the same customers recorded by several salespeople
# --------------------------------------------------------------------------------------------
# 无锡中原 (task 7 拓展): two sales regions, 华南 (head office 上海, an office per province) and
# 北方; each salesperson covers two prefecture-level areas. (province, city, area code)
_TERRITORIES = {
    "华南": [("上海", "上海", "021"), ("上海", "上海", "021"), ("广东", "广州", "020"), ("广东", "深圳", "0755"),
           ("广东", "佛山", "0757"), ("广东", "东莞", "0769"), ("福建", "福州", "0591"), ("福建", "厦门", "0592"),
           ("广西", "南宁", "0771"), ("广西", "桂林", "0773"), ("湖南", "长沙", "0731"), ("湖南", "株洲", "0733")],
    "北方": [("北京", "北京", "010"), ("天津", "天津", "022"), ("河北", "石家庄", "0311"), ("河北", "唐山", "0315"),
           ("山东", "济南", "0531"), ("山东", "青岛", "0532"), ("辽宁", "沈阳", "024"), ("辽宁", "大连", "0411")],
}
_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
_PROVINCE_SUFFIX = {"广西": "壮族自治区"}
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏宇浩凯婷雪琳晨欣博俊峰亮斌波宁龙海燕")
_BRAND = list("星海华辰鑫达恒通宏远天成金桥万源瑞丰长城东方新亚博雅嘉禾永盛汇中联安泰德隆富康宁锦程纳航佳美润发鸿运兴业昌盈信和光明立创")
_TRADES = ["电器", "科技", "贸易", "机电", "医疗器械", "建材", "食品", "物流", "商贸", "电子", "实业", "酒店"]
_DISTRICTS = ["城东", "城西", "城南", "城北", "高新", "开发", "新城", "老城"]
_STREETS = ["中山", "解放", "人民", "建设", "新华", "和平", "胜利", "长安", "朝阳", "青年", "文化", "光明", "东风",
            "幸福", "迎宾"]
_TYPOS = dict(zip("伟芳娜敏静丽磊军洋勇艳杰娟涛明超霞平华红建文辉宇浩婷琳欣俊峰亮斌波器达通远源丰盛泰隆康程航运业昌信创",
                  "玮方那民靖莉雷君阳永燕洁鹃滔铭潮侠萍化虹健雯晖雨皓亭林新骏锋靓彬博气大同原园风胜太龙糠成行韵叶常心闯"))
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


def _typo(text: str, rng) -> str:
    spots = [i for i, ch in enumerate(text) if ch in _TYPOS]
    if not spots:
        return text
    i = spots[int(rng.integers(len(spots)))]
    return text[:i] + _TYPOS[text[i]] + text[i + 1:]


def _mess_phone(p: str, kind: str, area: str, rng) -> str | None:
    u = rng.random()
    if u < 0.08:
        return None
    if u < 0.11:                                     # a wrong digit: another valid-looking number
        i = int(rng.integers(3, len(p)))
        return p[:i] + str((int(p[i]) + 1 + int(rng.integers(8))) % 10) + p[i + 1:]
    if u < 0.13:                                     # a digit dropped: invalid
        return p[:-1]
    if kind == "mobile":
        styles = [p, f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"+86 {p}", f"0086-{p}",
                  f"+86 {p[:3]} {p[3:7]} {p[7:]}", p.translate(_FW), f"86{p}"]
    else:
        local = p[len(area):]
        styles = [p, f"{area}-{local}", f"({area}){local[:4]}-{local[4:]}", f"+86 {area[1:]} {local}",
                  f"0086 {area[1:]}-{local}", p.translate(_FW)]
    return styles[int(rng.integers(len(styles)))]


def _mess_address(parts: tuple, rng) -> str | None:
    prov, city, district, street, num = parts
    if rng.random() < 0.08:
        return None
    keep_prov_suffix, keep_city_suffix = rng.random() < 0.6, rng.random() < 0.6
    if city in _MUNICIPALITIES:
        head = city + ("市" if keep_city_suffix else "")
    else:
        suffix = _PROVINCE_SUFFIX.get(prov, "省")
        head = prov + (suffix if keep_prov_suffix else "") + city + ("市" if keep_city_suffix else "")
    num_text = str(num).translate(_FW) if rng.random() < 0.15 else str(num)
    sep = " " if rng.random() < 0.2 else ""
    return f"{head}{sep}{district}区{street}路{num_text}号"


def _mess_name(nm: str, is_org: bool, rng) -> str:
    u = rng.random()
    if u < 0.06:
        nm = _typo(nm, rng)
    if is_org:
        v = rng.random()
        if v < 0.25:
            nm = nm.replace("有限公司", "有限责任公司")
        elif v < 0.32:
            nm = nm.replace("有限公司", "公司")
    if rng.random() < 0.1:
        i = int(rng.integers(1, len(nm)))
        nm = nm[:i] + (" " if rng.random() < 0.5 else "\u3000") + nm[i:]
    return nm


def scattered_records(n_customers: int = 200, seed: int = 0, dup_share: float = 0.4, max_copies: int = 4,
                      org_share: float = 0.5) -> tuple[pd.DataFrame, pd.Series]:
    """A messy archive: the same customers recorded by several salespeople, with the ground truth.

    Before central management (集中管理, task 5 §5.2.2 1) each salesperson keeps his own customer
    records. Modelled on the 无锡中原 case (task 7 拓展): two sales regions 华南 and 北方, each
    salesperson covering two prefecture-level areas. ``dup_share`` of the customers are recorded
    2 to ``max_copies`` times (by different salespeople or keyed twice), each copy messy in its
    own way:

    * phones written with spaces, dashes, +86 / 0086 / 86, brackets or full-width digits; some
      missing, some with a wrong digit (another valid number), some a digit short (invalid);
    * names with 有限公司 ↔ 有限责任公司 / 公司, stray (full-width) spaces, a look-alike typo;
    * addresses with or without 省/市/自治区, full-width digits, spaces; some missing;
    * credit limits that disagree between salespeople, some missing, a few negative (keying
      errors for the quality report); record dates 2023–2025.

    Different customers can share a name (common Chinese names), so names alone do not decide.
    Same seed, same table (numpy's default generator; no Faker, so it does not change with
    Faker's version). Generated in a vectorised way: 100,000 records take about a second.

    Returns
    -------
    (records, truth): ``records`` has ``record_id, sales_id, region, city, name, phone, address,
    contact, industry, credit_limit, recorded_at``; ``truth`` is a Series over the same index
    naming the true customer (``entity_id``) of every row.

    Examples
    --------
    >>> from crmlab import archive
    >>> records, truth = archive.scattered_records(n_customers=100, seed=7)
    >>> records.columns.tolist()
    ['record_id', 'sales_id', 'region', 'city', 'name', 'phone', 'address', 'contact', 'industry', 'credit_limit', 'recorded_at']
    >>> truth.nunique(), len(records) > 100
    (100, True)
    >>> res = archive.consolidate(records, id_col="record_id", city="city", date="recorded_at")
    >>> scores = archive.dedup_scores(res.members["cluster"].to_numpy(), truth.to_numpy())
    >>> bool(scores["precision"] > 0.9 and scores["recall"] > 0.8)
    True
    """
    for v, nm, lo in ((n_customers, "n_customers", 1), (max_copies, "max_copies", 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ArchiveError("BAD_OPTION", f"{nm} must be an integer ≥ {lo}", f"{nm} 必须是不小于 {lo} 的整数")
    for v, nm in ((dup_share, "dup_share"), (org_share, "org_share")):
        if not 0 <= v <= 1:
            raise ArchiveError("BAD_OPTION", f"{nm} must lie in [0, 1]", f"{nm} 必须在 [0, 1] 之间")
    rng = np.random.default_rng(seed)
    terr = [(r, p, c, a) for r, lst in _TERRITORIES.items() for p, c, a in lst]
    # salespeople: each covers two areas (the 上海 head office counts twice, so it has its own person)
    n_sales = len(terr) // 2
    n = n_customers
    t_idx = rng.integers(len(terr), size=n)
    is_org = rng.random(n) < org_share
    # names
    surname = np.array(_SURNAMES)[rng.integers(len(_SURNAMES), size=n)]
    g1 = np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)]
    g2 = np.where(rng.random(n) < 0.6, np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)], "")
    person = np.char.add(np.char.add(surname, g1), g2)
    b1 = np.array(_BRAND)[rng.integers(len(_BRAND), size=n)]
    b2 = np.array(_BRAND)[rng.integers(len(_BRAND), size=n)]
    trade = np.array(_TRADES)[rng.integers(len(_TRADES), size=n)]
    cities = np.array([t[2] for t in terr])[t_idx]
    legal = np.where(rng.random(n) < 0.1, "股份有限公司", "有限公司")
    company = np.char.add(np.char.add(np.char.add(np.char.add(cities, b1), b2), trade), legal)
    names = np.where(is_org, company, person)
    # phones: unique mobiles for people; landlines (area code + 8 digits) for half the organisations
    body = rng.choice(10 ** 8, size=n, replace=False)
    prefix = np.array(["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159",
                       "180", "186", "187", "189"])[rng.integers(16, size=n)]
    mobile = np.char.add(prefix, np.char.zfill(body.astype(str), 8))
    areas = np.array([t[3] for t in terr])[t_idx]
    land_local = np.char.add(rng.integers(2, 9, size=n).astype(str), np.char.zfill((body % 10 ** 7).astype(str), 7))
    use_land = is_org & (rng.random(n) < 0.5)
    phones = np.where(use_land, np.char.add(areas, land_local), mobile)
    # addresses
    district = np.array(_DISTRICTS)[rng.integers(len(_DISTRICTS), size=n)]
    street = np.array(_STREETS)[rng.integers(len(_STREETS), size=n)]
    number = rng.integers(1, 400, size=n)
    contact = np.where(is_org, np.char.add(np.array(_SURNAMES)[rng.integers(len(_SURNAMES), size=n)],
                                           np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)]), "")
    base_credit = np.where(is_org, rng.integers(10, 500, size=n) * 1000, rng.integers(0, 21, size=n) * 1000)
    # copies per customer
    copies = np.where(rng.random(n) < dup_share, rng.integers(2, max_copies + 1, size=n), 1)
    ent = np.repeat(np.arange(n), copies)
    first = np.r_[True, ent[1:] != ent[:-1]]
    m = len(ent)
    home_sales = t_idx // 2
    sales = np.where(first | (rng.random(m) < 0.3), home_sales[ent], rng.integers(n_sales, size=m))
    rows_name, rows_phone, rows_addr = [], [], []
    for k in range(m):
        e = ent[k]
        prov, city = terr[t_idx[e]][1], terr[t_idx[e]][2]
        rows_name.append(_mess_name(str(names[e]), bool(is_org[e]), rng))
        rows_phone.append(_mess_phone(str(phones[e]), "land" if use_land[e] else "mobile", str(areas[e]), rng))
        rows_addr.append(_mess_address((prov, city, district[e], street[e], int(number[e])), rng))
    credit = base_credit[ent].astype(float)
    differ = rng.random(m) < 0.3
    credit = np.where(differ, np.round(credit * rng.uniform(0.5, 1.5, size=m), -3), credit)
    credit = np.where(rng.random(m) < 0.015, -credit - 1000, credit)
    credit = np.where(rng.random(m) < 0.1, np.nan, credit)
    recorded = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1096, size=m), unit="D")
    records = pd.DataFrame({
        "sales_id": [f"S{s + 1:02d}" for s in sales],
        "region": np.array([t[0] for t in terr])[t_idx][ent],
        "city": cities[ent],
        "name": rows_name, "phone": rows_phone, "address": rows_addr,
        "contact": np.where(rng.random(m) < 0.15, "", contact[ent]),
        "industry": np.where(is_org, trade, "")[ent],
        "credit_limit": credit, "recorded_at": recorded,
    })
    records["contact"] = records["contact"].replace("", None)
    records["industry"] = records["industry"].replace("", None)
    perm = rng.permutation(m)
    records = records.iloc[perm].reset_index(drop=True)
    records.insert(0, "record_id", [f"R{i + 1:06d}" for i in range(m)])
    truth = pd.Series([f"E{e + 1:06d}" for e in ent[perm]], index=records.index, name="entity_id")
    return records, truth
