"""Customer value at the desk (task 15.2): scoring options, the value model, grades, pyramid and the update
of the customers' value."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from .. import fields
from .. import models as m
from ..errors import CRMError, GuardFailed, IllegalTransition, InvalidValue, NotFound, ReadOnly


class ValueActions:
    """Task 15.2: customer value scoring options, model (生效, R35), grades, pyramid and
    【更新客户价值】 (written back to the customers; R34: read-only elsewhere)."""

    def save_value_model(self, name: str, *, bands: dict, weights: dict, grades) -> int:
        """客户价值评分选项 + 模型 + 等级: ``bands`` {dimension: [(lower bound, score), …]},
        ``weights`` {dimension: weight} (Σ = 1), ``grades`` [(grade, minimum total), …] high → low."""
        from ..reports import VALUE_DIMENSIONS, check_value_model
        try:
            check_value_model(fields.mapping(bands, "bands", "评分区间"), fields.mapping(weights, "weights", "权重"),
                              fields.items(grades, "grades", "等级", one=()))
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            if isinstance(err, CRMError):
                raise
            raise InvalidValue("BAD_VALUE_MODEL", f"not a value model: bands {{dimension: [(lower bound, score), …]}}, "
                               f"weights {{dimension: weight}}, grades [(grade, minimum), …] ({err})",
                               f"价值模型格式不正确（{err}）") from None
        _ = VALUE_DIMENSIONS

        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.name == name))
            if row is not None and row.status == "active":
                raise ReadOnly("MODEL_ACTIVE", "an active value model cannot be changed; save a new one",
                               "已生效的价值模型不能修改，请另存新模型")
            if row is None:
                row = m.ValueModel(name=name, status="draft", created_by=c.user.login, bands={}, weights={}, grades=[])
                c.s.add(row)
            row.bands = {k: [list(x) for x in v] for k, v in bands.items()}
            row.weights = dict(weights)
            row.grades = [list(g) for g in grades]
            c.s.flush()
            c.log("save_value_model", row, None)
            return row.id
        return self._do(fn)

    def activate_value_model(self, name: str) -> str:
        """【生效】: the model becomes the active one (the previous one is retired) (R35)."""
        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.name == name))
            if row is None:
                raise NotFound("NO_MODEL", f"no value model {name!r}", f"找不到价值模型 {name!r}")
            if row.status != "draft":
                raise IllegalTransition("ILLEGAL_TRANSITION", f"model {name!r} is {row.status}", f"模型 {name} 不是草稿状态")
            for other in c.s.scalars(select(m.ValueModel).where(m.ValueModel.status == "active")):
                with c.track(other, "retire_value_model"):
                    other.status = "retired"
            with c.track(row, "activate_value_model"):
                row.status, row.activated_at = "active", c.now
            return row.status
        return self._do(fn)

    def update_customer_value(self) -> pd.DataFrame:
        """【更新客户价值】: score every audited customer with the active model and write value score
        and grade back to the customer records (R35). Returns the scores."""
        from ..reports import customer_value_scores

        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.status == "active"))
            if row is None:
                raise GuardFailed("NO_ACTIVE_MODEL", "activate (生效) a value model first (R35)", "请先使价值模型生效（R35）")
            scores = customer_value_scores(self.crm, row.name, session=c.s, now=c.now)
            for rec in scores.itertuples():
                cu = c.s.get(m.Customer, rec.customer_no)
                if cu.value_score != rec.total or cu.value_grade != rec.grade:
                    with c.track(cu, "update_customer_value"):
                        cu.value_score, cu.value_grade = float(rec.total), rec.grade
            return scores
        return self._do(fn)
