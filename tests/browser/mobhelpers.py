"""Helpers of the mobile-page tests (imported as ``mobhelpers``): one working day of 张三 (task 16)."""
#: The CRM day of the tests (a Monday); the clock starts at 08:00.
DAY = "2024-03-04"


def build_day(crm) -> dict:
    """An opportunity of 张三 in stage 预研阶段 with a visit planned at 10:00 today and an assigned
    task planned at 14:00 (我的日程, 任务), plus a visit of 李四 the same day that 张三 must not see."""
    zs, lj, ls = crm.login("zhangsan"), crm.login("lijingli"), crm.login("lisi")
    opp = zs.new_opportunity("华东电网 机房扩容", "华东电网科技")
    zs.set_potential(opp, expected_close="2024-06-30", source="市场活动", interest="高")
    zs.add_interest(opp, "R740", qty=2, price=48_000)
    zs.submit_evaluation(opp, evaluator="lijingli")
    lj.evaluate(opp, "pass")
    crm.tick(minutes=10)
    visit = zs.new_activity(opp, "上门拜访：机房现状调研", plan_start=f"{DAY} 10:00")
    zs.advance(opp, end_stage_now=True)                 # 了解情况 → 预研阶段 (its one activity is done)
    task = zs.new_task(opp, "提交机房环境调研报告", plan_start=f"{DAY} 14:00")
    zs.assign_task(task, "zhangsan")
    other_opp = ls.new_opportunity("北方重型 网络改造", "北方重型机械")
    other = ls.new_activity(other_opp, "李四的拜访", plan_start=f"{DAY} 09:30")
    crm.tick(minutes=10)
    return {"opportunity": opp, "activity": visit, "task": task, "other_activity": other}
