"""nbgrader settings for the backpropagation course.

The course root is this folder: assignments live in source/<assignment>/.
The autograder (python -m autograder) runs nbgrader on a scratch copy of it,
so gradebook.db, release/ and submitted/ are never written here by the tools.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds a single cell may run while validating, generating or grading.
c.Execute.timeout = 30
