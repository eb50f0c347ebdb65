"""The instructor's tool: release the course, validate notebooks, grade a class.

Run it as ``python -m autograder --help``.
"""
