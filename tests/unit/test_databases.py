"""The test databases themselves: SQLite always, PostgreSQL for real (started by .ci/services)."""
import sqlalchemy as sa


def test_each_backend_round_trips_chinese_text(db_url):
    engine = sa.create_engine(db_url)
    meta = sa.MetaData()
    t = sa.Table("probe", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    meta.create_all(engine)
    with engine.begin() as con:
        con.execute(t.insert(), [{"id": 1, "name": "客户档案"}])
    with engine.connect() as con:
        assert con.execute(sa.select(t.c.name)).scalar_one() == "客户档案"
    engine.dispose()
