"""What each actor does, as plain functions of a Runtime and a message.

The Dramatiq actors in ``handoff.actors.registry`` are thin wrappers around
these, so the behaviour can be tested without a broker.
"""
