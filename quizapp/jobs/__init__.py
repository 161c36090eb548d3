"""Background jobs: long work (a national round's exports) run by a worker beside the web servers,
queued on Redis with RQ, their records and output files kept in the database.

``services`` holds the queue and the records; ``worker`` the worker that ``flask --app wsgi jobs
worker`` starts. The package knows no feature: features register their job functions when the
app is built (judging's exports: quizapp/judging/jobs.py).
"""
