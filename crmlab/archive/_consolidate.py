"""Duplicate detection and merging (集中管理, task 5 §5.2.2 1): match rules, clusters, the audited
consolidation and its pairwise precision and recall."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from . import _normalise
from ._errors import ArchiveError, _need_columns, _short
from ._normalise import (
    _PHONE_RX, _text, name_key, normalise_address, normalise_name, normalise_phone, similarity,
)


# --------------------------------------------------------------------------------------------
# Duplicate detection and merging (集中管理, task 5 §5.2.2 1)
# --------------------------------------------------------------------------------------------
#: The match rules of :func:`find_duplicates` (crmlab defaults, not the textbook's: the book asks
#: for central management but gives no matching method). Two records are the same customer
#: when one rule holds; duplicates of duplicates join one cluster.
MATCH_RULES = pd.DataFrame([
    {"rule": "phone+name", "en": "same valid phone and names at least half alike (name_sim ≥ phone_name_min, 50)",
     "zh": "电话相同（有效号码）且名称至少一半相同"},
    {"rule": "name+address", "en": "names alike (≥ name_min, 85) and addresses alike (≥ address_min, 85)",
     "zh": "名称相似且地址相似"},
    {"rule": "company_name", "en": "same company name (legal form ignored) in the same city, and no two different valid phones",
     "zh": "同一城市内企业名称相同（忽略公司类型），且没有两个不同的有效电话"},
]).set_index("rule")

_ORG_RE = re.compile(r"(公司|集团|厂|医院|学校|大学|学院|中心|商行|酒店|宾馆|研究所|局|店)")


def _block_pairs(keys: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray, int]:
    """All (i < j) position pairs sharing a non-missing key; blocks above max_block are skipped."""
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    ok = codes >= 0
    if not ok.any():
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    counts = np.bincount(codes[ok])
    skipped = int((counts > max_block).sum())
    good = (counts >= 2) & (counts <= max_block)
    pos = np.flatnonzero(ok & good[np.where(ok, codes, 0)])
    if not len(pos):
        return np.empty(0, np.int64), np.empty(0, np.int64), skipped
    c = codes[pos]
    order = np.argsort(c, kind="stable")
    pos, c = pos[order], c[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, len(c)])
    lefts, rights = [], []
    for k in np.unique(sizes):
        st = starts[sizes == k]
        groups = pos[st[:, None] + np.arange(k)[None, :]]
        i, j = np.triu_indices(k, 1)
        lefts.append(groups[:, i].ravel())
        rights.append(groups[:, j].ravel())
    return np.concatenate(lefts), np.concatenate(rights), skipped


def _sims(a: np.ndarray, b: np.ndarray, backend: str) -> np.ndarray:
    if backend == "rapidfuzz" and _normalise._Indel is not None:      # one backend: the one of _normalise
        f = _normalise._Indel.normalized_similarity
        return np.fromiter(((f(x, y) * 100 if isinstance(x, str) and isinstance(y, str) else 0.0)
                            for x, y in zip(a, b)), float, len(a)).round(6)
    return np.fromiter((similarity(x, y, backend) for x, y in zip(a, b)), float, len(a))


def _keys(df, name, phone, address, city):
    n = len(df)
    nm = np.asarray(normalise_name.__wrapped__(df[name].astype(object)), dtype=object)
    nk = np.asarray(name_key.__wrapped__(df[name].astype(object)), dtype=object)
    if phone:
        ph = np.asarray(normalise_phone.__wrapped__(df[phone].astype(object)), dtype=object)
        pv = np.array([bool(p and _PHONE_RX.match(p)) for p in ph], dtype=bool)
    else:
        ph, pv = np.full(n, None, dtype=object), np.zeros(n, bool)
    ad = (np.asarray(normalise_address.__wrapped__(df[address].astype(object)), dtype=object)
          if address else np.full(n, None, dtype=object))
    ct = (np.asarray(_text(df[city].astype(object)).str.replace(r"市$", "", regex=True).astype(object), dtype=object)
          if city else np.full(n, "", dtype=object))
    ct = np.where(pd.isna(ct), "", ct).astype(object)
    return nm, nk, ph, pv, ad, ct


def find_duplicates(df: pd.DataFrame, name: str = "name", phone: str | None = "phone",
                    address: str | None = "address", city: str | None = None, name_min: float = 85,
                    address_min: float = 85, phone_name_min: float = 50, max_block: int = 200,
                    backend: str | None = None) -> pd.DataFrame:
    """Candidate duplicate pairs, with similarities and the rule that matched (if any).

    Centralised management (集中管理, textbook task 5 §5.2.2 1) starts by finding the same
    customer recorded by several salespeople or departments. Comparing every pair is O(n²), so
    records are first **blocked**: only records sharing a key are compared — the normalised
    phone (valid numbers only), the name key (:func:`name_key`) within a city, or the normalised
    address. Within blocks each pair gets

    * ``same_phone`` — both numbers valid and equal after :func:`normalise_phone`;
    * ``name_sim`` — :func:`similarity` of the name keys (0–100);
    * ``address_sim`` — :func:`similarity` of :func:`normalise_address` (0 if one is missing);

    and the rules of :data:`MATCH_RULES` decide (crmlab defaults, not the textbook's). Fuzzy
    scores use rapidfuzz when installed, else difflib (``backend`` forces one). Blocks larger
    than ``max_block`` (a placeholder phone shared by hundreds of rows, say) are skipped and
    counted in ``.attrs["skipped_blocks"]``.

    Parameters
    ----------
    df : the records; not modified. Its index labels name the rows in the result.
    name, phone, address, city : column names (``phone``, ``address``, ``city`` may be None).

    Returns
    -------
    DataFrame, one row per candidate pair: ``left``, ``right`` (index labels, left first in the
    frame), ``same_phone``, ``name_sim``, ``address_sim``, ``rule`` ("" when no rule holds) and
    ``match``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"name": ["星海电器有限公司", "星海电器有限责任公司", "王伟", "王玮", "王伟"],
    ...                    "phone": ["020-8888 1234", "+86 20 88881234", "13800138000", "138 0013 8000", "13900000000"],
    ...                    "address": ["广东省广州市天河区中山路1号", None, "广州天河区建设路8号", None, "北京朝阳区光明路3号"]})
    >>> archive.find_duplicates(df)
       left  right  same_phone  name_sim  address_sim        rule  match
    0     0      1        True     100.0          0.0  phone+name   True
    1     2      3        True      50.0          0.0  phone+name   True
    2     2      4       False     100.0         30.0              False
    """
    _need_columns(df, [name, phone, address, city], "df")
    backend = backend or _normalise.FUZZY_BACKEND
    if backend not in ("rapidfuzz", "difflib"):
        similarity("a", "a", backend)  # raises the bilingual error
    if max_block < 2:
        raise ArchiveError("BAD_OPTION", "max_block must be at least 2", "max_block 至少为 2")
    n = len(df)
    nm, nk, ph, pv, ad, ct = _keys(df, name, phone, address, city)
    block_name = np.array([None if k is None else f"{c}|{k}" for k, c in zip(nk, ct)], dtype=object)
    keysets = [np.where(pv, ph, None), block_name, ad]
    left, right, skipped = [], [], 0
    for keys in keysets:
        lft, rgt, sk = _block_pairs(keys, max_block)
        left.append(lft)
        right.append(rgt)
        skipped += sk
    code = np.unique(np.concatenate(left) * np.int64(max(n, 1)) + np.concatenate(right))
    li, ri = code // max(n, 1), code % max(n, 1)
    nkey = np.where(pd.isna(nk), nm, nk)
    same_phone = pv[li] & pv[ri] & (ph[li] == ph[ri])
    name_sim = _sims(nkey[li], nkey[ri], backend)
    addr_sim = _sims(ad[li], ad[ri], backend)
    both_phones_differ = pv[li] & pv[ri] & (ph[li] != ph[ri])
    is_org = np.array([bool(_ORG_RE.search(x)) if isinstance(x, str) else False for x in nm], dtype=bool)
    same_company = ((nk[li] == nk[ri]) & (ct[li] == ct[ri]) & is_org[li] & is_org[ri] & ~both_phones_differ
                    & np.array([isinstance(x, str) and len(x) >= 4 for x in nk[li]], dtype=bool))
    r1 = same_phone & (name_sim >= phone_name_min)
    r2 = (name_sim >= name_min) & (addr_sim >= address_min)
    rule = np.where(r1, "phone+name", np.where(r2, "name+address", np.where(same_company, "company_name", "")))
    labels = df.index.to_numpy()
    out = pd.DataFrame({"left": labels[li], "right": labels[ri], "same_phone": same_phone, "name_sim": name_sim,
                        "address_sim": addr_sim, "rule": rule, "match": rule != ""})
    out.attrs["skipped_blocks"] = skipped
    out.attrs["n_records"] = n
    return out


def cluster_ids(pairs: pd.DataFrame, index) -> pd.Series:
    """Cluster number of every row: rows linked by matched pairs (directly or through others).

    Connected components of the match graph (``scipy.sparse.csgraph``), numbered 0, 1, … in the
    order of each cluster's first row; unmatched rows are clusters of one.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> pairs = pd.DataFrame({"left": ["a", "c"], "right": ["b", "d"], "match": [True, True]})
    >>> archive.cluster_ids(pairs, ["a", "b", "c", "d", "e"]).tolist()
    [0, 0, 1, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = pd.Index(index)
    if not index.is_unique:
        raise ArchiveError("DUPLICATE_INDEX", "the row labels must be unique", "行标签必须唯一")
    m = pairs[pairs["match"]] if "match" in pairs.columns else pairs
    li, ri = index.get_indexer(m["left"]), index.get_indexer(m["right"])
    if (li < 0).any() or (ri < 0).any():
        raise ArchiveError("UNKNOWN_ROW", "pairs name rows that are not in the index", "配对中的行不在索引中")
    n = len(index)
    graph = coo_matrix((np.ones(len(li)), (li, ri)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # renumber by first appearance
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return pd.Series(rank[labels], index=index, name="cluster")


def _join_by(groups: np.ndarray, texts: np.ndarray, sep: str) -> pd.Series:
    """Join texts per group; ``groups`` must already be contiguous (sorted by group)."""
    if not len(groups):
        return pd.Series(dtype=object)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    ends = np.r_[starts[1:], len(groups)]
    return pd.Series([sep.join(texts[a:b]) for a, b in zip(starts, ends)], index=groups[starts], dtype=object)


@dataclass
class Consolidation:
    """Result of :func:`consolidate`.

    * ``records`` — one row per customer (kept records, blanks filled from merged ones), with
      ``cluster``, ``n_records`` and ``merged_ids``;
    * ``members`` — one row per input row: ``cluster``, ``status`` (``kept``/``merged``) and
      ``kept_as`` (the id of the record it now lives in). ``kept`` + ``merged`` = input rows;
    * ``audit`` — one row per cluster and field where the records disagreed or the kept record
      was blank: which value was kept, from which record, why, and the values not kept;
    * ``pairs`` — the candidate pairs of :func:`find_duplicates`.
    """
    records: pd.DataFrame
    members: pd.DataFrame
    audit: pd.DataFrame
    pairs: pd.DataFrame

    def summary(self) -> pd.Series:
        """Counts: input rows, kept records, merged rows, clusters with conflicts.

        >>> from crmlab import archive
        >>> recs, _ = archive.scattered_records(n_customers=30, seed=2)
        >>> s = archive.consolidate(recs, id_col="record_id", city="city").summary()
        >>> int(s["kept"] + s["merged"]) == int(s["input_rows"])
        True
        """
        st = self.members["status"]
        return pd.Series({"input_rows": len(self.members), "kept": int((st == "kept").sum()),
                          "merged": int((st == "merged").sum()),
                          "clusters_merged": int((self.records["n_records"] > 1).sum()),
                          "fields_in_conflict": int((self.audit["action"] == "conflict").sum()),
                          "dates_differing": int((self.audit["action"] == "latest").sum()),
                          "fields_filled": int((self.audit["action"] == "filled").sum())})


_REASONS = {
    "conflict": ("records disagree; kept the value most records share (a tie goes to the most complete, then most recent record)",
                 "各记录取值不同；保留多数记录相同的值（票数相同时取信息最完整、其次最新的记录的值）"),
    "filled": ("the kept record was blank here; filled with the value the other records give",
               "主记录此项为空；用其他记录给出的值补全"),
    "latest": ("record dates differ; kept the latest", "记录日期不同；保留最新日期"),
}


def consolidate(df: pd.DataFrame, id_col: str | None = None, name: str = "name", phone: str | None = "phone",
                address: str | None = "address", city: str | None = None, date: str | None = None,
                **match_options) -> Consolidation:
    """Merge records of the same customer into one archive, with an audit of every choice.

    Centralised management (集中管理, textbook task 5 §5.2.2 1): customer files held by single
    salespeople or departments leave with them; the remedy is one archive for the firm. Steps:

    1. :func:`find_duplicates` (blocking + exact and fuzzy rules) and :func:`cluster_ids`;
    2. in each cluster, **keep** the most complete record (most non-blank fields), ties broken
       by the most recent ``date`` and then by input order; the others are **merged** into it;
    3. field by field, the value most records share wins (majority vote after normalisation; a
       tie goes to the kept record, then the next most complete and recent one), so a blank in
       the kept record is filled from the others; the record date ``date`` keeps the latest.
       Every field where records disagreed or a blank was filled is listed in ``audit`` with the
       values not kept — nothing is silently lost;
    4. names and phones of the result are in normal form (:func:`normalise_name`,
       :func:`normalise_phone`); addresses are only cleaned of spaces and full-width characters.

    Invalid values (bad phones, negative amounts) are not fixed here: they do not take part in
    matching and are reported by :func:`quality_report`. The input is never modified.

    Parameters
    ----------
    df : the scattered records.
    id_col : record-id column (must be unique); default the index labels.
    name, phone, address, city : columns used for matching (see :func:`find_duplicates`).
    date : optional record date used to break ties (most recent wins).
    match_options : passed to :func:`find_duplicates` (``name_min``, ``backend`` …).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"record_id": ["R1", "R2", "R3"],
    ...                    "name": ["星海电器有限公司", "星海 电器有限责任公司", "王伟"],
    ...                    "phone": ["020-88881234", "+86 20 8888 1234", "13800138000"],
    ...                    "address": ["广州天河区中山路1号", None, "广州天河区建设路8号"],
    ...                    "credit_limit": [50_000, 80_000, None]})
    >>> res = archive.consolidate(df, id_col="record_id")
    >>> res.records[["name", "phone", "address", "credit_limit", "merged_ids"]]
                       name        phone     address  credit_limit merged_ids
    record_id
    R1         星海电器有限公司  02088881234  广州天河区中山路1号       50000.0     R1, R2
    R3                   王伟  13800138000  广州天河区建设路8号           NaN         R3
    >>> res.members["status"].tolist()
    ['kept', 'merged', 'kept']
    >>> res.audit[["field", "kept_value", "kept_from", "action", "not_kept"]]
              field  kept_value kept_from    action     not_kept
    0  credit_limit     50000.0        R1  conflict  R2: 80000.0
    """
    _need_columns(df, [id_col, name, phone, address, city, date], "df")
    n = len(df)
    ids = pd.Index(df[id_col] if id_col else df.index, name=id_col or "row")
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()
        raise ArchiveError("DUPLICATE_ID", f"record ids must be unique; repeated: {_short(dup)}",
                           f"记录编号必须唯一；重复的有：{_short(dup)}")
    work = df.reset_index(drop=True)
    pairs = find_duplicates(work, name=name, phone=phone, address=address, city=city, **match_options)
    cl = cluster_ids(pairs, work.index).to_numpy()
    pairs = pairs.assign(left=ids.to_numpy()[pairs["left"].to_numpy()], right=ids.to_numpy()[pairs["right"].to_numpy()])

    fields = [c for c in work.columns if c != id_col]
    # output values (normal forms for name/phone, cleaned text for address) and comparison keys
    out = work[fields].copy()
    cmp = {}
    for c in fields:
        col = work[c]
        if c == name:
            out[c] = pd.Series(normalise_name.__wrapped__(col.astype(object)), index=col.index, dtype=object)
            cmp[c] = pd.Series(name_key.__wrapped__(col.astype(object)), index=col.index, dtype=object)
        elif c == phone:
            out[c] = pd.Series(normalise_phone.__wrapped__(col.astype(object)), index=col.index, dtype=object)
            cmp[c] = out[c]
        elif c == address:
            cleaned = _text(col.astype(object))
            out[c] = cleaned.astype(object).where(cleaned.notna(), None)
            cmp[c] = normalise_address.__wrapped__(col.astype(object))
        elif col.dtype == object or pd.api.types.is_string_dtype(col):
            t = _text(col.astype(object))
            cmp[c] = t.astype(object).where(t.notna(), None)
        else:
            cmp[c] = col.where(col.notna(), None).astype(object)
    blank = pd.DataFrame({c: pd.isna(cmp[c]).to_numpy() for c in fields})
    completeness = (~blank).sum(axis=1).to_numpy()
    recency = (pd.to_datetime(work[date], errors="coerce", format="mixed").to_numpy(dtype="datetime64[ns]")
               .astype(np.int64) if date else np.zeros(n, np.int64))
    if date:
        recency = np.where(pd.isna(pd.to_datetime(work[date], errors="coerce", format="mixed")), np.iinfo(np.int64).min, recency)
    order = np.lexsort((np.arange(n), -recency.astype(np.float64), -completeness, cl))
    rank_in_cluster = np.empty(n, np.int64)
    sorted_cl = cl[order]
    starts = np.r_[0, np.flatnonzero(sorted_cl[1:] != sorted_cl[:-1]) + 1]
    rank_in_cluster[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    size = np.bincount(cl)[cl]
    survivor_pos = order[starts]                     # one per cluster, cluster order
    surv_of_cluster = np.empty(len(starts), np.int64)
    surv_of_cluster[sorted_cl[starts]] = survivor_pos

    records = out.iloc[surv_of_cluster].copy()
    audit_rows = []
    multi = np.flatnonzero(size > 1)
    if len(multi):
        sub_order = order[np.isin(order, multi)]     # multi-member rows, survivor first per cluster
        sub_cl = cl[sub_order]
        sid = ids.to_numpy()
        for c in fields:
            key = cmp[c].to_numpy()[sub_order]
            g = pd.DataFrame({"cl": sub_cl, "key": key, "val": out[c].to_numpy()[sub_order],
                              "id": sid[sub_order], "blank": pd.isna(key)})
            nonblank = g[~g["blank"]]
            if nonblank.empty:
                continue
            grouped = nonblank.groupby("cl", sort=False)
            if c == date:   # the record date: keep the latest
                firsts = nonblank.sort_values(["cl", "key"], ascending=[True, False], kind="stable")
                firsts = firsts.groupby("cl", sort=False).head(1).set_index("cl")
            else:           # majority vote; a tie goes to the earliest row (the kept record first)
                votes = nonblank.assign(pos=np.arange(len(nonblank))).groupby(["cl", "key"], sort=False)["pos"]
                votes = votes.agg(["size", "min"]).reset_index()
                votes = votes.sort_values(["cl", "size", "min"], ascending=[True, False, True], kind="stable")
                firsts = nonblank.iloc[votes.groupby("cl", sort=False).head(1)["min"].to_numpy()].set_index("cl")
            nuniq = grouped["key"].nunique()
            surv_blank = g.groupby("cl", sort=False)["blank"].first()
            fill = surv_blank.index[surv_blank.to_numpy()].intersection(firsts.index)
            conflict = nuniq.index[(nuniq > 1).to_numpy()]
            targets = fill.union(conflict)
            if not len(targets):
                continue
            kept = firsts.loc[targets]
            cand = nonblank[nonblank["cl"].isin(targets)]
            cand = cand[cand["key"].to_numpy() != kept["key"].reindex(cand["cl"]).to_numpy()]
            not_kept = _join_by(cand["cl"].to_numpy(), (cand["id"].astype(str) + ": " + cand["val"].astype(str)).to_numpy(), "; ")
            action = np.where(targets.isin(conflict), "latest" if c == date else "conflict", "filled")
            audit_rows.append(pd.DataFrame({
                "cluster": targets.astype(np.int64), "kept_as": sid[surv_of_cluster[targets.to_numpy(dtype=np.int64)]],
                "field": c, "kept_value": kept["val"].to_numpy(), "kept_from": kept["id"].to_numpy(),
                "action": action, "not_kept": not_kept.reindex(targets).fillna("").to_numpy(),
                "reason_en": [_REASONS[a][0] for a in action], "reason_zh": [_REASONS[a][1] for a in action]}))
            records.iloc[targets.to_numpy(dtype=np.int64), records.columns.get_loc(c)] = kept["val"].to_numpy()
    members_ids = ids.to_numpy()
    kept_as = members_ids[surv_of_cluster[cl]]
    members = pd.DataFrame({"cluster": cl, "status": np.where(rank_in_cluster == 0, "kept", "merged"),
                            "kept_as": kept_as, "n_in_cluster": size}, index=ids)
    merged_ids = _join_by(cl[order], members_ids[order].astype(str), ", ")
    records.index = pd.Index(members_ids[surv_of_cluster], name=ids.name)
    records.insert(0, "cluster", np.arange(len(starts)))
    records["n_records"] = np.bincount(cl)
    records["merged_ids"] = merged_ids.to_numpy()
    audit_cols = ["cluster", "kept_as", "field", "kept_value", "kept_from", "action", "not_kept", "reason_en",
                  "reason_zh"]
    audit = pd.concat(audit_rows, ignore_index=True)[audit_cols] if audit_rows else pd.DataFrame(columns=audit_cols)
    audit = audit.sort_values(["cluster", "field"], kind="stable").reset_index(drop=True)
    if len(records) + int((members["status"] == "merged").sum()) != n:  # pragma: no cover - invariant
        raise AssertionError("merged + kept != input")
    return Consolidation(records=records, members=members, audit=audit, pairs=pairs)


@computes("pair_scores", "合并质量（配对精确率、召回率）", "pairwise precision and recall of a merge")
def dedup_scores(predicted, truth) -> pd.Series:
    """Pairwise precision, recall and F1 of a deduplication against the ground truth.

    A pair of rows is *predicted* a duplicate when both rows have the same predicted cluster, and
    *truly* one when both have the same true entity. precision = correct pairs / predicted pairs,
    recall = correct pairs / true pairs (the standard pairwise measures of record linkage;
    Christen 2012, *Data Matching*, §7.3). Both inputs are Series over the same row labels.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> truth = pd.Series(["e1", "e1", "e1", "e2", "e3"])
    >>> pred = pd.Series([0, 0, 1, 2, 2])
    >>> archive.dedup_scores(pred, truth).round(3).to_dict()
    {'precision': 0.5, 'recall': 0.333, 'f1': 0.4, 'true_pairs': 3.0, 'predicted_pairs': 2.0, 'correct_pairs': 1.0}
    """
    predicted, truth = pd.Series(predicted), pd.Series(truth)
    if not predicted.index.equals(truth.index):
        if set(predicted.index) != set(truth.index):
            raise ArchiveError("MISALIGNED", "predicted and truth must cover the same rows",
                               "预测结果与真实标签必须覆盖相同的行")
        truth = truth.reindex(predicted.index)

    def pairs(sizes):
        sizes = np.asarray(sizes, dtype=np.int64)
        return float((sizes * (sizes - 1) // 2).sum())

    both = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    pp, tp = pairs(both.groupby("p").size()), pairs(both.groupby("t").size())
    cp = pairs(both.groupby(["p", "t"]).size())
    precision = cp / pp if pp else 1.0
    recall = cp / tp if tp else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return pd.Series({"precision": precision, "recall": recall, "f1": f1, "true_pairs": tp,
                      "predicted_pairs": pp, "correct_pairs": cp})
