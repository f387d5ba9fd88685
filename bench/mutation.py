"""Mutation testing of the pure stages with mutmut: run it, then count per module.

    python bench/mutation.py            # run mutmut (one process), then print the figures
    python bench/mutation.py --report   # only print the figures of the last run
    python bench/mutation.py --group kit [--again]  # one module group (--again: its survivors)
    python bench/mutation.py --only serve --survivors   # serve's modules, survivors listed
    python bench/mutation.py --sample kit.deck=400 --children 2   # an estimate from a sample

A run that includes serve's modules starts one throwaway PostgreSQL cluster for the whole run
and names it to the tests in $BRIEFGEN_TEST_POSTGRES (tests/pgcluster.py): serve's PostgreSQL
tests then take a fresh database in it for each mutant instead of starting a cluster.

The scope is the functions below; mutmut's own settings (which files it copies and mutates,
which tests it runs) are in pyproject.toml under [tool.mutmut]. Results: docs/mutation.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Module -> mutmut name patterns of the functions in scope ("x_" a function, "xǁClassǁ" a method).
SURVEY_AGGREGATION = ("question_stats", "capability_scores", "importance_median", "_round",
                      "profile_dict", "spread_dict", "survey_org", "disagreements")
SURVEY_READING = ("_assessment_dates", "_missing_answers")  # the rounds, the missing answers
COMPARE = ("peer_group", "quartile_position", "compare", "progress", "target_checks")
VALIDATION = ("validate_profile", "score_problem", "_check_scores", "_check_sub_questions",
              "_check_ranking", "_check_targets", "_check_the_rest", "_capability_scores",
              "_check_targets_above")
VALIDATION_READING = ("line_of", "did_you_mean", "invalid_scalars")
SCOPE: dict[str, list[str]] = {
    "analyse": ["briefgen.analyse.*"],
    "match": ["briefgen.match.*"],
    # The template context lives in briefgen.context: out of scope.
    "compare": [f"briefgen.compare.x_{f}__mutmut_*" for f in COMPARE]
    + ["briefgen.compare.xǁ*"],
    "survey aggregation":
        [f"briefgen.survey.aggregate.x_{f}__mutmut_*" for f in SURVEY_AGGREGATION]
        + [f"briefgen.survey.read.x_{f}__mutmut_*" for f in SURVEY_READING],
    "benchmark build": ["briefgen.survey.benchmark.*"],
    "profile validation": [f"briefgen.load.x_{f}__mutmut_*" for f in VALIDATION]
    + [f"briefgen.reading.x_{f}__mutmut_*" for f in VALIDATION_READING],
    # briefgen serve (issue 19): every function mutmut can mutate (not the click commands).
    "serve security": ["briefgen.serve.security.*"],
    "serve store": ["briefgen.serve.store.*"],
    "serve app": ["briefgen.serve.app.*"],
    "serve questions": ["briefgen.serve.questions.*"],
    "serve settings": ["briefgen.serve.settings.*"],
    "serve server": ["briefgen.serve.server.*"],
    "serve mail": ["briefgen.serve.mail.*"],
    "serve words": ["briefgen.serve.words.*"],
}

# Survivors judged equivalent: the mutant cannot change what the code does, and why. The
# names are mutmut's and change when a function does; docs/mutation.md shows each change.
_EPSILON = ("the two sides are one-decimal scores, never exactly 1e-9 from each other, so "
            "'<' and '<=' (or '>' and '>=') agree")
_ZIP = "the zipped columns come from one frame and have one length: strict never fires"
_HEADER = "HTTP header names are case-insensitive; Starlette sends them lower-cased"
_STATUS = "the handler is registered for HTTPException, which always has a status_code"
_RESPONDENT = ("a CSRF refusal on a link's page comes after the guard found the respondent, "
               "so request.state.respondent is always there and set")
_LIMIT = ("with the soft limit at the hard one, setting (hard, hard) changes nothing and "
          "returns what the soft limit is")
_FIRST = "only the first close match is used"
_STRICT = "strict=False is zip's default (None is false too)"
_LEVEL = ("the importance compared is a valid level, never equal to the default of a "
          "missing 'loaded' entry, whatever that default is")
_ASSERT = "the assert states what the checks above have made sure of; it never fails"
_NO_MADE = ("made is None only for a reminder, and a reminder's claim always carries its own "
            "link, so the fall-back is never reached")
_FIRST_LINE = "split at the first '\\n' or at more, element [0] is the first line"
_JOIN = ("SQLAlchemy infers the same ON clause from the one foreign key between the two "
         "tables")
_LOCK_KEY = ("the advisory lock's key needs only to be the same for one client and apart from "
             "the invitations' key, which any of these texts is")
_CLIENT = "uvicorn gives every TCP connection its client address"
_SQL_CASE = ("SQL keywords and unquoted names are case-insensitive (SQLite and PostgreSQL "
             "alike)")
_FIRST_ROW = "first() takes the first row, however many the query is limited to"
_LOOP = ("uvicorn makes each protocol in its running loop, the loop H11Protocol takes when "
         "given none")
_STATE = ("the deadline's state is compared by identity with h11's states, which neither None "
          "nor '' is")
EQUIVALENT: dict[str, str] = {
    "briefgen.analyse.x_analyse__mutmut_73": _EPSILON,
    "briefgen.analyse.x_step_target__mutmut_7": _EPSILON,
    "briefgen.analyse.x_step_target__mutmut_20": _EPSILON,
    "briefgen.match.x_match__mutmut_96": "the sort key (.., rec.number) is unique, so the "
    "whole tuples order as their keys do",
    "briefgen.match.x_match__mutmut_98": "the sort key (.., rec.number) is unique, so the "
    "whole tuples order as their keys do",
    "briefgen.compare.x_peer_group__mutmut_23": "the branch is taken only when group.n >= the "
    "minimum (at least 2), so `group.n or 1` is group.n",
    "briefgen.compare.x_quartile_position__mutmut_12": "a score equal to the median has "
    "already returned 'at_median'",
    "briefgen.survey.read.x__assessment_dates__mutmut_14": "the walk needs each organisation's "
    "dates together and newest first; the order of the organisations does not matter",
    "briefgen.survey.read.x__assessment_dates__mutmut_22": _ZIP,
    "briefgen.survey.read.x__assessment_dates__mutmut_25": _ZIP,
    "briefgen.survey.read.x__assessment_dates__mutmut_30": _ZIP,
    "briefgen.survey.read.x__missing_answers__mutmut_7": _ZIP,
    "briefgen.survey.read.x__missing_answers__mutmut_10": _ZIP,
    "briefgen.survey.read.x__missing_answers__mutmut_11": _ZIP,
    "briefgen.survey.aggregate.x_capability_scores__mutmut_13": "every column is a Series on "
    "means.index, which the frame takes without being told",
    "briefgen.survey.aggregate.x_capability_scores__mutmut_15": "every column is a Series on "
    "means.index, which the frame takes without being told",
    "briefgen.survey.aggregate.x_disagreements__mutmut_16": "a range of answers exactly 1e-9 "
    "under the threshold needs answers given to nine decimals",
    "briefgen.survey.aggregate.x_question_stats__mutmut_11": "sort=True is groupby's default",
    "briefgen.survey.aggregate.x_survey_org__mutmut_61": "logging formats a message only when "
    "it has arguments, so a '%' in it prints the same",
    "briefgen.survey.benchmark.x_benchmark_yaml__mutmut_9": "a Benchmark holds only strings, "
    "numbers, lists and mappings: python and json dumps are equal",
    "briefgen.survey.benchmark.x_benchmark_yaml__mutmut_11": "a Benchmark holds only strings, "
    "numbers, lists and mappings: python and json dumps are equal",
    "briefgen.survey.benchmark.x_benchmark_yaml__mutmut_13": "pydantic dumps an unknown mode "
    "as python, equal to json for a Benchmark",
    "briefgen.survey.benchmark.x_benchmark_yaml__mutmut_14": "pydantic dumps an unknown mode "
    "as python, equal to json for a Benchmark",
    "briefgen.survey.benchmark.x_benchmark_yaml__mutmut_19": "sort_keys=None is false like "
    "False",
    "briefgen.survey.benchmark.x_build_benchmark__mutmut_56": "the notes use texts.yaml "
    "strings only, never the framework's labels",
    "briefgen.survey.benchmark.x_org_table__mutmut_19": "sort=True is groupby's default",
    "briefgen.survey.benchmark.x_org_table__mutmut_34": "the first column assigned, a Series "
    "on the organisation ids, gives the empty frame its index",
    "briefgen.survey.benchmark.x_org_table__mutmut_56": "0.5 is quantile's default",
    "briefgen.survey.benchmark.x_slugify__mutmut_13": "codec names are case-insensitive",
    "briefgen.survey.benchmark.x_slugify__mutmut_29": "strip('XX-XX') strips '-' and 'X'; the "
    "slug is lower-case",
    "briefgen.survey.benchmark.x_slugify__mutmut_31": "strip('XX-XX') strips '-' and 'X'; the "
    "slug is lower-case",
    "briefgen.reading.x_line_of__mutmut_24": "the locations come from the parsed profile, so an "
    "index only ever meets a sequence node",
    "briefgen.reading.x_line_of__mutmut_25": "the locations come from the parsed profile, so an "
    "index is always within its sequence",
    "briefgen.reading.x_did_you_mean__mutmut_8": "only the first close match is used",
    "briefgen.reading.x_did_you_mean__mutmut_12": "only the first close match is used",
    "briefgen.reading.x_did_you_mean__mutmut_9": "0.6 is difflib's default cutoff",
    # briefgen serve
    "briefgen.serve.app.x_briefing__mutmut_67": _HEADER,
    "briefgen.serve.app.x_export__mutmut_52": _HEADER,
    "briefgen.serve.app.x_http_error__mutmut_4": _STATUS,
    "briefgen.serve.app.x_http_error__mutmut_7": _STATUS,
    "briefgen.serve.app.x_http_error__mutmut_10": _STATUS,
    "briefgen.serve.app.x_invite__mutmut_39": "int('XXXX') fails as int('') does: no count",
    "briefgen.serve.app.x_page_lang__mutmut_9": _RESPONDENT,
    "briefgen.serve.app.x_page_lang__mutmut_13": _RESPONDENT,
    "briefgen.serve.app.x_page_lang__mutmut_14": _RESPONDENT,
    "briefgen.serve.app.x_page_lang__mutmut_15": _RESPONDENT,
    "briefgen.serve.questions.x_survey_bytes__mutmut_21": "codec names are case-insensitive",
    "briefgen.serve.security.x__seconds_until__mutmut_5": "max(2, ...) differs from max(1, "
    "...) only in the last second of a 15-minute lock-out",
    "briefgen.serve.server.x_raise_file_limit__mutmut_3": _LIMIT,
    "briefgen.serve.server.x_raise_file_limit__mutmut_5": _LIMIT,
    "briefgen.serve.settings.x_is_loopback__mutmut_7": "an IP literal never begins or ends "
    "with 'X', so strip('XX[]XX') strips what strip('[]') does",
    "briefgen.serve.store.x__shown__mutmut_5": "a text without '@' split at '@' is itself",
    # issue 23: serve with the engagement (e-mail, roles, comments)
    "briefgen.serve.app.x_admin_org__mutmut_40": _FIRST,
    "briefgen.serve.app.x_admin_org__mutmut_41": _FIRST,
    "briefgen.serve.app.x_admin_org__mutmut_55": "the package's example organisations are "
    "always among those listed, so the list is never empty and '–' never shown",
    "briefgen.serve.app.x_app_from_settings__mutmut_23": "without a firm smtp_settings takes "
    "[firm] name from the same briefgen.toml the engagement's firm comes from",
    "briefgen.serve.app.x_logo__mutmut_12": _HEADER,
    "briefgen.serve.app.x_theme_css__mutmut_22": _HEADER,
    "briefgen.serve.app.x_theme_css__mutmut_3": "the rules are empty before the primary "
    "colour's: '=' and '+=' give the same list",
    "briefgen.serve.app.x_people_rows__mutmut_34": _STRICT,
    "briefgen.serve.app.x_people_rows__mutmut_37": _STRICT,
    "briefgen.serve.mail.x_parse_people__mutmut_42": _STRICT,
    "briefgen.serve.mail.x_parse_people__mutmut_45": _STRICT,
    "briefgen.serve.app.x_save_part__mutmut_59": _LEVEL,
    "briefgen.serve.app.x_save_part__mutmut_61": _LEVEL,
    "briefgen.serve.app.x_save_part__mutmut_64": _LEVEL,
    "briefgen.serve.app.x_save_part__mutmut_66": "the store writes an importance only when "
    "it is true, and '' is false like None",
    "briefgen.serve.app.x_visible_text__mutmut_5": "keeping 'X' too changes nothing: a "
    "visible letter is kept anyway",
    "briefgen.serve.app.x_mail_invite__mutmut_130": _ASSERT,
    "briefgen.serve.app.x_mail_invite__mutmut_131": _ASSERT,
    "briefgen.serve.mail.x__deliver__mutmut_5": _NO_MADE,
    "briefgen.serve.mail.x__deliver__mutmut_6": _NO_MADE,
    "briefgen.serve.mail.x__text__mutmut_9": "codec names are case-insensitive",
    "briefgen.serve.mail.x_read_people__mutmut_19": "codec names are case-insensitive",
    "briefgen.serve.mail.x_read_people__mutmut_34": _FIRST_LINE,
    "briefgen.serve.mail.x_read_people__mutmut_37": _FIRST_LINE,
    "briefgen.serve.mail.xǁMailerǁ__init____mutmut_2": "a Mailer sends only inside 'with', "
    "whose connect sets the connection first",
    "briefgen.serve.mail.xǁMailerǁclose__mutmut_2": "a closed Mailer is not used again",
    "briefgen.serve.mail.xǁProblemǁenglish__mutmut_6": "an 'address' problem is made only when "
    "address_problem says why, so the fall-back is never used",
    "briefgen.serve.store.xǁStoreǁ_respondent__mutmut_41": _JOIN,
    "briefgen.serve.store.xǁStoreǁ_respondent__mutmut_43": _JOIN,
    "briefgen.serve.store.xǁStoreǁ_respondent__mutmut_45": _JOIN,
    "briefgen.serve.store.xǁStoreǁ_respondent__mutmut_47": _JOIN,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_6": _JOIN,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_8": _JOIN,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_86": "token_urlsafe's default is 32 bytes, "
    "which TOKEN_BYTES is",
    "briefgen.serve.store.xǁStoreǁ_open_round__mutmut_10": _SQL_CASE,
    "briefgen.serve.store.xǁStoreǁ_open_round__mutmut_15": _LOCK_KEY,
    "briefgen.serve.store.xǁStoreǁ_open_round__mutmut_16": _LOCK_KEY,
    "briefgen.serve.store.xǁStoreǁ_open_round__mutmut_19": _FIRST_ROW,
    "briefgen.serve.store.xǁStoreǁ_open_round__mutmut_24": _FIRST_ROW,
    "briefgen.serve.store.x_migrate__mutmut_23": _SQL_CASE,
    "briefgen.serve.store.x_migrate__mutmut_24": _SQL_CASE,
    "briefgen.serve.store.xǁStoreǁmessage_log__mutmut_4": _JOIN,
    "briefgen.serve.store.xǁStoreǁmessage_log__mutmut_6": _JOIN,
    "briefgen.serve.store.xǁStoreǁto_remind__mutmut_6": _JOIN,
    "briefgen.serve.store.xǁStoreǁto_remind__mutmut_8": _JOIN,
    "briefgen.serve.store.xǁStoreǁrecord_failure__mutmut_9": _SQL_CASE,
    "briefgen.serve.store.xǁStoreǁrecord_failure__mutmut_14": _LOCK_KEY,
    "briefgen.serve.store.xǁStoreǁrecord_failure__mutmut_15": _LOCK_KEY,
    "briefgen.serve.questions.x_check_posted__mutmut_7": "comment_given is read only after the "
    "posted comment is put in it",
    "briefgen.serve.server.xǁGuardedH11Protocolǁ__init____mutmut_4": _LOOP,
    "briefgen.serve.server.xǁGuardedH11Protocolǁ__init____mutmut_8": _LOOP,
    "briefgen.serve.server.xǁGuardedH11Protocolǁ__init____mutmut_15": "every uvicorn Config "
    "briefgen makes carries briefgen_limits (uvicorn_config sets it)",
    "briefgen.serve.server.xǁGuardedH11Protocolǁ__init____mutmut_27": "a connection turned "
    "away before it was counted counts '' down and deletes it at once; no client's address "
    "is ''",
    "briefgen.serve.server.xǁGuardedH11Protocolǁ__init____mutmut_29": _STATE,
    "briefgen.serve.server.xǁGuardedH11Protocolǁon_response_complete__mutmut_1": _STATE,
    "briefgen.serve.server.xǁGuardedH11Protocolǁconnection_lost__mutmut_7": "a lost "
    "connection's protocol object is not used again",
    "briefgen.serve.server.xǁGuardedH11Protocolǁconnection_made__mutmut_4": _CLIENT,
    "briefgen.serve.server.xǁGuardedH11Protocolǁconnection_made__mutmut_6": _CLIENT,
    "briefgen.serve.server.xǁGuardedH11Protocolǁtoo_slow__mutmut_10": _CLIENT,
    "briefgen.serve.server.xǁGuardedH11Protocolǁtoo_slow__mutmut_12": _CLIENT,
}

# --------------------------------------------------------------------------- issue 23
# The batch, the sandbox, the kit, the workspace's config and brand, the template context, the
# advice and its review: whole modules (docs/mutation.md, "Issue 23's modules").
SCOPE.update({
    "context": ["briefgen.context.*"],
    "config and brand": ["briefgen.config.*", "briefgen.brand.*"],
    "advice": ["briefgen.advice.*"],
    "review": ["briefgen.review.*"],
    "sandbox": ["briefgen.sandbox.*"],
    "batch": ["briefgen.batch.*"],
    "kit": ["briefgen.kit.*", "briefgen.cells.*"],
})

# issue 23: serve's survivors judged one by one (docs/mutation-serve-survivors.md lists those
# left that are not equivalent).
_CODEC = "codec names are case-insensitive"
_MAIL_HEADER = "e-mail header names are case-insensitive (RFC 5322, 1.2.2)"
_PREFIX = ("the prefix only keeps the one key's purposes apart, and the changed one still is "
           "(a new prefix would end open sessions and forms once, at an upgrade)")
_TOKEN = "token_urlsafe's default is 32 bytes, which the code asks for"
_SKIPPED = ("a Skipped's respondent id, number and address are read by no caller: the reports "
            "count reasons")
_SINGLE = ("a single SELECT reads the same in autocommit as in a transaction (the flag only "
           "spares PostgreSQL's BEGIN and COMMIT)")
EQUIVALENT.update({
    "briefgen.serve.app.x_admin_overview__mutmut_47": "the sender is shown only when [smtp] is "
    "set, and then it is the setting's",
    "briefgen.serve.app.x_briefing_pdf__mutmut_1": "the temporary folder's name is seen by no "
    "one, and the folder is removed",
    "briefgen.serve.app.x_briefing_pdf__mutmut_2": "the temporary folder's name is seen by no "
    "one, and the folder is removed",
    "briefgen.serve.app.x_briefing_pdf__mutmut_3": "the temporary folder's name is seen by no "
    "one, and the folder is removed",
    "briefgen.serve.app.x_briefing_pdf__mutmut_8": "the survey reader takes a file's suffix "
    "case-insensitively",
    "briefgen.serve.app.x_conflict_lines__mutmut_10": "a conflicting importance is the stored "
    "one, a valid level: the fall-back label is never used",
    "briefgen.serve.app.x_conflict_lines__mutmut_12": "a conflicting importance is the stored "
    "one, a valid level: the fall-back label is never used",
    "briefgen.serve.app.x_conflict_lines__mutmut_15": "a conflicting importance is the stored "
    "one, a valid level: the fall-back label is never used",
    "briefgen.serve.app.x_conflict_lines__mutmut_42": "a conflicting answer is the stored one, "
    "always a number (answers are never removed)",
    "briefgen.serve.app.x_create_app__mutmut_14": "auto_reload only rereads a template changed "
    "on disk; the shipped ones do not change",
    "briefgen.serve.app.x_create_app__mutmut_19": "auto_reload only rereads a template changed "
    "on disk; the shipped ones do not change",
    "briefgen.serve.app.x_create_app__mutmut_24": "every template ends in .html, which "
    "select_autoescape escapes whatever its default",
    "briefgen.serve.app.x_create_app__mutmut_25": "default_for_string applies to templates made "
    "from strings; the app makes none",
    "briefgen.serve.app.x_create_app__mutmut_26": "every template ends in .html, which "
    "select_autoescape escapes whatever its default",
    "briefgen.serve.app.x_create_app__mutmut_27": "default_for_string applies to templates made "
    "from strings; the app makes none",
    "briefgen.serve.app.x_create_app__mutmut_28": "every template ends in .html, which "
    "select_autoescape escapes whatever its default",
    "briefgen.serve.app.x_create_app__mutmut_29": "default_for_string applies to templates made "
    "from strings; the app makes none",
    "briefgen.serve.app.x_create_app__mutmut_32": "auto_reload only rereads a template changed "
    "on disk; the shipped ones do not change",
    "briefgen.serve.app.x_done__mutmut_3": "a language not offered (None, 'XXsvXX', 'SV') "
    "becomes 'sv' on the next line",
    "briefgen.serve.app.x_done__mutmut_5": "a language not offered (None, 'XXsvXX', 'SV') "
    "becomes 'sv' on the next line",
    "briefgen.serve.app.x_done__mutmut_8": "a language not offered (None, 'XXsvXX', 'SV') "
    "becomes 'sv' on the next line",
    "briefgen.serve.app.x_done__mutmut_9": "a language not offered (None, 'XXsvXX', 'SV') "
    "becomes 'sv' on the next line",
    "briefgen.serve.app.x_form_token__mutmut_19": "the guard sets request.state.session before "
    "any admin page is made",
    "briefgen.serve.app.x_form_token__mutmut_34": "a public page has no form: its token is not "
    "used",
    "briefgen.serve.app.x_login__mutmut_12": "a post without the secret fails as a wrong one "
    "does: '', None and 'XXXX' all fail to match a secret of 20 characters or more",
    "briefgen.serve.app.x_login__mutmut_14": "a post without the secret fails as a wrong one "
    "does: '', None and 'XXXX' all fail to match a secret of 20 characters or more",
    "briefgen.serve.app.x_login__mutmut_17": "a post without the secret fails as a wrong one "
    "does: '', None and 'XXXX' all fail to match a secret of 20 characters or more",
    "briefgen.serve.app.x_login__mutmut_40": _HEADER,
    "briefgen.serve.app.x_mail_invite__mutmut_182": "an invitation is never left out as "
    "'recent' (its claim has no gap): its report never says the hours",
    "briefgen.serve.app.x_mail_invite__mutmut_187": "an invitation is never left out as "
    "'recent' (its claim has no gap): its report never says the hours",
    "briefgen.serve.app.x_mail_invite__mutmut_191": "an invitation is never left out as "
    "'recent' (its claim has no gap): its report never says the hours",
    "briefgen.serve.app.x_mail_invite__mutmut_192": "an invitation is never left out as "
    "'recent' (its claim has no gap): its report never says the hours",
    "briefgen.serve.app.x_message__mutmut_13": "no caller passes more than a title and a lead",
    "briefgen.serve.app.x_part_page__mutmut_2": "both callers pass saved",
    "briefgen.serve.app.x_part_page__mutmut_24": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_43": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_58": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_60": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_63": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_65": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_part_page__mutmut_66": "next_part is given to the template, which "
    "does not use it (the next part is chosen when the form is posted)",
    "briefgen.serve.app.x_remind__mutmut_102": "REMIND_GAP is 20 whole hours: / and // give the "
    "same int",
    "briefgen.serve.app.x_remind__mutmut_65": "remind_by_mail does not read org_name (the "
    "context carries the name)",
    "briefgen.serve.app.x_visible__mutmut_1": "keep names characters to show as they are; 'X' "
    "is never hidden anyway",
    "briefgen.serve.mail.x_address_problem__mutmut_26": "a domain whose only dots are at its "
    "ends is refused by the startswith/endswith checks, whatever strip() takes",
    "briefgen.serve.mail.x_check_people__mutmut_101": "a name's or a role's problem does not "
    "say its value, in the CLI or on the admin page",
    "briefgen.serve.mail.x_check_people__mutmut_12": "every row's cells hold every column of "
    "the header (short rows padded), which must have email",
    "briefgen.serve.mail.x_check_people__mutmut_7": "every row's cells hold every column of the "
    "header (short rows padded), which must have email",
    "briefgen.serve.mail.x_check_people__mutmut_87": "a name's or a role's problem does not say "
    "its value, in the CLI or on the admin page",
    "briefgen.serve.mail.x_check_people__mutmut_9": "every row's cells hold every column of the "
    "header (short rows padded), which must have email",
    "briefgen.serve.mail.x_compose__mutmut_10": "without a deadline no sentence uses the "
    "deadline's value",
    "briefgen.serve.mail.x_compose__mutmut_100": "the Date names the same instant in the "
    "machine's zone or in UTC",
    "briefgen.serve.mail.x_compose__mutmut_101": "the Date names the same instant in the "
    "machine's zone or in UTC",
    "briefgen.serve.mail.x_compose__mutmut_104": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_105": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_12": "without a deadline no sentence uses the "
    "deadline's value",
    "briefgen.serve.mail.x_compose__mutmut_79": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_80": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_83": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_84": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_94": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_95": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_98": _MAIL_HEADER,
    "briefgen.serve.mail.x_compose__mutmut_99": _MAIL_HEADER,
    "briefgen.serve.mail.x_smtp_settings__mutmut_32": "config.firm is always a FirmConfig (its "
    "default), never None",
    "briefgen.serve.mail.xǁMailerǁconnect__mutmut_28": "smtplib's has_extn lower-cases the name",
    "briefgen.serve.mail.xǁMailerǁconnect__mutmut_41": "smtp_settings refuses a username "
    "without a password",
    "briefgen.serve.questions.x_survey_bytes__mutmut_14": "'\\r\\n' is csv.writer's default "
    "line terminator",
    "briefgen.serve.questions.x_survey_rows__mutmut_11": "every respondent Store.submitted "
    "returns has 'comments'",
    "briefgen.serve.questions.x_survey_rows__mutmut_28": "a submitted respondent has an "
    "importance (submit requires one)",
    "briefgen.serve.questions.x_survey_rows__mutmut_30": "every respondent Store.submitted "
    "returns has 'role'",
    "briefgen.serve.questions.x_survey_rows__mutmut_32": "every respondent Store.submitted "
    "returns has 'role'",
    "briefgen.serve.questions.x_survey_rows__mutmut_35": "every respondent Store.submitted "
    "returns has 'role'",
    "briefgen.serve.questions.x_survey_rows__mutmut_9": "every respondent Store.submitted "
    "returns has 'comments'",
    "briefgen.serve.security.x_client_key__mutmut_17": _STRICT,
    "briefgen.serve.security.x_guard__mutmut_7": "request.state.session is read only on admin "
    "routes, where the guard sets it first",
    "briefgen.serve.security.x_guard__mutmut_8": "request.state.respondent is read only on a "
    "link's routes, where the guard sets it first",
    "briefgen.serve.security.x_read_form__mutmut_3": "None and '' are both false for 'if kind'",
    "briefgen.serve.security.x_read_form__mutmut_32": _CODEC,
    "briefgen.serve.security.x_read_form__mutmut_5": "None and '' are both false for 'if kind'",
    "briefgen.serve.security.x_read_form__mutmut_7": _HEADER,
    "briefgen.serve.security.x_same_origin__mutmut_14": _HEADER,
    "briefgen.serve.security.x_same_origin__mutmut_24": _HEADER,
    "briefgen.serve.security.x_same_origin__mutmut_4": _HEADER,
    "briefgen.serve.security.x_secret_matches__mutmut_16": _CODEC,
    "briefgen.serve.security.xǁAdminAuthǁ__init____mutmut_11": _PREFIX,
    "briefgen.serve.security.xǁAdminAuthǁ__init____mutmut_12": _PREFIX,
    "briefgen.serve.security.xǁAdminAuthǁsession__mutmut_7": "'XXXX' fails the 40-64 length "
    "check as '' does",
    "briefgen.serve.security.xǁAdminAuthǁsign_in__mutmut_31": _TOKEN,
    "briefgen.serve.security.xǁCsrfǁexpected__mutmut_10": "every link route has {token} in its "
    "path",
    "briefgen.serve.security.xǁCsrfǁexpected__mutmut_5": "every link route has {token} in its path",
    "briefgen.serve.security.xǁCsrfǁexpected__mutmut_7": "every link route has {token} in its path",
    "briefgen.serve.security.xǁCsrfǁlink_token__mutmut_6": _PREFIX,
    "briefgen.serve.security.xǁCsrfǁlink_token__mutmut_7": _PREFIX,
    "briefgen.serve.security.xǁCsrfǁlogin_token__mutmut_6": _PREFIX,
    "briefgen.serve.security.xǁCsrfǁlogin_token__mutmut_7": _PREFIX,
    "briefgen.serve.security.xǁCsrfǁnonce__mutmut_6": "'XXXX' fails the 20-64 length check as "
    "'' does",
    "briefgen.serve.security.xǁCsrfǁsession_token__mutmut_6": _PREFIX,
    "briefgen.serve.security.xǁCsrfǁsession_token__mutmut_7": _PREFIX,
    "briefgen.serve.security.xǁOutermostǁ__call____mutmut_12": "None and False are both false "
    "for 'if not started'",
    "briefgen.serve.security.xǁOutermostǁ__call____mutmut_38": "MutableHeaders.setdefault "
    "lower-cases the name",
    "briefgen.serve.security.xǁOutermostǁ__call____mutmut_74": "a Response does not read the "
    "request: receive is never called",
    "briefgen.serve.server.x_server_for__mutmut_1": "every caller passes workers",
    "briefgen.serve.server.x_uvicorn_config__mutmut_1": "every caller passes workers",
    "briefgen.serve.server.x_uvicorn_config__mutmut_25": "5 s is uvicorn's default "
    "timeout_keep_alive",
    "briefgen.serve.server.xǁGuardedH11Protocolǁconnection_lost__mutmut_8": "given None, "
    "uvicorn also closes the transport, already lost, and stops the keep-alive timer, which "
    "would only close it again",
    "briefgen.serve.settings.x_engagement__mutmut_14": "a data: URI from firm_logo has one "
    "comma (base64 has none)",
    "briefgen.serve.settings.x_engagement__mutmut_15": "a data: URI from firm_logo has one "
    "comma (base64 has none)",
    "briefgen.serve.settings.x_engagement__mutmut_17": "a data: URI from firm_logo has one "
    "comma (base64 has none)",
    "briefgen.serve.settings.x_engagement__mutmut_8": "firm_logo returns None without a firm logo",
    "briefgen.serve.store.x_comment_tag__mutmut_10": "a comment comes from a form decoded "
    "strictly, its %-escapes with replacement: no lone surrogate reaches the encoder, the only "
    "case its error handler decides",
    "briefgen.serve.store.x_comment_tag__mutmut_11": "a comment comes from a form decoded "
    "strictly, its %-escapes with replacement: no lone surrogate reaches the encoder, the only "
    "case its error handler decides",
    "briefgen.serve.store.x_comment_tag__mutmut_12": "the tag is made and compared by this "
    "function alone; 17 hex digits tell comments apart as 16 do",
    "briefgen.serve.store.x_comment_tag__mutmut_7": "a comment comes from a form decoded "
    "strictly, its %-escapes with replacement: no lone surrogate reaches the encoder, the only "
    "case its error handler decides",
    "briefgen.serve.store.x_comment_tag__mutmut_9": _CODEC,
    "briefgen.serve.store.x_migrate__mutmut_7": "configparser lower-cases option names",
    "briefgen.serve.store.x_open_store__mutmut_6": "a DBAPIError always wraps the driver's "
    "exception (orig)",
    "briefgen.serve.store.x_open_store__mutmut_9": "a DBAPIError always wraps the driver's "
    "exception (orig)",
    "briefgen.serve.store.xǁStoreǁ_add__mutmut_11": _TOKEN,
    "briefgen.serve.store.xǁStoreǁ_add__mutmut_49": "Invitation.person is read by no caller",
    "briefgen.serve.store.xǁStoreǁ_add__mutmut_56": "Invitation.person is read by no caller",
    "briefgen.serve.store.xǁStoreǁ_add__mutmut_60": "Invitation.person is read by no caller",
    "briefgen.serve.store.xǁStoreǁ_add__mutmut_61": "Invitation.person is read by no caller",
    "briefgen.serve.store.xǁStoreǁ_respondent__mutmut_80": "Respondent.round_id is read by no "
    "caller",
    "briefgen.serve.store.xǁStoreǁ_upsert__mutmut_2": "PostgreSQL's insert construct compiles "
    "on SQLite to the same INSERT ... ON CONFLICT DO UPDATE",
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_112": "Claim.number is read by no caller",
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_23": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_24": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_30": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_31": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_32": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_35": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_36": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁclaim__mutmut_37": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁfollow_up__mutmut_3": "an alias's name is the SQL's own",
    "briefgen.serve.store.xǁStoreǁfollow_up__mutmut_4": "an alias's name is the SQL's own",
    "briefgen.serve.store.xǁStoreǁfollow_up__mutmut_5": "an alias's name is the SQL's own",
    "briefgen.serve.store.xǁStoreǁinvite__mutmut_25": "Person('') and Person(None) are stored "
    "alike (email or None) and give no person",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_24": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_25": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_37": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_38": _SKIPPED,
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_58": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_59": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_60": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_62": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_64": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁinvite_people__mutmut_71": "of an invitation by e-mail "
    "invite_by_mail reads only the respondent id and the token",
    "briefgen.serve.store.xǁStoreǁlocked_until__mutmut_1": _SINGLE,
    "briefgen.serve.store.xǁStoreǁlocked_until__mutmut_2": _SINGLE,
    "briefgen.serve.store.xǁStoreǁopen_session__mutmut_4": "a session ending this second is "
    "refused by AdminAuth.session (expires_at <= now) whether its row goes now or later",
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_1": "an empty token, or one of 100 "
    "characters or more, matches no stored hash (links are 43 characters): the check only "
    "spares a query",
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_11": "lock=None is false as False is",
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_3": "an empty token, or one of 100 "
    "characters or more, matches no stored hash (links are 43 characters): the check only "
    "spares a query",
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_4": "an empty token, or one of 100 "
    "characters or more, matches no stored hash (links are 43 characters): the check only "
    "spares a query",
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_6": _SINGLE,
    "briefgen.serve.store.xǁStoreǁrespondent__mutmut_7": _SINGLE,
    "briefgen.serve.store.xǁStoreǁsave__mutmut_45": "None and '' are both false: no importance "
    "is written either way",
    "briefgen.serve.store.xǁStoreǁsession__mutmut_1": _SINGLE,
    "briefgen.serve.store.xǁStoreǁsession__mutmut_2": _SINGLE,
    "briefgen.serve.store.xǁStoreǁsubmit__mutmut_18": "updated_at is written, never read",
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_10": _JOIN,
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_12": _JOIN,
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_23": "closed_at is selected but not read",
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_35": "closed_at is selected but not read",
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_63": "overlapping chunks read the same "
    "answers into the same dict",
    "briefgen.serve.store.xǁStoreǁsubmitted__mutmut_68": "overlapping chunks read the same "
    "answers into the same dict",
})

_HEX = "hex digits are read case-insensitively"
_SLASH = ("the keys are the proposal's, whose initiative ids are the library's slugs: no '/' "
          "after the first")
_HORIZON = ("every initiative's horizon is one of HORIZON_ORDER's (read_review refuses any "
            "other), so the fallback is never used")
EQUIVALENT.update({
    # config and brand
    "briefgen.config.x_contrast_ratio__mutmut_2": _HEX,
    "briefgen.config.x_check_colour__mutmut_8": "no #RRGGBB colour has a contrast of exactly "
    "4.5 on white (the nearest is 1.5e-7 away; all 16.7 million checked)",
    "briefgen.config.x_luminance__mutmut_4": "a colour reaches luminance only after the "
    "#RRGGBB check (check_colour) or from the tests' #RRGGBB/#RGB, so it has no 'X' to strip",
    "briefgen.config.x_luminance__mutmut_30": "a channel is n/255, never exactly 0.04045",
    # load_config and _line_of as changed on 6 December afternoon
    "briefgen.config.x_load_config__mutmut_40": "pydantic names the union's branch after a "
    "per-language key, so such a location always has more than two parts",
    "briefgen.config.x_load_config__mutmut_207": "without a language the key looked up is "
    "'table.key' + '', a table TOML cannot have beside the string it names; the lookup fails "
    "and the next one is used",
    # review
    "briefgen.review.x__fingerprint__mutmut_3": "ensure_ascii=None is false like False",
    "briefgen.review.x__merge_steps__mutmut_5": _SLASH,
    "briefgen.review.x__merge_steps__mutmut_6": _SLASH,
    "briefgen.review.x__merge_steps__mutmut_8": _SLASH,
    "briefgen.review.x__merge_steps__mutmut_90": _HORIZON,
    "briefgen.review.x__merge_steps__mutmut_92": _HORIZON,
    "briefgen.review.x__merge_steps__mutmut_97": _HORIZON,
    "briefgen.review.x__target__mutmut_6": "area_target gives a below area step_target's "
    "figure itself",
    "briefgen.review.x_read_review__mutmut_193": "required=None is false like False",
    "briefgen.review.x_read_review__mutmut_553": "required=None is false like False",
    "briefgen.review.x_read_review__mutmut_591": "made_for is required and must be a mapping: "
    "a review without one has been refused before the fallback",
    "briefgen.review.x_review_yaml__mutmut_54": "sort_keys=None is false like False",
    **{f"briefgen.review.x_comment_lines__mutmut_{n}": "the note ends in '.' and a line "
       "break: stripped of line breaks, white space or X's, it is the same" for n in (2, 4)},
    **{f"briefgen.review.x_comment_lines__mutmut_{n}": "None is false like False"
       for n in (14, 15)},
    "briefgen.review.x_review_yaml__mutmut_61": "default_flow_style=False is PyYAML's default "
    "(since 5.1)",
    "briefgen.review.x_updated__mutmut_217": "_carried_prints does not read its 'old' argument",
    # judged on 439aebd's code (the functions unchanged since)
    **{f"briefgen.brand.x_markdown_html__mutmut_{n}": "linkify is off in the commonmark "
       "preset; an unknown option name leaves it off" for n in (12, 13)},
    "briefgen.brand.x_markdown_html__mutmut_14": "the commonmark preset does not enable the "
    "linkify rule, so the option changes nothing (checked on bare addresses and URLs)",
    **{f"briefgen.brand.x_markdown_html__mutmut_{n}": "the default is read only when the note "
       "has no heading, and then no heading is renumbered" for n in (31, 36)},
    "briefgen.brand.x_markdown_html__mutmut_50": "the HTML renderer reads env only for rules "
    "the note's tokens never use; the output is the same",
    **{f"briefgen.review.x_read_review__mutmut_{n}": "the default is read only for an "
       "initiative without a horizon, which is refused as incomplete before it (the check "
       "needs 'horizon' in the step)" for n in (414, 416, 419)},
    "briefgen.review.x_read_review__mutmut_557": "required=None is false like False",
    "briefgen.review.x_read_review__mutmut_595": "made_for is required and one that is not a "
    "mapping is a problem raised just below: the fallback is never returned",
    "briefgen.review.x_review_yaml__mutmut_69": "PyYAML writes the top-level key findings: "
    "once; a text holding it is quoted or indented, so the first and last match agree",
    "briefgen.review.x_review_yaml__mutmut_72": "the next line break after 'f' or after 'i' "
    "of 'findings:' is the same one",
})

# The sandbox (issue 23).
_PRCTL = ("PR_SET_PDEATHSIG reads only its second argument; the kernel ignores the third to "
          "fifth, whatever they are")
_ERRNO = "errno is never read after the call, so whether ctypes keeps it does not matter"
_SUPPRESS = ("on Linux CDLL(None) always loads and has prctl: neither OSError nor "
             "AttributeError can occur for the suppress to catch")
_ASCII = "/proc/meminfo is ASCII: read as ASCII or as the locale's UTF-8, the text is the same"
EQUIVALENT.update({
    **{f"briefgen.sandbox.x__parent_death_signal__mutmut_{n}": _PRCTL
       for n in (16, 17, 18, 21, 22, 23, 24, 25, 26)},
    **{f"briefgen.sandbox.x__parent_death_signal__mutmut_{n}": _ERRNO for n in (10, 12, 13)},
    **{f"briefgen.sandbox.x__parent_death_signal__mutmut_{n}": _SUPPRESS for n in (5, 6, 7, 8)},
    **{f"briefgen.sandbox.x_available_memory_mb__mutmut_{n}": _ASCII for n in (2, 4, 8)},
    "briefgen.sandbox.x_rss_bytes__mutmut_4": "statm holds ASCII digits: read as text or as "
    "bytes, split() and int() give the same numbers",
    "briefgen.sandbox.xǁPoolǁrun__mutmut_5": "broken is tested only for truth, and None is "
    "false like ''; it is set to a message before it is ever shown",
    "briefgen.sandbox.xǁPoolǁ_check__mutmut_21": "the reason is a message of our own with no "
    "'%', so logging prints it the same with or without a format",
    "briefgen.sandbox.xǁPoolǁ_over_limit__mutmut_5": "the two sides are monotonic clock "
    "readings in floating point, never exactly equal in practice; at equality the task is "
    "stopped one poll (0.2 s) later",
    "briefgen.sandbox.xǁPoolǁ_over_limit__mutmut_13": "a worker's resident memory is a whole "
    "number of pages; exactly the limit's byte count makes no difference a user could see "
    "(one poll later)",
    "briefgen.sandbox.xǁPoolǁrun__mutmut_26": "logging formats a message only when it has "
    "arguments, so a '%' in the reason prints the same",
    "briefgen.sandbox.xǁPoolǁrun__mutmut_66": "a retried task's attempt is only compared with "
    "0: 1 and 2 mean the same (its second try)",
    **{f"briefgen.sandbox.xǁ_Workerǁ__init____mutmut_{n}": "give() sets the task, the attempt "
       "and the start time before any of them is read" for n in (14, 15, 16, 19, 20)},
})

# The batch: an input hash is compared only with the one an earlier run of the same code wrote,
# so what matters is which inputs it tells apart, never its exact digest (a new digest renders
# each briefing once more). These mutants change the digest and nothing else.
_DIGEST = ("digest only: any separator or prefix the hashed text always has gives the same "
           "inputs the same hash and tells the same inputs apart")
_ESCAPE = ("digest only: JSON with or without ASCII escapes is one-to-one with the value, so "
           "the same profiles hash alike and different ones apart")
_BLOCK = "the digest of a file is the same whatever size of block it is read in"
_UTF8 = "codec names are case-insensitive: 'UTF-8' is 'utf-8'"
_NONE_AS = ("the text standing for an unset value need only be one no real value takes; an "
            "author, contact or colour of 'XXXX' is no real one")
_WARM = ("when the fork server is started early (to warm up while the input is read): the pool "
         "starts it anyway when it needs it, so only the wait moves")
EQUIVALENT.update({
    **{f"briefgen.batch.manifest.x__by_language__mutmut_{n}": _ESCAPE for n in (2, 4, 7)},
    "briefgen.batch.manifest.x__hash_files__mutmut_6": _DIGEST,
    "briefgen.batch.manifest.x__write_atomic_text__mutmut_7": _UTF8,
    "briefgen.batch.manifest.x_read_manifest__mutmut_8": _UTF8,
    "briefgen.batch.manifest.x_assets_hash__mutmut_44": _NONE_AS,
    "briefgen.batch.manifest.x_assets_hash__mutmut_51": "a SOURCE_DATE_EPOCH of 'XXXX' is "
    "refused before any hash, so unset and 'XXXX' are never both hashed",
    "briefgen.batch.manifest.x_assets_hash__mutmut_54": _DIGEST,
    "briefgen.batch.manifest.x_brand_hash__mutmut_8": _DIGEST,
    "briefgen.batch.manifest.x_brand_hash__mutmut_10": _NONE_AS,
    "briefgen.batch.manifest.x_brand_hash__mutmut_43": _DIGEST,
    **{f"briefgen.batch.manifest.x_file_sha256__mutmut_{n}": _BLOCK for n in (10, 12, 13)},
    **{f"briefgen.batch.manifest.x_input_hash__mutmut_{n}": _ESCAPE for n in (22, 26, 29)},
    **{f"briefgen.batch.manifest.x_input_hash__mutmut_{n}": _DIGEST
       for n in (23, 27, 30, 31, 52, 53)},
    **{f"briefgen.batch.manifest.x_input_hash__mutmut_{n}": "digest only: the logo's refusal "
       "is hashed with whatever name for the field it is given, the same on every run"
       for n in (37, 45, 46)},
    **{f"briefgen.batch.run.x_run_batch__mutmut_{n}": _WARM for n in (6, 7, 8, 9)},
    "briefgen.batch.run.x__run_locked__mutmut_221": "two monotonic clock readings a float "
    "apart by exactly MANIFEST_EVERY: '>' and '>=' agree",
    **{f"briefgen.batch.runner.x__init_worker__mutmut_{n}": "logging's StreamHandler writes "
       "to sys.stderr when given None" for n in (6, 9)},
    "briefgen.batch.runner.x_render_task__mutmut_12": "build() falls back to options.lang, the "
    "same language",
    "briefgen.batch.runner.x_render_task_limited__mutmut_30": "each run gets one task, so a "
    "pool of two never starts its second worker",
    **{f"briefgen.batch.runner.xǁRunnerǁ_dask__mutmut_{n}": "with key= given, Dask does not "
       "read pure= (it names the task by the key)" for n in (39, 44, 46)},
    "briefgen.batch.runner.xǁRunnerǁ_dask__mutmut_55": "after a refused submit the rest are "
    "submitted on the next pass instead of this one: the same outcomes, one poll later",
    **{f"briefgen.batch.runner.xǁRunnerǁ_dask__mutmut_{n}": "distributed (2026.8.0, the version "
       "installed) never sets a client's status to 'failed'" for n in (71, 72)},
    "briefgen.batch.runner.xǁRunnerǁ_dask__mutmut_76": "two monotonic clock readings a float "
    "apart by exactly the bound: '>' and '>=' agree",
    "briefgen.batch.runner.xǁRunnerǁ_dask__mutmut_83": "the reason is our own text with no '%': "
    "logging prints it the same with or without a format",
    "briefgen.batch.run.x__run_locked__mutmut_37": "an organisation's id is its row's id as "
    "written: the profile's slug pattern refuses any other form, and a survey's rows are "
    "named by their org_id",
})

EQUIVALENT.update({
    "briefgen.batch.manifest.x_write_manifest__mutmut_8": "'\\r\\n' is the csv module's "
    "default line ending",
    "briefgen.batch.manifest.x_write_manifest__mutmut_36": "ensure_ascii=None is false like "
    "False",
    "briefgen.batch.overview.x_spread__mutmut_10": "n=4 is statistics.quantiles' default",
    **{f"briefgen.batch.overview.x_portfolio__mutmut_{n}": "counts starts with every phase of "
       "the framework, and an analysis' phase is one of them: the default is never used"
       for n in (23, 24, 26, 27)},
})

# The kit (issue 23).
_DATA_URI = ("a logo's data: URI (briefgen.logo) has one comma, after its header: split once, "
             "twice, or from the right, the two parts are the same")
_HALF = ("python-pptx stores a whole number of EMU: half of the spare room, floored or not, "
         "places the picture on the same EMU")
EQUIVALENT.update({
    "briefgen.kit.charts.x_chart_files__mutmut_22": _UTF8,
    "briefgen.kit.charts.x_titled_svg__mutmut_47": "the chart's XML prologue, replaced by text "
    "outside any <text> element: character data SVG does not draw",
    **{f"briefgen.kit.deck.x__logo_png__mutmut_{n}": _DATA_URI for n in (5, 6, 8)},
    "briefgen.kit.deck.x__logo_png__mutmut_20": "an upper-case FONT-FAMILY is no SVG attribute, "
    "so the text falls back to resvg's default family, the sans-serif the replacement names",
    **{f"briefgen.kit.deck.xǁDeckBuilderǁpicture__mutmut_{n}": _HALF for n in (17, 22)},
    **{f"briefgen.kit.deck.xǁDeckBuilderǁpicture__mutmut_{n}": "without a height python-pptx "
       "scales the picture's own height by the width given, as the height passed was computed"
       for n in (30, 35)},
    **{f"briefgen.kit.fit.x_balanced_pages__mutmut_{n}": _STRICT for n in (35, 38)},
    **{f"briefgen.kit.fit.x_fitting_size__mutmut_{n}": "sizes are whole points, never within "
       "1e-9 of the smallest without being it, so '<' and '<=' (or '>' and '>=') agree"
       for n in (2, 18)},
    "briefgen.kit.fit.xǁFaceǁwrap__mutmut_5": "split(' ') gives at least one word, and the "
    "first sets the line before it is read: None and '' both start it",
    "briefgen.kit.fit.xǁFaceǁwrap__mutmut_34": "the cut starts where the word does not fit: "
    "line[:len+1] and line[:len] are the whole word, so both steps down lead to len - 1",
    **{f"briefgen.kit.deck.xǁDeckBuilderǁrow_heights__mutmut_{n}": "a table's every row has "
       "as many cells as it has column widths: strict never fires" for n in (8, 11)},
    "briefgen.kit.deck.x_pptx_bytes__mutmut_43": "t.lang is sv or en, both in LANG_TAGS: the "
    "default is never taken",
    **{name: "source_line reads own and benchmark as truth values: None is false like False"
       for name in ("briefgen.kit.deck.xǁSlidesǁroadmap__mutmut_111",
                    "briefgen.kit.deck.xǁSlidesǁsurvey_spread__mutmut_65")},
    # workbook and template, judged on 6 December afternoon (kitsurv's tests)
    **{f"briefgen.kit.workbook.x__width__mutmut_{n}": "str.split('\\n') gives at least one "
       "line, so max()'s default is never used" for n in (9, 11, 15)},
    **{f"briefgen.kit.workbook.x_xlsx_bytes__mutmut_{n}": "colours are checked as #RRGGBB "
       "hex (config._HEX) before they get here: stripping X's as well as '#' changes nothing"
       for n in (12, 22)},
    "briefgen.kit.workbook.x_xlsx_bytes__mutmut_129": "a width is a whole number or a "
    "heading's length x 1.1 + 2: rounded to two decimals or to one, the same",
    **{f"briefgen.kit.workbook.x_xlsx_bytes__mutmut_{n}": "strict only guards that a row has "
       "a value per column, which every row of workbook_tables has (built together)"
       for n in (49, 52, 54, 66, 70, 71)},
    "briefgen.kit.workbook.x_xlsx_bytes__mutmut_102": "differs only on a sheet without rows, "
    "where it writes an empty <row r=\"2\"/>; read back, the sheet's last row is still 1 and "
    "Excel shows nothing",
    "briefgen.kit.template.x__checked__mutmut_29": "writestr(ZipInfo, ...) keeps each entry's "
    "own compression, so the archive's default applies to none",
    "briefgen.kit.template.x__copy_xfrm__mutmut_13": "in the built-in template every spPr it "
    "touches is empty once the old xfrm is removed: insert(1) is insert(0)",
    "briefgen.kit.template.x__copy_xfrm__mutmut_15": "lxml's copy.copy of an element copies "
    "its whole subtree, as deepcopy does",
    **{f"briefgen.kit.template.x__style__mutmut_{n}": "called only on python-pptx's default "
       "package, whose styled placeholders all have an a:lstStyle: the insert is never taken"
       for n in (10, 16, 17, 18, 19, 20)},
    "briefgen.kit.template.x_theme_fonts__mutmut_8": "no typeface gives '' or None, both "
    "false: Calibri either way",
    "briefgen.kit.template.x__placeholders__mutmut_27": "keys of the form kind + '0' are "
    "never looked up",
    **{f"briefgen.kit.template.x__design__mutmut_{n}": "'or 1' differs only for a body of zero "
       "width or height, whose area stays a million times smaller than a visible body's"
       for n in (52, 54)},
})

KILLED = {1, 3, 37}
SURVIVED = {0}


def module_of(name: str) -> str | None:
    for module, patterns in SCOPE.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return module
    return None


def results() -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for meta in (ROOT / "mutants" / "src").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return codes


def report(show: bool) -> int:
    codes = results()
    rows: dict[str, Counter] = {m: Counter() for m in SCOPE}
    survivors: dict[str, list[str]] = {m: [] for m in SCOPE}
    for name, code in sorted(codes.items()):
        module = module_of(name)
        if module is None:
            continue
        c = rows[module]
        c["total"] += 1
        if code in KILLED:
            c["killed"] += 1
        elif code in SURVIVED:
            c["survived"] += 1
            c["equivalent"] += name in EQUIVALENT
            survivors[module].append(name)
        else:
            c["other"] += 1  # not checked, no tests, timeout: counted as not killed
            survivors[module].append(f"{name} (exit code {code})")
    total = Counter()
    print(f"{'module':<20} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} "
          f"{'raw':>7} {'non-eq.':>7}")
    for module, c in [*rows.items(), ("all", None)]:
        if c is None:
            c = total
        else:
            total.update(c)
        raw = c["killed"] / c["total"] if c["total"] else 0
        real = c["killed"] / (c["total"] - c["equivalent"]) if c["total"] else 0
        print(f"{module:<20} {c['total']:>7} {c['killed']:>7} {c['survived'] + c['other']:>8} "
              f"{c['equivalent']:>6} {raw:>7.1%} {real:>7.1%}")
    if show:
        for names in survivors.values():
            for name in names:
                if name in EQUIVALENT:
                    print(f"equivalent: {name}: {EQUIVALENT[name]}")
                else:
                    print(f"SURVIVED: {name}")
    return 0


def not_killed(group: str) -> list[str]:
    """The mutants of ``group`` the last run did not kill, less those judged equivalent."""
    return sorted(name for name, code in results().items()
                  if module_of(name) == group and code not in KILLED and name not in EQUIVALENT)


def sample(prefix: str, count: int, seed: int = 23) -> list[str]:
    """A seeded random sample of ``count`` of the mutants whose names start with ``prefix``."""
    import random

    names = sorted(name for name in results() if name.startswith(prefix))
    return sorted(random.Random(seed).sample(names, min(count, len(names))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only count the last run")
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    parser.add_argument("--group", choices=list(SCOPE), help="run one module group only")
    parser.add_argument("--only", metavar="PREFIX", default="",
                        help="run only the groups whose name starts so, e.g. 'serve'")
    parser.add_argument("--again", action="store_true",
                        help="run only the chosen groups' mutants not killed last time")
    parser.add_argument("--sample", metavar="MODULE=N", default="",
                        help="run a random sample of N of MODULE's mutants (seed 23), killed "
                        "or not, e.g. kit.deck=400: an estimate where all would take hours")
    parser.add_argument("--children", type=int, default=1, help="mutants run at once")
    args = parser.parse_args()
    if not args.report:
        groups = [args.group] if args.group else [g for g in SCOPE if g.startswith(args.only)]
        if args.sample:
            module, count = args.sample.split("=")
            patterns = sample(f"briefgen.{module}.", int(count))
        elif args.again:
            patterns = [name for g in groups for name in not_killed(g)]
        else:
            patterns = [p for g in groups for p in SCOPE[g]]
        start = time.monotonic()
        # One child by default: the machine is shared (serve's mutants take about an hour with
        # two).
        if patterns:
            run_mutmut(patterns, args.children, any(g.startswith("serve") for g in groups))
        print(f"{', '.join(groups)}: {len(patterns)} pattern(s) in "
              f"{time.monotonic() - start:.0f} s; load {os.getloadavg()[0]:.1f}")
    return report(args.survivors)


def refresh_copies() -> None:
    """Copy the package's changed non-Python files (templates, texts, styles) into mutmut's
    copy: mutmut copies them only when it makes ``mutants/``, so a run after a template changed
    would test the mutants against the old one."""
    import shutil

    for source in (ROOT / "src").rglob("*"):
        if source.is_dir() or source.suffix in (".py", ".pyc"):
            continue
        copy = ROOT / "mutants" / source.relative_to(ROOT)
        if copy.parent.is_dir() and (not copy.exists()
                                     or copy.read_bytes() != source.read_bytes()):
            shutil.copy2(source, copy)


def run_mutmut(patterns: list[str], children: int, postgres: bool) -> None:
    """mutmut over ``patterns``; with one PostgreSQL cluster for the run if ``postgres``."""
    refresh_copies()
    command = ["mutmut", "run", "--max-children", str(children), *patterns]
    if not postgres:
        subprocess.run(command, cwd=ROOT, check=True)
        return
    sys.path.insert(0, str(ROOT))
    from tests.pgcluster import SHARED_ENV, cluster

    with cluster() as url:
        subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, SHARED_ENV: url})


if __name__ == "__main__":
    sys.exit(main())
