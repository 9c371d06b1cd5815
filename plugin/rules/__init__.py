"""The policy's classifiers, one module per concern; each is a pure function.

Every rule takes the neutral ticket/message model and the policy (and, where
time matters, the moment the message was received) and returns findings with a
reason an agent can read. None of them performs I/O.
"""
