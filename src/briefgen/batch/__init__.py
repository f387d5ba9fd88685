"""Build briefings for many organisations: parallel, isolated, incremental, resumable.

The batch's stages, one module each, in the order a run uses them:

* :mod:`~briefgen.batch.sources`: the organisations of the input (a folder of profiles, a
  .csv/.xlsx sheet, or a survey), each validated or with the reason it is unusable;
* :mod:`~briefgen.batch.manifest`: the record of each organisation (:class:`Item`), the input
  hashes that tell an unchanged briefing, and ``manifest.csv``/``manifest.json``;
* :mod:`~briefgen.batch.runner`: the worker processes (or a Dask cluster) that render;
* :mod:`~briefgen.batch.overview`: the portfolio overview PDF;
* :mod:`~briefgen.batch.run`: :func:`~briefgen.batch.run.run_batch`, which runs them in order.
"""
