"""Course tooling: exercise checks, student versions, the static site and the benchmark.

- :mod:`.exercises` (with :mod:`.checking`): the ``check_*`` functions the notebooks' check
  cells call;
- :mod:`.student`: ``make student`` (solutions stubbed, outputs cleared);
- :mod:`.site`: ``make html``;
- :mod:`.bench`: ``make bench``.
"""
