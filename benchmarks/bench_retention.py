"""Benchmarks for crmlab.loyalty / complaints / service against what a user would otherwise use."""
import importlib.resources, time, tempfile, os, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from lifetimes.utils import summary_data_from_transaction_data as lt_summary
from crmlab import loyalty, service, complaints, datasets

def best(f, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

rows = []
# 1. repeat purchases: crmlab vs lifetimes frequency (CDNOW master, 69,659 tx)
base = importlib.resources.files("lifetimes") / "datasets"
raw = pd.read_csv(base / "CDNOW_master.txt", sep=r"\s+", header=None, names=["id", "date", "cds", "usd"], skiprows=1)
tx = pd.DataFrame({"customer_id": raw["id"], "order_date": pd.to_datetime(raw["date"].astype(str))})
end = tx["order_date"].max()
a = best(lambda: loyalty.loyalty_indicators(tx, end=end, period_days=10_000))
b = best(lambda: lt_summary(tx, "customer_id", "order_date", observation_period_end=end))
ours = loyalty.loyalty_indicators(tx, end=end, period_days=10_000)["repeat_purchases"]
ref = lt_summary(tx, "customer_id", "order_date", observation_period_end=end)["frequency"]
assert (ours.reindex(ref.index) == ref).all()
rows.append(("repeat purchases, CDNOW master (69,659 tx, 23,570 customers)", "lifetimes summary_data_from_transaction_data", a, b))
# 1b. synthetic 1M rows
rng = np.random.default_rng(0)
n = 1_000_000
big = pd.DataFrame({"customer_id": rng.integers(0, 100_000, n),
                    "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")})
a = best(lambda: loyalty.loyalty_indicators(big, period_days=10_000), 3)
b = best(lambda: lt_summary(big, "customer_id", "order_date", observation_period_end=big["order_date"].max()), 3)
rows.append(("repeat purchases, synthetic 1 M tx, 100 k customers", "lifetimes summary_data_from_transaction_data", a, b))
# 2. archive bulk load vs pandas.to_sql of the same tables (no validation) into SQLite
c = datasets.load("customers").drop_duplicates(); o = datasets.load("orders"); t = datasets.load("service_tickets")
def ours_load():
    with tempfile.TemporaryDirectory() as d:
        with service.AfterSalesArchive(os.path.join(d, "a.db")) as arch:
            arch.import_shipped(c, o, t)
def pandas_load():
    from sqlalchemy import create_engine
    with tempfile.TemporaryDirectory() as d:
        eng = create_engine(f"sqlite:///{os.path.join(d, 'p.db')}")
        c[["customer_id", "name", "phone", "address"]].to_sql("customers", eng, index=False)
        o[["order_id", "customer_id", "product_id", "order_date", "amount"]].to_sql("sales", eng, index=False)
        t[["order_id", "request", "opened_at", "engineer", "rating_1_5"]].to_sql("events", eng, index=False)
        eng.dispose()
rows.append(("after-sales archive: load 1,200 customers + 10,761 sales + 343 events (SQLite file)", "pandas.DataFrame.to_sql (no checks, no schema)", best(ours_load, 3), best(pandas_load, 3)))
# 3. complaint KPIs vs the same numbers written directly in pandas
cp = datasets.load("complaints")
def direct():
    h = (cp["closed_at"] - cp["received_at"]).dt.total_seconds() / 3600
    limit = cp["received_at"] + pd.Timedelta(hours=24)
    return len(cp) / len(o) * 1000, h.median(), (cp["closed_at"] <= limit).mean(), cp["category"].value_counts().cumsum()
rows.append(("complaint KPIs + Pareto (119 complaints, 10,761 orders)", "plain pandas, no validation",
             best(lambda: (complaints.complaint_kpis(cp, o), complaints.pareto_of_causes(cp))), best(direct)))
print("| task | crmlab (s) | reference | reference (s) | ratio crmlab/reference |")
print("|---|---:|---|---:|---:|")
for task, ref, a, b in rows:
    print(f"| {task} | {a:.3f} | {ref} | {b:.3f} | {a/b:.2f} |")
