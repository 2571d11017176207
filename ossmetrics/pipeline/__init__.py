"""The one pipeline: an ordered list of steps over the stages, run by ``nightly`` and ``demo``.

``core.py`` defines ``Step``, ``Context`` and ``Pipeline`` (recording in ``runs``, skipping
unchanged inputs, isolating failures); ``steps.py`` the steps, each a direct call of a stage's
library API; ``runs.py`` the ``runs`` table; ``fingerprint.py`` the input digests;
``demo.py`` the demo (the pipeline on the bundled sample). See docs/pipeline.md.
"""

from ossmetrics.pipeline.core import Context, Pipeline, Step
from ossmetrics.pipeline.runs import RunLog, StageRecord
from ossmetrics.pipeline.steps import DEMO, NIGHTLY, PIPELINE, STEPS

__all__ = [
    "DEMO",
    "NIGHTLY",
    "PIPELINE",
    "STEPS",
    "Context",
    "Pipeline",
    "RunLog",
    "StageRecord",
    "Step",
]
