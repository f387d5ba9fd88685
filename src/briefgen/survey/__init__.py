"""Surveys: a questionnaire many leaders fill in, read back and aggregated per organisation.

The stages of a survey, one module each:

* :mod:`~briefgen.survey.columns`: the answer columns, from the framework (shared by all);
* :mod:`~briefgen.survey.questionnaire`: write a blank questionnaire (.xlsx or .csv);
* :mod:`~briefgen.survey.read`: read and validate a filled-in one (the only file input);
* :mod:`~briefgen.survey.aggregate`: per organisation and assessment, a profile and its spread;
* :mod:`~briefgen.survey.benchmark`: a benchmark built from many organisations' answers.

See ``docs/survey.md`` for the format.
"""
