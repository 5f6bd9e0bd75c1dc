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
# unsolved exercise fails its graded tests with the check's own AssertionError and a hint.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE 在此作答\n..."}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE 在此作答"

# Grading: a generous per-cell limit (nbgrader's 30 s default kills honest slow cells).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
