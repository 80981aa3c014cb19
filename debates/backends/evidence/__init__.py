"""The offline ``evidence`` backend: a deterministic debate argued from the case's evidence.

``backend`` is the AgentBackend, ``turn`` and ``judge`` its moves, ``rubric*`` the scoring rules
(docs/debate-rubric.md) and ``templates/`` the wording of its arguments.
"""
