"""Use cases over the ports: the turn pipeline, agent, catalog, ordering, payments.

Plain functions that take their dependencies; no SDK, Flask or functions-framework imports here.
"""
