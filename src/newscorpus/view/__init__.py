"""A static browser of the corpus: ``newscorpus view``.

One module per job: :mod:`~newscorpus.view.load` reads each document with its validation
issues, :mod:`~newscorpus.view.marks` draws spans over text, :mod:`~newscorpus.view.arcs`
draws relations (displaCy), :mod:`~newscorpus.view.charts` draws bar charts,
:mod:`~newscorpus.view.document`, :mod:`~newscorpus.view.stats` and
:mod:`~newscorpus.view.diffpage` make the pages, :mod:`~newscorpus.view.layout` holds the page
frame and the label colours, :mod:`~newscorpus.view.site` writes the site and
:mod:`~newscorpus.view.serve` serves it on 127.0.0.1.
"""
