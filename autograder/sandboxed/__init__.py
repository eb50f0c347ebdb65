"""Code that runs inside the sandbox, next to the student's code.

Nothing here is trusted by the grader: the judge only reads plain data from
this side (see wire.py). The folder is bound read-only into the sandbox; it
holds no tests, answers or grades.
"""
