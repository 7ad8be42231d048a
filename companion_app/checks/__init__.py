"""Self-checks for the notebooks' exercises: each tells the learner, in words, whether an answer works.

Every check probes the behaviour its exercise asks for at each step where a plausible wrong answer
would show, and turns a missing answer (the student copy's placeholder ``None``), an answer of the
wrong kind and an exception in the learner's code into a sentence, never a traceback. The shared
machinery is in verdict (the report), cells (what ran in the notebook) and sms (the simulator);
each notebook's checks are in their own module, next to its answers in tests/answer_bank.
"""

from companion_app.checks.cells import explain_missing_answers, follow_cells
from companion_app.checks.nb00_secret_key import check_secret_key
from companion_app.checks.nb01_remember_name import check_remembers_name
from companion_app.checks.nb02_shout import check_shout_webhook
from companion_app.checks.nb03_counter import check_one_hour_session, check_reset_command
from companion_app.checks.nb04_tunnel import (
    check_accepts_twilio_behind_tunnel,
    check_same_signature,
)
from companion_app.checks.nb05_verify import check_comparison_catches, check_edge_script
from companion_app.checks.nb06_directory import check_directory_help, check_directory_more
from companion_app.checks.nb07_store import check_day_long_store
from companion_app.checks.nb08_hosts import check_shared_store_host
from companion_app.checks.verdict import Verdict, check_app

__all__ = [
    "Verdict",
    "check_accepts_twilio_behind_tunnel",
    "check_app",
    "check_comparison_catches",
    "check_day_long_store",
    "check_directory_help",
    "check_directory_more",
    "check_edge_script",
    "check_one_hour_session",
    "check_remembers_name",
    "check_reset_command",
    "check_same_signature",
    "check_secret_key",
    "check_shared_store_host",
    "check_shout_webhook",
    "explain_missing_answers",
    "follow_cells",
]

explain_missing_answers()
follow_cells()
