"""The deliverable kit beside the PDF: a deck, a workbook and the chart files.

``--format pptx`` writes ``OUT/ID.pptx`` (:mod:`.deck`: on the firm's template, native charts,
speaker notes), ``--format xlsx`` writes ``OUT/ID.xlsx`` (:mod:`.workbook`: the figures as a
data appendix), ``--format charts`` writes ``OUT/ID-charts/`` (:mod:`.charts`: every chart as SVG
and PNG, titled and sourced). :func:`.files.kit_files` makes them all from
:class:`.common.KitInputs`: the analysis, the matches, the texts, the charts and the firm. The
kit never calls back into the pipeline. The same input gives the same bytes
(:func:`.common.stable_zip`).

* :mod:`~briefgen.kit.common`: the inputs, the sources of the figures, the action plan, stable
  zips;
* :mod:`~briefgen.kit.fit`: text measured in the deck's fonts;
* :mod:`~briefgen.kit.template`: the firm's template or the built-in design;
* :mod:`~briefgen.kit.deck`, :mod:`~briefgen.kit.workbook`, :mod:`~briefgen.kit.charts`: the
  three deliverables; :mod:`~briefgen.kit.files`: all of them for one briefing.
"""
