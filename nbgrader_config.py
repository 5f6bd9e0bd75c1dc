"""nbgrader configuration for crmlab (read by `nbgrader …` and by `crmlab labs/grade` commands).

solutions/NN_topic/*.ipynb is nbgrader's *source* folder (the only hand-edited notebooks) and
labs/NN_topic/ its *release* folder (student versions, generated: `crmlab labs generate`).
"""
c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "crmlab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "labs"
# Wrong-answer declarations sit beside the solutions; they must never reach students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.mutants.toml"]

# The stub leaves the answer's placeholder in place instead of raising NotImplementedError, so an
# unsolved exercise fails its graded tests with the check's own "还没有作答 (not answered yet)".
# `pass` rather than `...`: an untouched answer cell prints nothing (not `Ellipsis`).
c.ClearSolutions.code_stub = {"python": "# 在此作答 (your code here)\npass"}
c.ClearSolutions.text_stub = "在此作答 (your answer here)"

# Grading: a generous per-cell limit (nbgrader's 30 s default kills honest slow cells).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
